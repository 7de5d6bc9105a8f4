import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, test } from '@jest/globals';
import type { StoredEvent } from '../../../adapters/nats/eventStore.js';
import type { AnyEvent } from '../../../domain/events.js';
import { useTestScope } from '../../support/jest.js';
import { waitFor } from '../../support/wait.js';
import { ensureBuilt, eventsOf, waitForEvents, type DaemonNode } from '../daemon/support.js';
import { running, runningOnNode1, track } from './gated.js';

/**
 * The operator's targets (OpenSVC's global expect) with two daemons:
 * svcmgr stop, start, switch, giveback, takeover and abort without --local
 * are recorded once and carried out by each node's orchestrator on its own
 * instance.
 */
/** The events of svc1 after `after` (an event id), in n's stream order. */
function since(all: readonly StoredEvent[], after: AnyEvent): AnyEvent[] {
  const at = all.findIndex((s) => s.event.id === after.id);
  return all.slice(at + 1).map((s) => s.event).filter((e) => e.svc === 'svc1');
}

const lastRequest = (all: readonly StoredEvent[]) => eventsOf(all, 'ServiceTargetRequested', 'svc1').at(-1)!;
const decisionOf = async (n: DaemonNode) => (await n.status()).services.find((s) => s.name === 'svc1')?.decision;
const svcmonLine = async (n: DaemonNode) => (await n.svcmon()).stdout.split('\n').find((l) => l.startsWith(' svc1'));

/** svc1 frozen and stopped on both nodes, then both daemons stopped. */
async function tearDown(n1: DaemonNode, n2: DaemonNode): Promise<void> {
  for (const n of [n1, n2]) await n.svcmgr(['-s', 'svc1', 'freeze']);
  for (const n of [n1, n2]) await n.svcmgr(['-s', 'svc1', 'stop', '--local']);
  await n1.stop();
  await n2.stop();
}

