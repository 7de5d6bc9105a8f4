import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, test } from '@jest/globals';
import { Spool } from '../../../adapters/nats/spool.js';
import { getValue, setValue, serializeDocument } from '../../../domain/config/document.js';
import { loadClusterIdentity, readConfigDocument } from '../../../src/config/identity.js';
import { openEventSink } from '../../../src/events/open.js';
import { useTestScope } from '../../support/jest.js';
import { trackPid } from '../../support/process.js';
import type { TestScope } from '../../support/scope.js';
import { allPeersUp, clusterPair, logsAlike } from '../cluster/support.js';
import { waitFor } from '../../support/wait.js';
import { agentLog, daemonNode, ensureBuilt, eventsOf, waitForEvents, type DaemonNode } from './support.js';

/** Start the daemon; whatever happens, a daemon and nats-server left running are the scope's to end. */
async function startTracked(scope: TestScope, n: DaemonNode): Promise<number> {
  const t0 = Date.now();
  try {
    await n.start();
  } finally {
    const pid = n.daemonPid();
    if (pid !== undefined) trackPid(scope, pid, true);
    const nats = n.natsPid();
    if (nats !== undefined) trackPid(scope, nats);
  }
  return Date.now() - t0;
}

/** What `nodemgr daemon join` does to cluster.conf: the node takes the joined cluster's name. */
function renameCluster(n: DaemonNode, name: string): string {
  const cur = readConfigDocument(n.paths.clusterConf);
  const before = getValue(cur.doc, 'cluster', 'name')!;
  fs.writeFileSync(n.paths.clusterConf, serializeDocument(setValue(cur.doc, 'cluster', 'name', name)), { mode: 0o600 });
  return before;
}

async function spoolFrozen(n: DaemonNode, count: number): Promise<void> {
  const sink = await openEventSink(n.paths, n.env);
  try {
    for (let i = 0; i < count; i++) await sink.append({ type: 'InstanceFrozen', svc: 'svc1', data: {} });
  } finally {
    await sink.close();
  }
}

