import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { Spool } from '../../../adapters/nats/spool.js';
import { driverFor } from '../../../src/action/drivers.js';
import type { ResourceConfig } from '../../../domain/config/types.js';
import type { AnyEvent } from '../../../domain/events.js';
import { runAction } from '../../../src/action/runner.js';
import type { ActionVerb } from '../../../src/action/runner.js';
import { openEventSink } from '../../../src/events/open.js';
import { nodePaths } from '../../../src/paths.js';
import { resourceConfig, serviceConfig } from '../../support/driverContext.js';
import { useTestScope } from '../../support/jest.js';
import { attachLoop, createExt4Loop, createImageFile } from '../../support/loop.js';
import { createVg, vgTags } from '../../support/lvm.js';
import { trackMount } from '../../support/mount.js';
import type { TestScope } from '../../support/scope.js';
import { addressesOf, createNetns, createVeth, freeSubnet, nsRun } from '../../support/netns.js';
import { isMountPoint } from '../../support/proc.js';
import { createTempDir } from '../../support/tmp.js';
import { waitFor } from '../../support/wait.js';

/**
 * The action engine over real resources: a veth for ip#0, a VG on a loop PV,
 * ext4 loop devices, a launcher script. Events go to the node's spool (no
 * NATS configured in the temp root), read back to check their order.
 */
interface Rig {
  root: string;
  ipdev: string;
  ns: string;
  peer: string;
  svcAddr: string;
  vg: string;
  appDev: string;
  mnt: string;
  confs: ResourceConfig[];
}

async function rig(s: TestScope): Promise<Rig> {
  const net = await freeSubnet();
  const ns = await createNetns(s);
  const { host: ipdev, peer } = await createVeth(s, ns, { hostAddr: `${net}.1/24`, peerAddr: `${net}.2/24` });
  const root = await createTempDir(s);
  const pv = await attachLoop(s, await createImageFile(root, 16, 'pv.img'));
  const vg = await createVg(s, [pv]);
  const app = await createExt4Loop(s, root, 32, 'app.img');
  const mnt = path.join(root, 'svc1', 'app');
  trackMount(s, mnt);
  const svcAddr = `${net}.42`;
  const confs = [
    resourceConfig('ip#0', { ipname: svcAddr, ipdev }),
    resourceConfig('disk#0', { type: 'vg', name: vg }),
    resourceConfig('fs#app', { type: 'ext4', dev: app.dev, mnt }),
  ];
  return { root, ipdev, ns, peer, svcAddr, vg, appDev: app.dev, mnt, confs };
}

async function act(r: Rig, confs: ResourceConfig[], action: ActionVerb, lockTimeoutMs?: number) {
  const env = { OSVC_ROOT: r.root, OSVC_NODENAME: 'node1' };
  const paths = nodePaths(env);
  const sink = await openEventSink(paths, env);
  const lines: string[] = [];
  try {
    const out = await runAction(
      { svc: serviceConfig('svc1', confs), action, selection: {}, force: false, argv: ['svc1', action, '--local'], user: 'root' },
      { nodename: 'node1', paths, sink, print: (l) => lines.push(l), driverFor, signal: new AbortController().signal, now: () => Date.now(), ...(lockTimeoutMs !== undefined ? { lockTimeoutMs } : {}) },
    );
    return { ...out, lines };
  } finally {
    await sink.close();
  }
}

function events(r: Rig): AnyEvent[] {
  return new Spool(nodePaths({ OSVC_ROOT: r.root }).spool).read();
}