describe('targets: svcmgr start, stop, switch, takeover, giveback, abort through the daemons', () => {
  const scope = useTestScope();
  beforeAll(() => ensureBuilt(), 240_000);

  test('stop on a thawed ha service: frozen everywhere, stopped, and it stays stopped; start brings it back where placement says; refusals are one line', async () => {
    const { n1, n2 } = await runningOnNode1(scope());

    expect(await n1.svcmgr(['-s', 'svc1', 'stop', '--time', '5'])).toMatchObject({ exitCode: 2, stderr: 'stop: --time bounds --wait: add --wait' });
    const stop = await n1.svcmgr(['-s', 'svc1', 'stop', '--wait']);
    expect(stop).toMatchObject({ exitCode: 0, stdout: '', stderr: '' });
    expect(running(n1) || running(n2)).toBe(false);
    let all = await n1.events();
    const req = lastRequest(all);
    expect(req).toMatchObject({ origin: 'node1', data: { target: 'stopped', action: 'stop', by: expect.any(String) } });
    const after = since(all, req);
    // each node froze its own instance for the target, then node1 stopped it, then node1 recorded it reached
    expect(after.filter((e) => e.type === 'InstanceFrozen').map((e) => [e.origin, e.causation])).toEqual(expect.arrayContaining([['node1', req.id], ['node2', req.id]]));
    const stops = after.filter((e): e is Extract<AnyEvent, { type: 'ActionStarted' }> => e.type === 'ActionStarted');
    expect(stops.map((e) => [e.origin, e.data.action, e.data.user])).toEqual([['node1', 'stop', 'orchestrator']]);
    expect(stops[0]!.data.reason).toMatch(/^target stopped \(stop by \S+ on node1\): stopping node1$/);
    const reached = after.find((e) => e.type === 'ServiceTargetReached')!;
    expect(reached).toMatchObject({ origin: 'node1', causation: req.id, data: { of: req.id, target: 'stopped' } });

    // it stays stopped: once both orchestrators decided again after the target ended, nothing was started
    // (it used to be restarted by node1's orchestrator some 7 s after the stop)
    for (const n of [n1, n2]) await waitFor(`${n.node}'s orchestrator to leave svc1 frozen`, async () => (await decisionOf(n)) === 'instance frozen', 20_000);
    for (const n of [n1, n2]) expect(since(await n.events(), reached).filter((e) => e.type === 'ActionStarted')).toEqual([]);
    expect(await svcmonLine(n2)).toMatch(/^ svc1 +down\* +failover +\| X\* +X\*$/);

    // start, asked on node2: thawed everywhere, started on node1 (first in placement) after ready_period
    const start = await n2.svcmgr(['-s', 'svc1', 'start', '--wait']);
    expect(start).toMatchObject({ exitCode: 0, stdout: '', stderr: '' });
    expect(running(n1)).toBe(true);
    track(scope(), n1);
    expect(running(n2)).toBe(false);
    all = await n2.events();
    const startReq = lastRequest(all);
    expect(startReq).toMatchObject({ origin: 'node2', data: { target: 'started', action: 'start' } });
    const afterStart = since(all, startReq);
    expect(afterStart.filter((e) => e.type === 'InstanceThawed').map((e) => e.origin).sort()).toEqual(['node1', 'node2']);
    const started = afterStart.find((e) => e.type === 'ActionStarted')!;
    expect(started).toMatchObject({ origin: 'node1', data: { action: 'start', user: 'orchestrator', reason: expect.stringMatching(/^target started \(start by \S+ on node2\): node1 is first of node1, node2$/) } });
    expect(afterStart.find((e) => e.type === 'ServiceTargetReached')).toMatchObject({ origin: 'node2', data: { of: startReq.id, target: 'started' } });

    // refused in one line, nothing recorded
    const before = (await n1.events()).length;
    expect(await n1.svcmgr(['-s', 'svc1', 'switch', '--node', 'node3'])).toMatchObject({ exitCode: 1, stdout: '', stderr: "switch: node3 is not one of svc1's nodes (node1, node2)" });
    expect(await n1.svcmgr(['-s', 'svc1', 'switch'])).toMatchObject({ exitCode: 2, stderr: 'switch: --node NODE says where the service goes' });
    expect(await n1.svcmgr(['-s', 'svc1', 'abort'])).toMatchObject({ exitCode: 1, stderr: 'abort: svc1 has no target to abort' });
    expect(eventsOf((await n1.events()).slice(before), 'ServiceTargetRequested', 'svc1')).toEqual([]);
    expect((await n1.svcmgr(['-s', 'svc1', 'switch', '--help'])).stdout).toMatch(/^svcmgr switch: the service moved to --node NODE/);

    await n1.svcmgr(['-s', 'svc1', 'freeze']);
    await n1.svcmgr(['-s', 'svc1', 'stop', '--local']);
    await n1.stop();
    await n2.stop();
  }, 240_000);

  test('switch, giveback, takeover: shown as >placed@NODE while in progress; --wait says why it failed or is not reached; abort drops it', async () => {
    const { n1, n2 } = await runningOnNode1(scope());
    const gate1 = path.join(n1.root, 'gate');

    // node1's stop held at the gate: the switch is in progress, --wait gives up after --time, saying where it is
    fs.writeFileSync(gate1, '');
    const held = await n1.svcmgr(['-s', 'svc1', 'switch', '--node', 'node2', '--wait', '--time', '2']);
    expect(held.exitCode).toBe(1);
    expect(held.stderr).toMatch(/^svc1: target placed@node2 not reached in 2s: target placed@node2: node1 stopping in progress$/);
    expect(await svcmonLine(n2)).toMatch(/^ svc1 +up +failover +\| O stopping +X >placed@node2$/);
    const status = await n2.svcmgr(['-s', 'svc1', 'print', 'status', '--color', 'no']);
    expect(status.stdout.split('\n').find((l) => l.includes(' node2 '))).toMatch(/ down +idle, >placed@node2$/);
    fs.rmSync(gate1);
    await waitFor('svc1 running on node2', () => running(n2), 30_000);
    track(scope(), n2);
    const switched = await waitForEvents(n1, 'the switch reached', (a) => eventsOf(a, 'ServiceTargetReached', 'svc1').length === 1, 20_000);
    expect(eventsOf(switched, 'ServiceTargetReached', 'svc1')[0]).toMatchObject({ origin: 'node2', data: { target: 'placed@node2' } });
    expect(running(n1)).toBe(false);

    // giveback: back to the first node of its nodes
    expect(await n2.svcmgr(['-s', 'svc1', 'giveback', '--wait'])).toMatchObject({ exitCode: 0, stderr: '' });
    expect(running(n1) && !running(n2)).toBe(true);
    track(scope(), n1);

    // a takeover whose start fails on node2: --wait says so, and the ha rules take it from there (back on node1)
    fs.writeFileSync(path.join(n2.root, 'failstart'), '');
    const failed = await n2.svcmgr(['-s', 'svc1', 'takeover', '--wait']);
    expect(failed).toMatchObject({ exitCode: 1, stderr: 'svc1: target placed@node2 failed on node2: start failed on node2' });
    await waitFor('svc1 back on node1 by the ha rules', () => running(n1), 30_000);
    track(scope(), n1);
    fs.rmSync(path.join(n2.root, 'failstart'));
    expect(await n2.svcmgr(['-s', 'svc1', 'clear'])).toMatchObject({ exitCode: 0 });

    // abort, while node1's stop is held at the gate: the stop finishes, the target is gone, the ha rules start it again
    fs.writeFileSync(gate1, '');
    expect((await n2.svcmgr(['-s', 'svc1', 'takeover'])).exitCode).toBe(0);
    const takeover = lastRequest(await waitForEvents(n1, 'the takeover request', (a) => eventsOf(a, 'ServiceTargetRequested', 'svc1').length === 4));
    await waitForEvents(n1, "node1's stop for the takeover", (a) => since(a, takeover).some((e) => e.type === 'ActionStarted' && e.origin === 'node1'));
    expect(await n1.svcmgr(['-s', 'svc1', 'abort'])).toMatchObject({ exitCode: 0, stdout: '', stderr: '' });
    fs.rmSync(gate1);
    const aborted = await waitForEvents(n1, 'the abort, and a start by the ha rules', (a) => since(a, takeover).filter((e) => e.type === 'ActionStarted').length === 2, 30_000);
    const afterTakeover = since(aborted, takeover);
    expect(afterTakeover.find((e) => e.type === 'ServiceTargetAborted')).toMatchObject({ origin: 'node1', data: { of: takeover.id, target: 'placed@node2' } });
    expect(afterTakeover.some((e) => e.type === 'ServiceTargetReached' || e.type === 'ServiceTargetFailed')).toBe(false);
    const restart = afterTakeover.filter((e): e is Extract<AnyEvent, { type: 'ActionStarted' }> => e.type === 'ActionStarted')[1]!;
    expect(restart.data.reason).toMatch(/^not running on any live node: /);
    await waitFor('svc1 running again', () => running(n1) || running(n2), 20_000);
    track(scope(), running(n1) ? n1 : n2);

    await tearDown(n1, n2);
  }, 240_000);

  test('two operators at once, one per node (Flip): the newer request is carried out and its --wait exits 0, the older one\'s exits 1, replaced', async () => {
    const { n1, n2 } = await runningOnNode1(scope());
    const nodes = { node1: n1, node2: n2 };
    const rounds: Record<'node1' | 'node2', string[]>[] = [
      { node1: ['-s', 'svc1', 'stop', '--wait', '--time', '60'], node2: ['-s', 'svc1', 'start', '--wait', '--time', '60'] },
      { node1: ['-s', 'svc1', 'switch', '--node', 'node2', '--wait', '--time', '60'], node2: ['-s', 'svc1', 'switch', '--node', 'node1', '--wait', '--time', '60'] },
    ];
    for (const argv of rounds) {
      const before = eventsOf(await n1.events(), 'ServiceTargetRequested', 'svc1').length;
      const [r1, r2] = await Promise.all([n1.svcmgr(argv.node1), n2.svcmgr(argv.node2)]);
      const res = { node1: r1, node2: r2 };
      const asked = eventsOf(await waitForEvents(n1, 'both requests', (a) => eventsOf(a, 'ServiceTargetRequested', 'svc1').length === before + 2), 'ServiceTargetRequested', 'svc1').slice(before);
      // the order every node picks a service's target by: event time, then id
      const newer = asked.reduce((a, b) => (b.time > a.time || (b.time === a.time && b.id > a.id) ? b : a));
      const older = asked.find((e) => e !== newer)!;
      expect([newer.origin, res[newer.origin as 'node1' | 'node2'].exitCode]).toEqual([newer.origin, 0]);
      // the older one was replaced, unless it was already reached when the newer one came (a start of a running service);
      // its last line says so (a first one may say what its own request replaced when it was recorded)
      const olderReached = eventsOf(await n1.events(), 'ServiceTargetReached', 'svc1').some((x) => (x.data as { of?: string }).of === older.id);
      expect(res[older.origin as 'node1' | 'node2']).toMatchObject(
        olderReached ? { exitCode: 0 } : { exitCode: 1, stderr: expect.stringMatching(/(^|\n)svc1: target \S+ replaced by (start|stop|switch) \((started|stopped|placed@node\d)\) by \S+ on node\d$/) },
      );
      const e = newer as Extract<AnyEvent, { type: 'ServiceTargetRequested' }>;
      if (e.data.target === 'stopped') expect(running(n1) || running(n2)).toBe(false);
      // an action the older request started may still be finishing: what the newer one asked is where it settles
      else if (e.data.target === 'placed') await waitFor(`svc1 on ${e.data.node ?? '?'} only`, () => running(n1) === (e.data.node === 'node1') && running(n2) === (e.data.node === 'node2'), 30_000);
      else await waitFor('svc1 running on one node', () => running(n1) !== running(n2), 30_000);
      for (const n of Object.values(nodes)) if (running(n)) track(scope(), n);
    }

    await tearDown(n1, n2);
  }, 240_000);
});