describe('the spool drained at daemon start', () => {
  const scope = useTestScope();
  beforeAll(() => ensureBuilt(), 240_000);

  test('events spooled under the cluster name before a join are kept aside at the next start: no hang, none lost, none stored, a warning and a count', async () => {
    const n = await daemonNode(scope());
    loadClusterIdentity(n.paths);
    // the daemon down: recorded under the node's first cluster name
    await spoolFrozen(n, 2);
    const first = renameCluster(n, 'joined1');
    // the join's own events, recorded after the change (as join does with the daemon down)
    await spoolFrozen(n, 1);
    expect(new Spool(n.paths.spool).read().map((e) => `${e.id}@${e.cluster}`)).toEqual([`node1:1@${first}`, `node1:2@${first}`, 'node1:3@joined1']);

    const took = await startTracked(scope(), n);
    expect(took).toBeLessThan(20_000);
    const all = await waitForEvents(n, 'DaemonStarted', (a) => eventsOf(a, 'DaemonStarted').length === 1);
    // only the event of this cluster is in its stream, once; the sequence goes on after the ones kept aside
    expect(all.filter((s) => s.event.type === 'InstanceFrozen').map((s) => `${s.event.id}@${s.event.cluster}`)).toEqual(['node1:3@joined1']);
    expect(eventsOf(all, 'SpoolDrained')).toEqual([expect.objectContaining({ data: { count: 1 } })]);
    expect(eventsOf(all, 'SpoolSidelined')).toEqual([expect.objectContaining({ data: { count: 2, clusters: [first], unreadable: 0 } })]);
    expect(eventsOf(all, 'DaemonStarted')[0]!.seq).toBeGreaterThan(3);
    // kept, verbatim, beside the spool; the spool itself is empty
    const aside = new Spool(path.join(path.dirname(n.paths.spool), 'events.other-cluster.jsonl')).read();
    expect(aside.map((e) => `${e.id}@${e.cluster}`)).toEqual([`node1:1@${first}`, `node1:2@${first}`]);
    expect(new Spool(n.paths.spool).isEmpty()).toBe(true);
    const warned = agentLog(n).filter((l) => l.level === 40 && /kept aside/.test(l.msg));
    expect(warned).toHaveLength(1);
    expect(warned[0]!.msg).toContain(`2 spooled events of cluster ${first}`);

    // a second start finds nothing more to drain or keep aside
    await n.stop();
    await startTracked(scope(), n);
    const again = await waitForEvents(n, 'second DaemonStarted', (a) => eventsOf(a, 'DaemonStarted').length === 2);
    expect(eventsOf(again, 'SpoolSidelined')).toHaveLength(1);
    expect(eventsOf(again, 'InstanceFrozen')).toHaveLength(1);
    const ids = again.map((s) => s.event.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Spool(path.join(path.dirname(n.paths.spool), 'events.other-cluster.jsonl')).read()).toHaveLength(2);
    await n.stop();
  }, 150_000);

  test('a real join with the daemon down: the next start is prompt, the frozen node is kept aside, the logs of both nodes converge', async () => {
    const { n1, n2, listenerPort, secret } = await clusterPair(scope());
    await startTracked(scope(), n1);
    const before = loadClusterIdentity(n2.paths).name;
    expect((await n2.nodemgr(['freeze'])).exitCode).toBe(0);
    expect((await n2.nodemgr(['daemon', 'join', '--secret', secret, '--node', 'node1', '--addr', `127.0.0.1:${listenerPort}`])).exitCode).toBe(0);
    expect(await startTracked(scope(), n2)).toBeLessThan(20_000);
    await waitFor('node2 sees node1 up', () => allPeersUp(n2, 2), 30_000);
    await waitFor('both logs alike', () => logsAlike([n1, n2], ['node1', 'node2']), 30_000);
    const all = await n1.events();
    expect(eventsOf(all, 'SpoolSidelined')).toEqual([expect.objectContaining({ origin: 'node2', data: { count: 1, clusters: [before], unreadable: 0 } })]);
    expect(all.filter((e) => e.event.origin === 'node2').every((e) => e.event.cluster === loadClusterIdentity(n1.paths).name)).toBe(true);
    await n2.stop();
    await n1.stop();
  }, 150_000);

  test('a corrupt spool gives a line per bad record, keeps those lines aside and does not block the start', async () => {
    const n = await daemonNode(scope());
    await spoolFrozen(n, 2);
    const lines = fs.readFileSync(n.paths.spool, 'utf8').split('\n').filter(Boolean);
    // a garbage line between two good events, a valid JSON that is no event, and a torn last line
    fs.writeFileSync(n.paths.spool, [lines[0], '\u0000\u0001garbage', '{"type":"NoSuchEvent"}', lines[1], lines[1]!.slice(0, 20)].join('\n'));

    const took = await startTracked(scope(), n);
    expect(took).toBeLessThan(20_000);
    const all = await waitForEvents(n, 'DaemonStarted', (a) => eventsOf(a, 'DaemonStarted').length === 1);
    expect(all.filter((s) => s.event.type === 'InstanceFrozen').map((s) => s.event.id)).toEqual(['node1:1', 'node1:2']);
    expect(eventsOf(all, 'SpoolSidelined')).toEqual([expect.objectContaining({ data: { count: 0, clusters: [], unreadable: 3 } })]);
    const warned = agentLog(n)
      .filter((l) => l.level === 40)
      .map((l) => l.msg);
    expect(warned.filter((m) => m.startsWith(`${n.paths.spool}:`))).toEqual([
      `${n.paths.spool}:2: not valid JSON, kept aside in ${path.join(path.dirname(n.paths.spool), 'events.unreadable.jsonl')}`,
      expect.stringMatching(new RegExp(`^${n.paths.spool.replace(/[.]/g, '\\.')}:3: .*, kept aside in `)),
      `${n.paths.spool}:5: torn last line (not valid JSON), kept aside in ${path.join(path.dirname(n.paths.spool), 'events.unreadable.jsonl')}`,
    ]);
    const unreadable = fs.readFileSync(path.join(path.dirname(n.paths.spool), 'events.unreadable.jsonl'), 'utf8');
    expect(unreadable).toContain('garbage');
    expect(unreadable).toContain('NoSuchEvent');
    expect(new Spool(n.paths.spool).isEmpty()).toBe(true);
    await n.stop();
  }, 120_000);
});
