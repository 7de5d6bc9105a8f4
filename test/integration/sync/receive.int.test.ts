import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { driverFor } from '../../../src/action/drivers.js';
import { openEventSink } from '../../../src/events/open.js';
import { nodePaths, type NodePaths } from '../../../src/paths.js';
import { buildPayload, payloadDigest, type ConfigPayload, type Launchers } from '../../../src/sync/payload.js';
import { configChecksum } from '../../../src/config/checksum.js';
import { receiveConfig, type ReceiveDeps } from '../../../src/sync/receive.js';
import { useTestScope } from '../../support/jest.js';
import type { TestScope } from '../../support/scope.js';
import { createTempDir } from '../../support/tmp.js';
import { SECRET } from './support.js';

/**
 * The receiving end of `sync nodes`, the code the listener calls, on a node
 * in a temp OSVC_ROOT: real files, real modes, real symlinks, events in the
 * node's spool (no NATS here). The sender's side is the real buildPayload
 * on a node1 root beside it.
 */
interface Node {
  readonly paths: NodePaths;
  readonly env: Record<string, string>;
}

async function node(scope: TestScope, name: string): Promise<Node> {
  const root = await createTempDir(scope);
  const env = { OSVC_ROOT: root, OSVC_NODENAME: name };
  const paths = nodePaths(env);
  fs.mkdirSync(paths.etc, { recursive: true });
  fs.writeFileSync(paths.clusterConf, `[cluster]\nname = synctest\nsecret = ${SECRET}\nnodes = node1 node2\n`, { mode: 0o600 });
  return { paths, env };
}

const confText = (extra = '') => ['[DEFAULT]', `id = ${ID}`, 'nodes = node1 node2', '', '[fs#data]', 'type = tmpfs', 'dev = tmpfs', 'mnt = /srv/{svcname}/data', '', '[app#main]', 'script = launcher', extra, ''].join('\n');
const ID = crypto.randomUUID();

function payloadOf(text: string, launchers: Launchers): ConfigPayload {
  return { svc: 'svc1', text, checksum: configChecksum(text), launchers, digest: payloadDigest(text, launchers) };
}

async function receiver(scope: TestScope): Promise<{ n: Node; deps: ReceiveDeps; receive: (p: ConfigPayload) => ReturnType<typeof receiveConfig>; events: () => string[] }> {
  const n = await node(scope, 'node2');
  const sink = await openEventSink(n.paths, n.env);
  scope.defer('event sink', () => sink.close());
  const deps: ReceiveDeps = { paths: n.paths, node: 'node2', sink, svcmgrPath: '/usr/bin/svcmgr', driverFor, signal: AbortSignal.timeout(30_000) };
  const events = () => (fs.existsSync(n.paths.spool) ? fs.readFileSync(n.paths.spool, 'utf8').split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { type: string }).type) : []);
  return { n, deps, receive: (p) => receiveConfig(deps, 'svc1', JSON.parse(JSON.stringify(p)), 'node1'), events };
}

/** Every path under dir with what it is: the whole state a refused push must leave as it was. */
function snapshot(dir: string): string[] {
  const out: string[] = [];
  const walk = (p: string) => {
    const st = fs.lstatSync(p);
    if (st.isSymbolicLink()) out.push(`${p} -> ${fs.readlinkSync(p)}`);
    else if (st.isDirectory()) {
      out.push(`${p}/ ${(st.mode & 0o7777).toString(8)}`);
      for (const e of fs.readdirSync(p).sort()) walk(path.join(p, e));
    } else out.push(`${p} ${(st.mode & 0o7777).toString(8)} ${fs.readFileSync(p, 'base64')}`);
  };
  walk(dir);
  return out;
}