describe('action engine on real resources', () => {
  const scope = useTestScope();

  test('start runs ip, disk, fs in order and stop the exact reverse, every step an event in order', async () => {
    const s = scope();
    const r = await rig(s);
    const started = await act(r, r.confs, 'start');
    expect(started.ok).toBe(true);
    const rids = (prefix: string) => started.lines.map((l) => l.slice(0, 21).trim()).filter((o) => o.startsWith(prefix));
    expect([...new Set(rids('node1.svc1.'))]).toEqual(['node1.svc1.ip#0', 'node1.svc1.disk#0', 'node1.svc1.fs#app']);
    expect(started.lines[0]).toBe(`node1.svc1.ip#0        checking ${r.svcAddr} availability`);
    expect(started.lines).toContain(`node1.svc1.disk#0      vgchange --addtag @node1 ${r.vg}`);
    expect(started.lines).toContain(`node1.svc1.fs#app      mount -t ext4 ${r.appDev} ${r.mnt}`);
    expect(await addressesOf(r.ipdev)).toContain(`${r.svcAddr}/24`);
    expect(await vgTags(r.vg)).toEqual(['node1']);
    expect(await isMountPoint(r.mnt)).toBe(true);

    const again = await act(r, r.confs, 'start');
    expect(again.lines).toEqual([
      `node1.svc1.ip#0        ${r.svcAddr} is already up on ${r.ipdev}`,
      `node1.svc1.disk#0      vg ${r.vg} is already up`,
      `node1.svc1.fs#app      ext4 ${r.appDev}@${r.mnt} is already mounted`,
    ]);

    const stopped = await act(r, r.confs, 'stop');
    expect(stopped.ok).toBe(true);
    expect([...new Set(stopped.lines.map((l) => l.slice(0, 21).trim()))]).toEqual(['node1.svc1.fs#app', 'node1.svc1.disk#0', 'node1.svc1.ip#0']);
    expect(await addressesOf(r.ipdev)).not.toContain(`${r.svcAddr}/24`);
    expect(await vgTags(r.vg)).toEqual([]);
    expect(await isMountPoint(r.mnt)).toBe(false);

    const evs = events(r);
    const first = evs.slice(0, evs.findIndex((e) => e.type === 'ActionFinished') + 1);
    const shape = first.filter((e) => e.type !== 'ResourceLogged' && e.type !== 'ResourceStatusChanged').map((e) => `${e.type}${e.rid ? ` ${e.rid}` : ''}`);
    expect(shape).toEqual([
      'ActionStarted',
      'ResourceStartRequested ip#0',
      'ResourceStarted ip#0',
      'ResourceStartRequested disk#0',
      'ResourceStarted disk#0',
      'ResourceStartRequested fs#app',
      'ResourceStarted fs#app',
      'InstanceStatusChanged',
      'ActionFinished',
    ]);
    // every step's lines are stored between its request and its result
    const ipLines = first.filter((e) => e.type === 'ResourceLogged' && e.rid === 'ip#0').map((e) => e.seq);
    const ipReq = first.find((e) => e.type === 'ResourceStartRequested' && e.rid === 'ip#0')!.seq;
    const ipDone = first.find((e) => e.type === 'ResourceStarted' && e.rid === 'ip#0')!.seq;
    expect(ipLines.every((q) => q > ipReq && q < ipDone)).toBe(true);
    expect(first.every((e) => e.type === 'ActionStarted' || e.causation === first[0]!.id)).toBe(true);
    const seqs = evs.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  });

  test('a failing fs start rolls back: the ip and the vg are left as they were', async () => {
    const s = scope();
    const r = await rig(s);
    const broken = path.join(r.root, 'not-a-filesystem.img');
    fs.writeFileSync(broken, Buffer.alloc(1024 * 1024));
    const confs = [r.confs[0]!, r.confs[1]!, resourceConfig('fs#app', { type: 'ext4', dev: broken, mnt: r.mnt })];
    const out = await act(r, confs, 'start');
    expect(out.ok).toBe(false);
    expect(out.lines.some((l) => l.startsWith('node1.svc1.fs#app    E '))).toBe(true);
    expect(out.lines).toContain('node1.svc1             rollback start: disk#0, ip#0');
    const after = out.lines.slice(out.lines.indexOf('node1.svc1             rollback start: disk#0, ip#0'));
    expect(after.some((l) => l.startsWith(`node1.svc1.disk#0      vgchange --deltag @node1 ${r.vg}`))).toBe(true);
    expect(after.some((l) => l.startsWith(`node1.svc1.ip#0        ip addr del ${r.svcAddr}`))).toBe(true);
    expect(await addressesOf(r.ipdev)).not.toContain(`${r.svcAddr}/24`);
    expect(await vgTags(r.vg)).toEqual([]);
    expect(await isMountPoint(r.mnt)).toBe(false);
    const types = events(r).map((e) => e.type);
    expect(types).toContain('RollbackStarted');
    expect(types).toContain('RollbackFinished');
    expect(events(r).find((e) => e.type === 'ActionFinished')!.data).toMatchObject({ action: 'start', result: 'failed' });
  });

  test('an address answering elsewhere aborts the start, nothing touched', async () => {
    const s = scope();
    const r = await rig(s);
    const held = await nsRun(r.ns, ['ip', 'addr', 'add', `${r.svcAddr}/24`, 'dev', r.peer]);
    expect(held.exitCode).toBe(0);
    const out = await act(r, r.confs, 'start');
    expect(out.ok).toBe(false);
    expect(out.lines).toEqual([
      `node1.svc1.ip#0        checking ${r.svcAddr} availability`,
      'node1.svc1           E start aborted due to resource ip#0 conflict',
      'node1.svc1             skip rollback start: no resource activated',
    ]);
    expect(await addressesOf(r.ipdev)).not.toContain(`${r.svcAddr}/24`);
    expect(await vgTags(r.vg)).toEqual([]);
    expect(await isMountPoint(r.mnt)).toBe(false);
  });

  test('one action at a time per service: a second one waits for the lock, then fails clearly', async () => {
    const s = scope();
    const r = await rig(s);
    const slow = path.join(r.root, 'etc', 'opensvc', 'svc1.d');
    fs.mkdirSync(slow, { recursive: true });
    const running = path.join(r.root, 'running');
    const release = path.join(r.root, 'release');
    // the first start holds the service until the test releases it (30 s at most)
    fs.writeFileSync(
      path.join(slow, 'slow'),
      `#!/bin/sh\n[ "$1" = start ] || exit 0\ntouch '${running}'\nfor i in $(seq 600); do [ -e '${release}' ] && exit 0; sleep 0.05; done\nexit 1\n`,
      { mode: 0o755 },
    );
    const app = [resourceConfig('app#slow', { script: 'slow' })];
    const first = act(r, app, 'start');
    await waitFor('the first start to run its launcher', () => fs.existsSync(running), 10_000);
    const second = act(r, app, 'start', 500);
    await expect(second).rejects.toThrow(/svc1: another action is running on this service: .* is held by pid \d+/);
    fs.writeFileSync(release, '');
    expect((await first).ok).toBe(true);
  });

  test('optional resources do not fail the action; disabled ones are skipped', async () => {
    const s = scope();
    const r = await rig(s);
    const d = path.join(r.root, 'etc', 'opensvc', 'svc1.d');
    fs.mkdirSync(d, { recursive: true });
    fs.writeFileSync(path.join(d, 'bad'), '#!/bin/sh\necho boom >&2\nexit 3\n', { mode: 0o755 });
    const out = await act(r, [resourceConfig('app#bad', { script: 'bad' }, { optional: true }), resourceConfig('app#off', { script: 'bad' }, { disable: true })], 'start');
    expect(out.ok).toBe(true);
    expect(out.lines.some((l) => l.startsWith('node1.svc1.app#bad   W ') && l.includes('optional resource'))).toBe(true);
    expect(out.lines.some((l) => l.includes('app#off'))).toBe(false);
    expect(events(r).filter((e) => e.type === 'ResourceSkipped').map((e) => [e.rid, e.data])).toEqual([['app#off', { reason: 'disabled' }]]);
  });
});
