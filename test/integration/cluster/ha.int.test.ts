import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, test } from '@jest/globals';
import { useTestScope } from '../../support/jest.js';
import { trackPid } from '../../support/process.js';
import { waitFor } from '../../support/wait.js';
import type { StoredEvent } from '../../../adapters/nats/eventStore.js';
import { agentLog, ensureBuilt, eventsOf, sleepAppLauncher, sleepAppRunning, waitForEvents, type DaemonNode } from '../daemon/support.js';
import { clusterPair } from './support.js';

/** The same service config on both nodes (as sync nodes would leave it), each launcher keeping its pid in its node's root. */
function haService(nodes: readonly DaemonNode[], id: string): void {
  for (const n of nodes) {
    const dir = path.join(n.paths.etc, 'svc1.dir');
    fs.mkdirSync(dir, { recursive: true });
    if (!fs.existsSync(path.join(n.paths.etc, 'svc1.d'))) fs.symlinkSync('svc1.dir', path.join(n.paths.etc, 'svc1.d'));
    const pidf = path.join(n.root, 'web.pid');
    fs.writeFileSync(path.join(dir, 'weblauncher'), `#!/bin/bash\n${sleepAppLauncher(pidf)}\n`, { mode: 0o755 });
    fs.writeFileSync(
      path.join(n.paths.etc, 'svc1.conf'),
      ['[DEFAULT]', `id = ${id}`, 'nodes = node1 node2', 'orchestrate = ha', 'monitor_schedule = 1s', '', '[app#web]', 'monitor = True', 'script = weblauncher', 'start = 10', 'check = 10', 'stop = 90', ''].join('\n'),
    );
  }
}

const running = (n: DaemonNode) => sleepAppRunning(path.join(n.root, 'web.pid'));

describe('orchestrate = ha on two nodes', () => {
  const scope = useTestScope();
  beforeAll(() => ensureBuilt(), 240_000);

  test('svc1 thaw on node1 thaws both; node1 starts it; its monitored app killed, the service moves to node2; killed there too, it comes back to node1', async () => {
    const { n1, n2, listenerPort, secret } = await clusterPair(scope(), { timeout: 6, interval: 1 });
    await n1.start();
    await n2.start();
    const joined = await n2.nodemgr(['daemon', 'join', '--secret', secret, '--node', 'node1', '--addr', `127.0.0.1:${listenerPort}`]);
    expect(joined.exitCode).toBe(0);
    trackPid(scope(), n2.daemonPid()!, true);
    haService([n1, n2], crypto.randomUUID());

    // frozen (new) everywhere: once each daemon has applied its first status check of svc1 and its
    // orchestrator has said why it does not act, nobody started it
    for (const n of [n1, n2]) {
      const own = (a: readonly StoredEvent[]) => a.find((x) => x.event.type === 'SchedulerJobRan' && x.event.svc === 'svc1' && x.event.origin === n.node);
      const checked = own(await waitForEvents(n, `svc1's status checked on ${n.node}`, (a) => own(a) !== undefined, 20_000))!;
      await waitFor(`${n.node} to apply it`, async () => (await n.status()).lastSeq >= checked.streamSeq, 10_000);
      await waitFor(`${n.node}'s orchestrator to leave svc1 alone`, () => agentLog(n).some((l) => l.msg === 'orchestrator: not acting' && l.svc === 'svc1' && String(l.reason).includes('frozen')), 10_000);
      expect(eventsOf(await n.events(), 'ActionStarted', 'svc1').filter((e) => e.origin === n.node)).toEqual([]);
    }
    expect(running(n1) || running(n2)).toBe(false);

    const thaw = await n1.svcmgr(['-s', 'svc1', 'thaw']);
    expect(thaw.stderr).toBe('');
    expect(thaw.exitCode).toBe(0);
    await waitFor('svc1 started on node1', () => running(n1), 30_000);
    trackPid(scope(), Number(fs.readFileSync(path.join(n1.root, 'web.pid'), 'utf8')));
    expect(running(n2)).toBe(false);
    const all1 = await n1.events();
    const start1 = eventsOf(all1, 'ActionStarted', 'svc1').find((e) => e.origin === 'node1')!;
    expect(start1.data).toMatchObject({ action: 'start', user: 'orchestrator' });
    // what node1's log holds: its first start comes after its thaw
    expect(start1.seq).toBeGreaterThan(eventsOf(all1, 'InstanceThawed', 'svc1').find((e) => e.origin === 'node1')!.seq);

    // the app dies behind the agent's back: node1 stops svc1, node2 takes it over
    process.kill(Number(fs.readFileSync(path.join(n1.root, 'web.pid'), 'utf8')), 'SIGKILL');
    const killed1 = Date.now();
    await waitFor('svc1 started on node2', () => running(n2), 45_000);
    const moved1 = Date.now() - killed1;
    trackPid(scope(), Number(fs.readFileSync(path.join(n2.root, 'web.pid'), 'utf8')));
    const all = await n2.events();
    const relocation = eventsOf(all, 'ActionStarted', 'svc1').find((e) => e.origin === 'node1' && e.type === 'ActionStarted' && e.data.relocation === true);
    expect(relocation?.data).toMatchObject({ action: 'stop', reason: 'monitored resource app#web down: stopping to relocate' });
    const start2 = eventsOf(all, 'ActionStarted', 'svc1').find((e) => e.origin === 'node2');
    expect(start2?.data).toMatchObject({ action: 'start', user: 'orchestrator', reason: expect.stringMatching(/^not running on any live node: node2 is first of node2, node1 \(penalised: node1 relocated away \d+s ago\)$/) });
    expect(start2!.seq).toBeGreaterThan(eventsOf(all, 'InstanceThawed', 'svc1').find((e) => e.origin === 'node2')!.seq);
    expect(running(n1)).toBe(false);

    // the app dies on node2 too: node2 stops svc1, and node1, penalised longest ago, starts it again
    // (it used to stay down everywhere: "no node can start it")
    process.kill(Number(fs.readFileSync(path.join(n2.root, 'web.pid'), 'utf8')), 'SIGKILL');
    const killed2 = Date.now();
    await waitFor('svc1 started on node1 again', () => running(n1), 45_000);
    const moved2 = Date.now() - killed2;
    trackPid(scope(), Number(fs.readFileSync(path.join(n1.root, 'web.pid'), 'utf8')));
    expect(running(n2)).toBe(false);
    const after = await n1.events();
    const stop2 = eventsOf(after, 'ActionStarted', 'svc1').find((e) => e.origin === 'node2' && e.type === 'ActionStarted' && e.data.relocation === true);
    expect(stop2?.data).toMatchObject({ action: 'stop', reason: 'monitored resource app#web down: stopping to relocate' });
    const starts1 = eventsOf(after, 'ActionStarted', 'svc1').filter((e) => e.origin === 'node1' && e.type === 'ActionStarted' && e.data.action === 'start');
    expect(starts1).toHaveLength(2);
    expect(starts1[1]!.data).toMatchObject({
      user: 'orchestrator',
      reason: expect.stringMatching(/^not running on any live node: node1 is first of node1, node2 \(penalised: node1 relocated away \d+s ago, node2 relocated away \d+s ago\)$/),
    });
    process.stdout.write(`ha.int: app killed on node1 -> up on node2 in ${moved1} ms; killed on node2 -> up on node1 in ${moved2} ms\n`);
    await n1.svcmgr(['-s', 'svc1', 'freeze']);
    await n1.svcmgr(['-s', 'svc1', 'stop', '--local']);
    await n1.stop();
    await n2.stop();
  }, 120_000);
});