describe('a pushed config is written by root: modes masked, no symlink followed, <svc>.d kept to the service', () => {
  const scope = useTestScope();

  test('a pushed 04755 launcher lands 0755 root-owned, group/other-writable ones lose those bits, and the result says so', async () => {
    const n1 = await node(scope(), 'node1');
    const dir1 = path.join(n1.paths.etc, 'svc1.dir');
    fs.mkdirSync(path.join(dir1, 'lib'), { recursive: true });
    fs.symlinkSync('svc1.dir', path.join(n1.paths.etc, 'svc1.d'));
    const files = { launcher: 0o4755, 'lib/helper': 0o2775, 'lib/env': 0o666, 'lib/plain': 0o640 } as const;
    for (const [f, mode] of Object.entries(files)) {
      fs.writeFileSync(path.join(dir1, f), `#!/bin/sh\n# ${f}\n`);
      fs.chmodSync(path.join(dir1, f), mode);
    }
    const text = confText();
    const sent = buildPayload(n1.paths, 'svc1', text);
    expect(sent.launchers.kind === 'dir' && sent.launchers.files.map((f) => [f.path, f.mode])).toEqual([
      ['launcher', 0o4755],
      ['lib/env', 0o666],
      ['lib/helper', 0o2775],
      ['lib/plain', 0o640],
    ]);

    const { n, receive, events } = await receiver(scope());
    const notes = [
      'launcher "svc1.dir/launcher": mode 4755 masked to 0755 (setuid dropped)',
      'launcher "svc1.dir/lib/env": mode 0666 masked to 0644 (group write, other write dropped)',
      'launcher "svc1.dir/lib/helper": mode 2775 masked to 0755 (setgid, group write dropped)',
    ];
    expect(await receive(sent)).toEqual({ ok: true, result: 'created', checksum: configChecksum(text), node: 'node2', notes });
    const dir2 = path.join(n.paths.etc, 'svc1.dir');
    const landed = Object.keys(files).map((f) => {
      const st = fs.statSync(path.join(dir2, f));
      return [f, st.mode & 0o7777, st.uid];
    });
    expect(landed).toEqual([
      ['launcher', 0o755, 0],
      ['lib/helper', 0o755, 0],
      ['lib/env', 0o644, 0],
      ['lib/plain', 0o640, 0],
    ]);
    expect(fs.readFileSync(path.join(dir2, 'launcher'), 'utf8')).toBe('#!/bin/sh\n# launcher\n');
    expect(events()).toEqual(['ServiceCreated', 'InstanceFrozen']);

    // the same push again: nothing new to record, the modes are masked again and said again
    expect(await receive(sent)).toEqual({ ok: true, result: 'unchanged', checksum: configChecksum(text), node: 'node2', notes });
    expect(fs.statSync(path.join(dir2, 'launcher')).mode & 0o7777).toBe(0o755);
  });

  test('a symlink this node has in svc1.dir is never written through: refused, saying which, the outside file unchanged', async () => {
    const outside = await createTempDir(scope());
    const target = path.join(outside, 'target');
    fs.writeFileSync(target, 'outside, untouched\n', { mode: 0o644 });
    const text = confText();
    const push = payloadOf(text, { kind: 'dir', files: [{ path: 'launcher', mode: 0o755, content: Buffer.from('#!/bin/sh\necho pushed\n').toString('base64') }] });
    const nested = payloadOf(text, { kind: 'dir', files: [{ path: 'sub/launcher', mode: 0o755, content: Buffer.from('#!/bin/sh\n').toString('base64') }] });

    const { n, receive, events } = await receiver(scope());
    const dir = path.join(n.paths.etc, 'svc1.dir');
    fs.mkdirSync(dir);

    // the launcher itself is a link to a file outside
    fs.symlinkSync(target, path.join(dir, 'launcher'));
    let before = snapshot(n.paths.etc);
    expect(await receive(push)).toEqual({
      ok: false,
      status: 409,
      reason: `svc1 files not written on node2: ${dir}/launcher is a symlink (to ${target}): a sync never writes through a link, remove it on this node first`,
    });
    expect(fs.readFileSync(target, 'utf8')).toBe('outside, untouched\n');
    expect(snapshot(n.paths.etc)).toEqual(before);
    fs.rmSync(path.join(dir, 'launcher'));

    // a directory on the way is a link to a directory outside
    fs.symlinkSync(outside, path.join(dir, 'sub'));
    before = snapshot(n.paths.etc);
    expect(await receive(nested)).toEqual({
      ok: false,
      status: 409,
      reason: `svc1 files not written on node2: ${dir}/sub is a symlink (to ${outside}): a sync never writes through a link, remove it on this node first`,
    });
    expect(fs.readdirSync(outside)).toEqual(['target']);
    expect(snapshot(n.paths.etc)).toEqual(before);
    fs.rmSync(path.join(dir, 'sub'));

    // svc1.dir itself is a link to a directory outside
    fs.rmdirSync(dir);
    fs.symlinkSync(outside, dir);
    before = snapshot(n.paths.etc);
    expect(await receive(push)).toEqual({
      ok: false,
      status: 409,
      reason: `svc1 files not written on node2: ${dir} is a symlink (to ${outside}): a sync never writes through a link, remove it on this node first`,
    });
    expect(fs.readdirSync(outside)).toEqual(['target']);
    expect(snapshot(n.paths.etc)).toEqual(before);
    expect(events()).toEqual([]);
    fs.rmSync(dir);
    fs.mkdirSync(dir);

    // a link planted at the temp file's name is removed, not written through; the push goes through
    fs.symlinkSync(target, path.join(dir, `.launcher.${process.pid}.sync.tmp`));
    expect(await receive(push)).toMatchObject({ ok: true, result: 'created', notes: [] });
    expect(fs.readFileSync(target, 'utf8')).toBe('outside, untouched\n');
    expect(fs.readFileSync(path.join(dir, 'launcher'), 'utf8')).toBe('#!/bin/sh\necho pushed\n');
    expect(fs.readdirSync(dir)).toEqual(['launcher']);
  });

  test('svc1.d -> /usr/bin is refused with a 403 and nothing written; a link into svc1.dir or the service filesystem is taken', async () => {
    const { n, receive, events } = await receiver(scope());
    const text = confText();
    const reason = (t: string, resolved: string) =>
      `svc1.d -> ${t} refused by node2, nothing written: it resolves to ${resolved}, outside the service's launcher directory and filesystems (allowed: ${n.paths.etc}/svc1.dir, /srv/svc1/data/...)`;

    const before = snapshot(n.paths.etc);
    for (const [t, resolved] of [
      ['/usr/bin', '/usr/bin'],
      ['/srv/svc1/data/../../../usr/bin', '/usr/bin'],
      ['../../../../../../../../usr/bin', '/usr/bin'],
      ['/srv/svc1/database', '/srv/svc1/database'],
    ] as const) {
      expect(await receive(payloadOf(text, { kind: 'link', target: t }))).toEqual({ ok: false, status: 403, reason: reason(t, resolved) });
    }
    expect(snapshot(n.paths.etc)).toEqual(before);
    expect(events()).toEqual([]);

    // the tutorial's move of the launchers into the service filesystem
    expect(await receive(payloadOf(text, { kind: 'link', target: '/srv/svc1/data/init.d' }))).toMatchObject({ ok: true, result: 'created' });
    expect(fs.readlinkSync(path.join(n.paths.etc, 'svc1.d'))).toBe('/srv/svc1/data/init.d');

    // once there, a push pointing it elsewhere changes nothing
    const there = snapshot(n.paths.etc);
    const changed = confText('start = 10');
    expect(await receive(payloadOf(changed, { kind: 'link', target: '/usr/bin' }))).toMatchObject({ ok: false, status: 403 });
    expect(snapshot(n.paths.etc)).toEqual(there);
    expect(events()).toEqual(['ServiceCreated', 'InstanceFrozen']);

    // back to its own svc1.dir, given as the relative link create makes
    expect(await receive(payloadOf(changed, { kind: 'link', target: 'svc1.dir' }))).toMatchObject({ ok: true, result: 'changed' });
    expect(fs.readlinkSync(path.join(n.paths.etc, 'svc1.d'))).toBe('svc1.dir');
  });

  test('a sender name with control characters is echoed escaped, on one line', async () => {
    const { deps } = await receiver(scope());
    const r = await receiveConfig(deps, 'svc1', payloadOf(confText(), { kind: 'none' }), 'node\n\x1b[31mnode1');
    expect(r).toEqual({ ok: false, status: 409, reason: '"node\\n\\u001b[31mnode1" (the sender) is not in svc1 nodes or drpnodes: refused by node2' });
    const bad = await receiveConfig(deps, 'svc1\n', payloadOf(confText(), { kind: 'none' }), 'node1');
    expect(bad).toMatchObject({ ok: false, status: 400, reason: expect.stringMatching(/^service name "svc1\\n" is invalid: /) });
  });
});
