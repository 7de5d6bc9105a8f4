import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, test } from '@jest/globals';
import type { NatsEndpoint } from '../../../adapters/nats/connect.js';
import { EventStore } from '../../../adapters/nats/eventStore.js';
import { NatsServerSupervisor, freePort } from '../../../adapters/nats/server.js';
import { loadClusterIdentity } from '../../../src/config/identity.js';
import { natsTarget } from '../../../src/events/natsTarget.js';
import { useTestScope } from '../../support/jest.js';
import { trackPid } from '../../support/process.js';
import { waitFor } from '../../support/wait.js';
import { daemonNode, ensureBuilt, eventsOf, sleepAppLauncher, sleepAppRunning, waitForEvents, type DaemonNode } from './support.js';

/** The audit stream's last sequence: through the daemon's server, or (daemon down) a reader server of the test's own on the node's store. */
async function streamLastSeq(n: DaemonNode, root: string): Promise<number> {
  const cluster = loadClusterIdentity(n.paths).name;
  const target = natsTarget(n.paths);
  const lastSeq = async (endpoint: NatsEndpoint) => {
    const store = await EventStore.open({ ...endpoint, cluster, limits: target.limits, connectTimeoutMs: 2000 });
    try {
      return (await store.jsm.streams.info(store.auditStream)).state.last_seq;
    } finally {
      await store.close();
    }
  };
  if (n.daemonPid() !== undefined) return lastSeq(target.endpoint);
  const reader = new NatsServerSupervisor({ dir: n.paths.natsDir, port: await freePort(), serverName: 'test_reader', logFile: path.join(root, 'test-reader.log') });
  await reader.start();
  try {
    return await lastSeq(reader.endpoint);
  } finally {
    await reader.stop();
  }
}

/** Every file under dir (its path relative to dir) with its bytes (latin1: one character per byte, readable in a diff). */
function filesUnder(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    if (!fs.existsSync(d)) return;
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out[path.relative(dir, p)] = fs.readFileSync(p).toString('latin1');
    }
  };
  walk(dir);
  return out;
}

/** What a read must leave as it was: the log, the spool (and its sequence), the status files, the configs. */
async function fingerprint(n: DaemonNode, root: string) {
  return {
    lastSeq: await streamLastSeq(n, root),
    spool: filesUnder(path.dirname(n.paths.spool)),
    status: filesUnder(path.join(n.paths.var, 'services')),
    etc: filesUnder(n.paths.etc),
  };
}

const READS: readonly (readonly ['svcmgr' | 'nodemgr' | 'svcmon', readonly string[]])[] = [
  ['svcmgr', ['-s', 'svc1', 'print', 'status', '--color', 'no']],
  ['svcmgr', ['-s', 'svc1', 'print', 'status', '--format', 'json']],
  ['svcmgr', ['-s', 'nosuch', 'print', 'status']],
  ['svcmgr', ['-s', 'svc1', 'print', 'config']],
  ['svcmgr', ['-s', 'svc1', 'print', 'config', '--format', 'json']],
  ['svcmgr', ['-s', 'svc1', 'print', 'history']],
  ['svcmgr', ['-s', 'svc1', 'get', '--kw', 'DEFAULT.nodes']],
  ['svcmgr', ['-s', 'svc1', 'validate', 'config']],
  ['svcmon', []],
  ['svcmon', ['-s', 'svc1', '--format', 'json']],
  ['nodemgr', ['print', 'config']],
  ['nodemgr', ['get', '--param', 'cluster.name']],
  ['nodemgr', ['validate', 'config']],
  ['nodemgr', ['daemon', 'status']],
];

async function runReads(n: DaemonNode): Promise<Map<string, { exitCode: number; stdout: string; stderr: string }>> {
  const out = new Map<string, { exitCode: number; stdout: string; stderr: string }>();
  for (const [prog, args] of READS) {
    const r = prog === 'svcmgr' ? await n.svcmgr(args) : prog === 'nodemgr' ? await n.nodemgr(args) : await n.svcmon(args);
    out.set(`${prog} ${args.join(' ')}`, r);
  }
  return out;
}

describe('read-only commands write nothing', () => {
  const scope = useTestScope();
  beforeAll(() => ensureBuilt(), 240_000);

  test('print status, print config, print history, get, validate config, svcmon, daemon status: the log, the spool and the status files unchanged, daemon up and down', async () => {
    const n = await daemonNode(scope());
    const appPid = path.join(n.root, 'app.pid');
    // no scheduled status checks: whatever is appended while the reads run, they appended it
    n.writeAppService('svc1', sleepAppLauncher(appPid), { defaults: { status_schedule: '@0' } });
    await n.start();
    expect((await n.svcmgr(['-s', 'svc1', 'start', '--local'])).exitCode).toBe(0);
    trackPid(scope(), Number(fs.readFileSync(appPid, 'utf8')));
    await waitForEvents(n, 'ListenerStarted and the start of svc1', (a) => eventsOf(a, 'ListenerStarted').length === 1 && eventsOf(a, 'ActionFinished', 'svc1').length === 1);

    const up0 = await fingerprint(n, n.root);
    const up = await runReads(n);
    expect(await fingerprint(n, n.root)).toEqual(up0);
    const statusUp = up.get('svcmgr -s svc1 print status --color no')!;
    expect(statusUp).toMatchObject({ exitCode: 0, stderr: '' });
    expect(statusUp.stdout.split('\n')[0]).toBe('svc1                           up');
    expect(up.get('svcmgr -s nosuch print status')).toMatchObject({ exitCode: 1, stderr: expect.stringContaining('service nosuch does not exist') });
    expect([...up.entries()].filter(([k, r]) => r.exitCode !== 0 && !k.includes('nosuch')).map(([k]) => k)).toEqual([]);

    // daemon down, and the app killed behind the agent's back: print status shows it down, records nothing, and says so
    await n.stop();
    process.kill(Number(fs.readFileSync(appPid, 'utf8')), 'SIGKILL');
    await waitFor('the app dead', () => !sleepAppRunning(appPid), 5000);
    const down0 = await fingerprint(n, n.root);
    const down = await runReads(n);
    expect(await fingerprint(n, n.root)).toEqual(down0);
    const statusDown = down.get('svcmgr -s svc1 print status --color no')!;
    expect(statusDown.exitCode).toBe(0);
    expect(statusDown.stderr.trim().split('\n')).toEqual(['(daemon down: status probed now, not recorded)']);
    expect(statusDown.stdout.split('\n').slice(0, 3)).toEqual(['svc1                           down', '`- instances', expect.stringMatching(/^ {3}`- node1 {20}down {7}/)]);
    const json = JSON.parse(down.get('svcmgr -s svc1 print status --format json')!.stdout) as { avail: string };
    expect(json.avail).toBe('down');
    expect(down.get('svcmon ')).toMatchObject({ exitCode: 1 });
    expect(down.get('svcmgr -s svc1 print history')!.stdout).toContain('start finished');
  }, 120_000);
});
