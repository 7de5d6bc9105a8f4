import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, test } from '@jest/globals';
import { useTestScope } from '../../support/jest.js';
import { trackPid } from '../../support/process.js';
import { attachLoop, createImageFile } from '../../support/loop.js';
import { createTempDir } from '../../support/tmp.js';
import type { TestScope } from '../../support/scope.js';
import { waitFor } from '../../support/wait.js';
import type { StoredEvent } from '../../../adapters/nats/eventStore.js';
import { REPO, ensureBuilt, eventsOf, sleepAppLauncher, sleepAppRunning, type DaemonNode } from '../daemon/support.js';
import { clusterPair } from './support.js';

/**
 * Node loss with two daemons on this machine (node1 on 127.0.0.1, node2 on
 * 127.0.0.2), a failover service of one monitored app: node1 "loses power"
 * (its daemon, nats-server and app killed at once). With a disk heartbeat on
 * a shared loop device, node2 has proof and takes the service over; with the
 * unicast heartbeat only it has none, and says so instead.
 */

function haService(nodes: readonly DaemonNode[], id: string): void {
  for (const n of nodes) {
    const dir = path.join(n.paths.etc, 'svc1.dir');
    fs.mkdirSync(dir, { recursive: true });
    if (!fs.existsSync(path.join(n.paths.etc, 'svc1.d'))) fs.symlinkSync('svc1.dir', path.join(n.paths.etc, 'svc1.d'));
    fs.writeFileSync(path.join(dir, 'weblauncher'), `#!/bin/bash\n${sleepAppLauncher(path.join(n.root, 'web.pid'))}\n`, { mode: 0o755 });
    fs.writeFileSync(
      path.join(n.paths.etc, 'svc1.conf'),
      ['[DEFAULT]', `id = ${id}`, 'nodes = node1 node2', 'orchestrate = ha', 'monitor_schedule = 1s', '', '[app#web]', 'monitor = True', 'script = weblauncher', 'start = 10', 'check = 10', 'stop = 90', ''].join('\n'),
    );
  }
}

/**
 * With HASVC_RECORD_FIXTURES=1, a node's log after the scenario is written to
 * test/fixtures/logs/<name>.jsonl: the decision replay corpus (every
 * orchestrator decision in it is replayed through today's decide in CI).
 */
async function recordFixture(name: string, node: string, about: string, events: readonly StoredEvent[]): Promise<void> {
  if (process.env.HASVC_RECORD_FIXTURES !== '1') return;
  const file = path.join(REPO, 'test/fixtures/logs', `${name}.jsonl`);
  const meta = { fixture: { node, readyPeriodMs: 5000, about } };
  fs.writeFileSync(file, [meta, ...events.map((e) => ({ streamSeq: e.streamSeq, event: e.event }))].map((x) => JSON.stringify(x)).join('\n') + '\n');
}

const running = (n: DaemonNode) => sleepAppRunning(path.join(n.root, 'web.pid'));
const appPid = (n: DaemonNode) => Number(fs.readFileSync(path.join(n.root, 'web.pid'), 'utf8'));

/** A 2 MiB loop device, the shared disk of the disk heartbeat; detached at the end of the test. */
async function sharedDisk(scope: TestScope): Promise<string> {
  return attachLoop(scope, await createImageFile(await createTempDir(scope), 2, 'hb.img'));
}

/** node1 and node2 joined, svc1 thawed and running on node1. */
async function runningOnNode1(scope: TestScope, o: { disk?: string }) {
  const pair = await clusterPair(scope, { interval: 1, timeout: 3 });
  const { n1, n2, listenerPort, secret } = pair;
  if (o.disk) fs.appendFileSync(n1.paths.clusterConf, ['', '[hb#2]', 'type = disk', `dev = ${o.disk}`, 'interval = 1', 'timeout = 3', ''].join('\n'));
  await n1.start();
  await n2.start();
  expect((await n2.nodemgr(['daemon', 'join', '--secret', secret, '--node', 'node1', '--addr', `127.0.0.1:${listenerPort}`])).exitCode).toBe(0);
  trackPid(scope, n2.daemonPid()!, true);
  haService([n1, n2], crypto.randomUUID());
  // a config change through the CLI on each node: the log carries the content each decides with (the decision replay corpus needs it)
  for (const n of [n1, n2]) expect((await n.svcmgr(['-s', 'svc1', 'set', '--kw', 'DEFAULT.comment=takeover test'])).exitCode).toBe(0);
  expect((await n1.svcmgr(['-s', 'svc1', 'thaw'])).exitCode).toBe(0);
  await waitFor('svc1 started on node1', () => running(n1), 30_000);
  trackPid(scope, appPid(n1));
  await waitFor('node2 knows svc1 runs on node1', async () => (await n2.status()).services.find((s) => s.name === 'svc1')?.instances.find((i) => i.node === 'node1')?.avail === 'up', 20_000);
  return pair;
}

/** node1 loses power: its daemon and nats-server (one process group) and its app, at once. */
function powerLoss(n1: DaemonNode): number {
  const app = appPid(n1);
  process.kill(-n1.daemonPid()!, 'SIGKILL');
  process.kill(app, 'SIGKILL');
  return Date.now();
}

describe('node loss: a takeover with proof, none without', () => {
  const scope = useTestScope();
  beforeAll(() => ensureBuilt(), 240_000);

  test('with a disk heartbeat: node1 powered off, node2 has proof and takes svc1 over, saying why', async () => {
    const disk = await sharedDisk(scope());
    const { n1, n2 } = await runningOnNode1(scope(), { disk });
    const s = await n2.status();
    expect(s.threads.find((t) => t.name === 'hb#2.rx')).toMatchObject({ state: 'running', peers: { node1: 'O', node2: '/' } });
    expect(s.warnings ?? []).toEqual([]);

    const at = powerLoss(n1);
    await waitFor('svc1 taken over by node2', () => running(n2), 30_000);
    const tookMs = Date.now() - at;
    trackPid(scope(), appPid(n2));
    const all = await n2.events();
    const lost = eventsOf(all, 'PeerStateChanged').filter((e) => e.origin === 'node2' && e.type === 'PeerStateChanged' && e.data.node === 'node1').map((e) => e.data);
    expect(lost.at(-1)).toMatchObject({ node: 'node1', to: 'down', why: expect.stringContaining('hb#2 (disk)') });
    const start = eventsOf(all, 'ActionStarted', 'svc1').filter((e) => e.origin === 'node2').at(-1);
    expect(start?.data).toMatchObject({ action: 'start', user: 'orchestrator', argv: ['orchestrator', 'start', '--takeover', 'node1'], reason: expect.stringMatching(/^node1 down \(no beat on hb#2 \(disk\) nor hb#1: proven down\): taking over/) });
    expect((await n2.status()).nodes.find((x) => x.name === 'node1')?.state).toBe('down');
    // shown where an operator looks: node1's instance unknown, not up
    const mon = (await n2.svcmon()).stdout;
    expect(mon).toMatch(/^ {2}state +\| X/m);
    expect(mon).toMatch(/^ svc1 .*\| \? +O/m);
    process.stdout.write(`takeover after power loss, disk heartbeat interval 1s timeout 3s: app running on node2 ${tookMs} ms after the fault\n`);
    await recordFixture('takeover-disk-power-loss', 'node2', 'node1 loses power; node2 proves it down on the disk heartbeat and takes svc1 over', await n2.events());
    await n2.stop();
  }, 120_000);

  test('with a disk heartbeat: node1 back after the takeover runs nothing and stops nothing; node2 keeps svc1 (rule 10)', async () => {
    const disk = await sharedDisk(scope());
    const { n1, n2 } = await runningOnNode1(scope(), { disk });
    powerLoss(n1);
    await waitFor('svc1 taken over by node2', () => running(n2), 30_000);
    trackPid(scope(), appPid(n2));
    const tookOver = (await n2.events()).length;

    // node1 comes back: its log still says svc1 runs there, from before the loss
    await n1.start();
    await waitFor('node2 sees node1 up again', async () => (await n2.status()).nodes.find((x) => x.name === 'node1')?.state === 'up', 30_000);
    await waitFor('node1\'s first status check since its start, in node2\'s log', async () => {
      const after = (await n2.events()).slice(tookOver);
      const started = after.findIndex((e) => e.event.origin === 'node1' && e.event.type === 'DaemonStarted');
      return started >= 0 && after.slice(started).some((e) => e.event.origin === 'node1' && e.event.type === 'InstanceStatusChanged' && e.event.svc === 'svc1');
    }, 30_000);
    // three heartbeat timeouts: nothing moves
    const until = Date.now() + 9000;
    while (Date.now() < until) {
      expect(running(n2)).toBe(true);
      expect(running(n1)).toBe(false);
      await new Promise((r) => setTimeout(r, 250));
    }
    const after = (await n2.events()).slice(tookOver).map((e) => e.event);
    expect(after.filter((e) => e.type === 'ActionStarted' && e.svc === 'svc1').map((e) => `${e.origin} ${String((e.data as { action: string }).action)}`)).toEqual([]);
    const check = after.filter((e) => e.origin === 'node1' && e.type === 'InstanceStatusChanged' && e.svc === 'svc1').at(-1);
    expect(check?.data).toMatchObject({ avail: 'down' });
    await recordFixture('power-loss-return-disk', 'node2', 'node1 loses power, node2 takes svc1 over; node1 comes back with its log saying svc1 runs there: node2 keeps it, node1 starts nothing', await n2.events());
    await n2.stop();
    await n1.stop();
  }, 150_000);

  test('with a disk heartbeat: node1\'s daemon stopped for an upgrade (its services running) is not taken for dead: node2 does not take svc1 over', async () => {
    const disk = await sharedDisk(scope());
    const { n1, n2 } = await runningOnNode1(scope(), { disk });
    expect((await n1.nodemgr(['daemon', 'stop'])).exitCode).toBe(0);
    await waitFor(
      'node2 says why it does not take svc1 over',
      async () => (await n2.status()).warnings?.some((w) => w.startsWith('svc1: running on node1 as last heard; node1 lost, no proof it is down (its daemon stopped')) === true,
      20_000,
    );
    expect(running(n1)).toBe(true);
    expect(running(n2)).toBe(false);
    expect(eventsOf(await n2.events(), 'ActionStarted', 'svc1').filter((e) => e.origin === 'node2')).toEqual([]);
    await n2.stop();
    await n1.svcmgr(['-s', 'svc1', 'stop', '--local']);
  }, 120_000);

  test('unicast only: node1 powered off is lost, not proven down: node2 does not take svc1 over and says why', async () => {
    const { n1, n2 } = await runningOnNode1(scope(), {});
    expect((await n2.status()).warnings?.[0]).toMatch(/^a cluster of 2 nodes with no disk heartbeat and no quorum/);
    powerLoss(n1);
    // the decision that leaves it down, as the operator reads it
    await waitFor(
      'node2 says why it does not take svc1 over',
      async () => (await n2.status()).warnings?.some((w) => w.startsWith('svc1: running on node1 as last heard; node1 lost, no proof it is down')) === true,
      20_000,
    );
    const mon = (await n2.svcmon()).stdout;
    expect(mon).toMatch(/! svc1: running on node1 as last heard; node1 lost, no proof it is down \(silent on hb#1, no disk heartbeat or quorum to prove it down\): not taking over svc1/);
    expect(running(n2)).toBe(false);
    expect(eventsOf(await n2.events(), 'ActionStarted', 'svc1').filter((e) => e.origin === 'node2')).toEqual([]);
    await n2.stop();
  }, 120_000);

  test('a disk heartbeat added to a running cluster: the warning that a silent node is never proven down goes', async () => {
    const { n1, n2, listenerPort, secret } = await clusterPair(scope(), { interval: 1, timeout: 3 });
    await n1.start();
    await n2.start();
    expect((await n2.nodemgr(['daemon', 'join', '--secret', secret, '--node', 'node1', '--addr', `127.0.0.1:${listenerPort}`])).exitCode).toBe(0);
    trackPid(scope(), n2.daemonPid()!, true);
    const noProof = (w: readonly string[] | undefined) => w?.some((x) => x.startsWith('a cluster of 2 nodes with no disk heartbeat')) === true;
    await waitFor('node2 warns that a silent node is never proven down', async () => noProof((await n2.status()).warnings), 20_000);
    const disk = await sharedDisk(scope());
    fs.appendFileSync(n2.paths.clusterConf, ['', '[hb#2]', 'type = disk', `dev = ${disk}`, 'interval = 1', 'timeout = 3', ''].join('\n'));
    await waitFor('node2 no longer warns so, its daemon not restarted', async () => !noProof((await n2.status()).warnings), 20_000);
    await n2.stop();
    await n1.stop();
  }, 120_000);

  test('quorum on, node2 gone and no arbitrator: node1 holds 1 of 2 votes and runs its split action (crash refused here: freezestop)', async () => {
    const { n1, n2 } = await runningOnNode1(scope(), {});
    expect((await n1.nodemgr(['set', '--param', 'cluster.quorum', '--value', 'true'])).exitCode).toBe(0);
    process.kill(-n2.daemonPid()!, 'SIGKILL');
    await waitFor('svc1 stopped on node1 by the split action', () => !running(n1), 30_000);
    const all = await n1.events();
    expect(eventsOf(all, 'QuorumChanged').map((e) => e.data).at(-1)).toEqual({ held: false, votes: 1, total: 2 });
    const split = eventsOf(all, 'SplitActionRan').map((e) => e.data);
    expect(split).toEqual([
      { action: 'crash', done: 'crash', reason: 'quorum lost: 1 of 2 votes' },
      { action: 'crash', done: 'freezestop', reason: 'quorum lost: 1 of 2 votes; crash refused: HASVC_NO_HOST_ACTIONS is set on this node' },
    ]);
    expect(eventsOf(all, 'NodeFrozen').filter((e) => e.origin === 'node1').length).toBeGreaterThan(0);
    await n1.stop();
  }, 120_000);
});

