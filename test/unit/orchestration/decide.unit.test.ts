import { describe, expect, it } from '@jest/globals';
import { decide, decideService, pendingStarts } from '../../../domain/orchestration/decide.js';
import type { ClusterFacts, InstanceFacts, Penalty, ServiceFacts } from '../../../domain/orchestration/decide.js';

const S = 1000;
const T0 = Date.UTC(2026, 0, 2, 14, 36);

const down: InstanceFacts = { avail: 'down', frozen: false, monitorState: 'idle', expect: undefined, monitoredDown: [], penalties: [], conflict: undefined, clearedAt: undefined };
const up: InstanceFacts = { ...down, avail: 'up', expect: 'started' };
const relocated = (at: number): Penalty => ({ at, why: 'relocation' });
const startFailed = (at: number): Penalty => ({ at, why: 'start failed' });

function svc(instances: Record<string, InstanceFacts>, o: Partial<ServiceFacts> = {}): ServiceFacts {
  return { name: 'svc1', orchestrate: 'ha', topology: 'failover', nodes: ['node1', 'node2'], instances, failureTimeoutMs: 300 * S, ...o };
}

interface When {
  readonly now?: number;
  readonly nodeFrozen?: boolean;
  /** node.ready_period; 0 unless a test is about it */
  readonly readyPeriodMs?: number;
  readonly pending?: Record<string, number>;
  readonly peersBehind?: readonly string[];
}

function on(node: string, s: ServiceFacts, peers: ClusterFacts['peers'], w: When = {}): ReturnType<typeof decideService> {
  return decideService({ node, nodeFrozen: w.nodeFrozen ?? false, peers, services: [s], readyPeriodMs: w.readyPeriodMs ?? 0, pending: w.pending ?? {}, ...(w.peersBehind ? { peersBehind: w.peersBehind } : {}) }, s, w.now ?? T0);
}

describe('orchestrator decisions', () => {
  it('orchestrate = no, a frozen node or instance, an action in progress: nothing', () => {
    expect(on('node1', svc({ node1: down }, { orchestrate: 'no' }), { node2: 'up' })).toEqual({ kind: 'Ignore', svc: 'svc1', reason: 'orchestrate = no' });
    expect(on('node1', svc({ node1: down }), { node2: 'up' }, { nodeFrozen: true }).reason).toBe('node frozen');
    expect(on('node1', svc({ node1: { ...down, frozen: true } }), { node2: 'up' }).reason).toBe('instance frozen');
    expect(on('node1', svc({ node1: { ...down, monitorState: 'starting' } }), { node2: 'up' }).reason).toBe('starting in progress');
  });

  it('starts on the first node of the placement order when it runs nowhere', () => {
    const s = svc({ node1: down, node2: down });
    expect(on('node1', s, { node2: 'up' })).toMatchObject({ kind: 'RunAction', action: 'start', reason: 'not running on any live node: node1 is first of node1, node2' });
    expect(on('node2', s, { node1: 'up' })).toEqual({ kind: 'Ignore', svc: 'svc1', reason: 'node1 comes first in placement' });
  });

  it('does nothing while it runs somewhere alive', () => {
    expect(on('node2', svc({ node1: up, node2: down }), { node1: 'up' }).reason).toBe('running on node1');
    expect(on('node1', svc({ node1: up, node2: down }), { node2: 'up' }).reason).toBe('running here');
  });

  it('takes over from a node seen and then lost, never from one not heard from yet', () => {
    const s = svc({ node1: up, node2: down });
    expect(on('node2', s, { node1: 'down' })).toMatchObject({ kind: 'RunAction', action: 'start' });
    expect(on('node2', s, {}).reason).toBe('waiting for heartbeats from node1');
  });

  it('ha: a monitored resource down on a started instance stops it to relocate; the peer then starts it', () => {
    const failing: InstanceFacts = { ...up, avail: 'warn', monitoredDown: ['app#web'] };
    expect(on('node1', svc({ node1: failing, node2: down }), { node2: 'up' })).toEqual({
      kind: 'RunAction',
      svc: 'svc1',
      action: 'stop',
      relocation: true,
      reason: 'monitored resource app#web down: stopping to relocate',
    });
    const after = svc({ node1: { ...down, penalties: [relocated(T0)] }, node2: down });
    expect(on('node1', after, { node2: 'up' }, { now: T0 + 2 * S }).reason).toBe('node2 comes first in placement (penalised: node1 relocated away 2s ago)');
    expect(on('node2', after, { node1: 'up' }, { now: T0 + 2 * S })).toMatchObject({
      kind: 'RunAction',
      action: 'start',
      reason: 'not running on any live node: node2 is first of node2, node1 (penalised: node1 relocated away 2s ago)',
    });
  });

  it('start = placement only: no relocation on a monitored failure', () => {
    const failing: InstanceFacts = { ...up, avail: 'warn', monitoredDown: ['app#web'] };
    expect(on('node1', svc({ node1: failing, node2: down }, { orchestrate: 'start' }), { node2: 'up' }).reason).toBe('running here');
  });

  it('after a failed stop, it waits for an operator instead of stopping again and again', () => {
    const failing: InstanceFacts = { ...up, avail: 'warn', monitoredDown: ['app#web'], monitorState: 'stop failed' };
    expect(on('node1', svc({ node1: failing, node2: down }), { node2: 'up' })).toEqual({ kind: 'Ignore', svc: 'svc1', reason: 'stop failed: waiting for an operator (clear)' });
  });

  it('a peer without the service, frozen or after a failed stop is no candidate', () => {
    expect(on('node1', svc({ node1: down }), { node2: 'up' })).toMatchObject({ kind: 'RunAction', reason: 'not running on any live node: node1 is first of node1' });
    expect(on('node2', svc({ node1: { ...down, frozen: true }, node2: down }), { node1: 'up' })).toMatchObject({ kind: 'RunAction', reason: 'not running on any live node: node2 is first of node2' });
    expect(on('node2', svc({ node1: { ...down, monitorState: 'stop failed' }, node2: down }), { node1: 'up' })).toMatchObject({ kind: 'RunAction', reason: 'not running on any live node: node2 is first of node2' });
  });

  it('a single-node service needs no heartbeat', () => {
    expect(on('node1', svc({ node1: down }, { nodes: ['node1'] }), {})).toMatchObject({ kind: 'RunAction', action: 'start' });
  });

  it('decides each service on its own, the same way for the same facts and time', () => {
    const c: ClusterFacts = { node: 'node1', nodeFrozen: false, peers: { node2: 'up' }, services: [svc({ node1: down }), svc({ node1: up }, { name: 'svc2' })], readyPeriodMs: 0, pending: {} };
    expect(decide(c, T0)).toEqual(decide(JSON.parse(JSON.stringify(c)) as ClusterFacts, T0));
    expect(decide(c, T0).map((i) => i.kind)).toEqual(['RunAction', 'Ignore']);
  });
});

describe('failover penalties: a later choice, never an exclusion', () => {
  it('relocated node1 -> node2, then the app fails on node2: the service comes back on node1', () => {
    // given: node1 relocated away at T0; node2 started it, its app dies a minute later
    const failingOn2: InstanceFacts = { ...up, avail: 'warn', monitoredDown: ['app#web'] };
    const node1 = { ...down, penalties: [relocated(T0)] };
    expect(on('node2', svc({ node1, node2: failingOn2 }), { node1: 'up' }, { now: T0 + 60 * S })).toMatchObject({ kind: 'RunAction', action: 'stop', relocation: true });
    // when: node2 has stopped it (its own relocation penalty), both nodes are penalised
    const s = svc({ node1, node2: { ...down, penalties: [relocated(T0 + 60 * S)] } });
    const opts = { readyPeriodMs: 5 * S };
    // then: not "no node can start it": node1, the least recently penalised, is the last resort once the backoff is over
    const first = on('node1', s, { node2: 'up' }, { ...opts, now: T0 + 60 * S });
    expect(first).toEqual({
      kind: 'Ignore',
      svc: 'svc1',
      reason: 'every node penalised (node1 relocated away 60s ago, node2 relocated away 0s ago): last resort node1 in 5s',
      pending: { since: T0 + 60 * S, until: T0 + 65 * S },
    });
    const pending = pendingStarts([first]);
    expect(on('node1', s, { node2: 'up' }, { ...opts, now: T0 + 62 * S, pending }).reason).toBe('every node penalised (node1 relocated away 62s ago, node2 relocated away 2s ago): last resort node1 in 3s');
    expect(on('node2', s, { node1: 'up' }, { ...opts, now: T0 + 62 * S }).reason).toBe('node1 comes first in placement (penalised: node1 relocated away 62s ago, node2 relocated away 2s ago)');
    expect(on('node1', s, { node2: 'up' }, { ...opts, now: T0 + 65 * S, pending })).toMatchObject({
      kind: 'RunAction',
      action: 'start',
      reason: 'not running on any live node: node1 is first of node1, node2 (penalised: node1 relocated away 65s ago, node2 relocated away 5s ago)',
    });
  });

  it('an orchestrated start that failed does not remove the node from failover', () => {
    // given: node1's start failed; node2 has no instance of the service
    const s = svc({ node1: { ...down, monitorState: 'start failed', penalties: [startFailed(T0)] } });
    // then: node1 is still tried, after a backoff
    expect(on('node1', s, { node2: 'up' }, { now: T0 + 500 }).reason).toBe('every node penalised (node1 start failed 1s ago): last resort node1 in 1s');
    expect(on('node1', s, { node2: 'up' }, { now: T0 + S })).toMatchObject({ kind: 'RunAction', action: 'start' });
  });

  it('a penalty lasts failure_timeout: then the preferred node comes first again', () => {
    const s = svc({ node1: { ...down, monitorState: 'start failed', penalties: [startFailed(T0)] }, node2: down });
    expect(on('node1', s, { node2: 'up' }, { now: T0 + 299 * S }).reason).toBe('node2 comes first in placement (penalised: node1 start failed 299s ago)');
    expect(on('node2', s, { node1: 'up' }, { now: T0 + 299 * S })).toMatchObject({ kind: 'RunAction', action: 'start' });
    expect(on('node1', s, { node2: 'up' }, { now: T0 + 300 * S })).toMatchObject({ kind: 'RunAction', action: 'start', reason: 'not running on any live node: node1 is first of node1, node2' });
    expect(on('node2', s, { node1: 'up' }, { now: T0 + 300 * S }).reason).toBe('node1 comes first in placement');
    // failure_timeout = 0: no penalty at all
    expect(on('node1', { ...s, failureTimeoutMs: 0 }, { node2: 'up' }, { now: T0 + S })).toMatchObject({ kind: 'RunAction', action: 'start' });
  });

  it('when every node is penalised, the least recently penalised goes first, and the wait doubles with each failure', () => {
    const s = (p1: Penalty[], p2: Penalty[]) => svc({ node1: { ...down, penalties: p1 }, node2: { ...down, penalties: p2 } });
    const opts = { readyPeriodMs: 5 * S };
    // node2 failed first: it is the one tried
    expect(on('node2', s([startFailed(T0 + 10 * S)], [startFailed(T0)]), { node1: 'up' }, { ...opts, now: T0 + 10 * S }).reason).toMatch(/last resort node2 in 5s$/);
    // four failures over two nodes: two rounds more, 5 s x 2 x 2
    const flapping = s([relocated(T0), relocated(T0 + 20 * S)], [relocated(T0 + 10 * S), relocated(T0 + 30 * S)]);
    expect(on('node1', flapping, { node2: 'up' }, { ...opts, now: T0 + 30 * S }).reason).toMatch(/last resort node1 in 20s$/);
    expect(on('node1', flapping, { node2: 'up' }, { ...opts, now: T0 + 50 * S, pending: { svc1: T0 + 30 * S } })).toMatchObject({ kind: 'RunAction', action: 'start' });
    // never longer than failure_timeout
    const many = Array.from({ length: 12 }, (_, k) => relocated(T0 + k * S));
    expect(on('node1', svc({ node1: { ...down, penalties: many } }, { nodes: ['node1'], failureTimeoutMs: 60 * S }), {}, { ...opts, now: T0 + 12 * S }).reason).toMatch(/last resort node1 in 59s$/);
  });

  it('a clear forgets the penalties recorded before it, on every node', () => {
    // given: both penalised, then an operator cleared node1 (its own penalties are gone with it)
    const s = svc({ node1: { ...down, clearedAt: T0 + 2 * S }, node2: { ...down, penalties: [relocated(T0 + S)] } });
    expect(on('node1', s, { node2: 'up' }, { now: T0 + 3 * S })).toMatchObject({ kind: 'RunAction', action: 'start', reason: 'not running on any live node: node1 is first of node1, node2' });
    expect(on('node2', s, { node1: 'up' }, { now: T0 + 3 * S }).reason).toBe('node1 comes first in placement');
    // a penalty after the clear counts
    const later = svc({ node1: { ...down, clearedAt: T0 + 2 * S, penalties: [startFailed(T0 + 3 * S)] }, node2: down });
    expect(on('node1', later, { node2: 'up' }, { now: T0 + 4 * S }).reason).toBe('node2 comes first in placement (penalised: node1 start failed 1s ago)');
  });
});

describe('a start aborted on a conflict (the service answers elsewhere) is no failure of the node', () => {
  // given: node1 ran svc1, its daemon was killed: node2 saw it lost and tried to take over; ip#0 still answered
  const aborted: InstanceFacts = { ...down, monitorState: 'start failed', conflict: { at: T0, count: 1, rid: 'ip#0' } };

  it('the node keeps its place, and tries again after a wait that doubles with each abort in a row', () => {
    const s = svc({ node1: up, node2: aborted });
    expect(on('node2', s, { node1: 'down' }, { now: T0 + 2 * S, readyPeriodMs: 5 * S })).toMatchObject({
      kind: 'Ignore',
      reason: 'start aborted on a ip#0 conflict 2s ago (it answers elsewhere): trying again in 3s',
    });
    expect(on('node2', s, { node1: 'down' }, { now: T0 + 5 * S, readyPeriodMs: 5 * S, pending: { svc1: T0 + 2 * S } })).toMatchObject({
      kind: 'RunAction',
      action: 'start',
      takeover: 'node1',
      reason: 'node1 down (down): taking over, node2 is first of node2',
    });
    const third = svc({ node1: up, node2: { ...aborted, conflict: { at: T0, count: 3, rid: 'ip#0' } } });
    expect(on('node2', third, { node1: 'down' }, { now: T0 + 5 * S, readyPeriodMs: 5 * S }).reason).toMatch(/trying again in 15s$/);
  });

  it('once node1 is back and its app fails, node2 takes the service over', () => {
    const failingOn1: InstanceFacts = { ...up, avail: 'warn', monitoredDown: ['app#web'] };
    expect(on('node2', svc({ node1: failingOn1, node2: aborted }), { node1: 'up' }, { now: T0 + 600 * S }).reason).toBe('running on node1');
    const s = svc({ node1: { ...down, penalties: [relocated(T0 + 600 * S)] }, node2: aborted });
    expect(on('node2', s, { node1: 'up' }, { now: T0 + 601 * S })).toMatchObject({ kind: 'RunAction', action: 'start', reason: 'not running on any live node: node2 is first of node2, node1 (penalised: node1 relocated away 1s ago)' });
  });

  it('a preferred node whose start was aborted stays first for its peers', () => {
    const s = svc({ node1: { ...down, monitorState: 'start failed', conflict: { at: T0, count: 1, rid: 'ip#0' } }, node2: down });
    expect(on('node2', s, { node1: 'up' }, { now: T0 + S }).reason).toBe('node1 comes first in placement');
  });
});

describe('ready_period: a start decision holds before it is carried out', () => {
  const s = svc({ node1: down, node2: down });
  const opts = { readyPeriodMs: 5 * S };

  it('waits while another node could start the service, counting from the first pass that decided it', () => {
    const first = on('node1', s, { node2: 'up' }, { ...opts, now: T0 });
    expect(first).toEqual({ kind: 'Ignore', svc: 'svc1', reason: 'waiting ready_period (5s left)', pending: { since: T0, until: T0 + 5 * S } });
    const pending = pendingStarts([first]);
    expect(pending).toEqual({ svc1: T0 });
    expect(on('node1', s, { node2: 'up' }, { ...opts, now: T0 + 3200, pending }).reason).toBe('waiting ready_period (2s left)');
    expect(on('node1', s, { node2: 'up' }, { ...opts, now: T0 + 5 * S, pending })).toMatchObject({ kind: 'RunAction', action: 'start' });
  });

  it('starts counting again when the decision was something else in between', () => {
    const other = on('node1', svc({ node1: down, node2: up }), { node2: 'up' }, { ...opts, now: T0 + 3 * S, pending: { svc1: T0 } });
    expect(other.reason).toBe('running on node2');
    expect(pendingStarts([other])).toEqual({});
    expect(on('node1', s, { node2: 'up' }, { ...opts, now: T0 + 6 * S, pending: pendingStarts([other]) }).reason).toBe('waiting ready_period (5s left)');
  });

  it('is not waited where no other node can start the service: every other node down, or a single node', () => {
    expect(on('node1', s, { node2: 'down' }, opts)).toMatchObject({ kind: 'RunAction', action: 'start' });
    expect(on('node1', svc({ node1: down, node2: up }, { nodes: ['node1', 'node2', 'node3'] }), { node2: 'down', node3: 'down' }, opts)).toMatchObject({ kind: 'RunAction', action: 'start' });
    expect(on('node1', svc({ node1: down }, { nodes: ['node1'] }), {}, opts)).toMatchObject({ kind: 'RunAction', action: 'start' });
  });

  it('a peer seen frozen or without the instance may be thawed this very moment (a cluster-wide thaw): the wait holds', () => {
    // both nodes thawed at once, each still seeing the other frozen: without the wait both would start
    const frozenPeer = (me: string, peer: string) => on(me, svc({ [me]: down, [peer]: { ...down, frozen: true } }), { [peer]: 'up' }, opts);
    expect(frozenPeer('node1', 'node2').reason).toBe('waiting ready_period (5s left)');
    expect(frozenPeer('node2', 'node1').reason).toBe('waiting ready_period (5s left)');
    expect(on('node2', svc({ node2: down }), { node1: 'up' }, opts).reason).toBe('waiting ready_period (5s left)');
  });

  it('not after a relocation away: the node that relocated it defers to this one, the start is not slowed', () => {
    const after = svc({ node1: { ...down, penalties: [relocated(T0)] }, node2: down });
    expect(on('node2', after, { node1: 'up' }, { ...opts, now: T0 + S })).toMatchObject({ kind: 'RunAction', action: 'start' });
    // and node1 defers indeed
    expect(on('node1', after, { node2: 'up' }, { ...opts, now: T0 + S }).reason).toMatch(/^node2 comes first in placement/);
    // a third node that did not relocate it could start it: the wait holds
    const three = svc({ node1: { ...down, penalties: [relocated(T0)] }, node2: down, node3: down }, { nodes: ['node1', 'node2', 'node3'] });
    expect(on('node2', three, { node1: 'up', node3: 'up' }, { ...opts, now: T0 + S }).reason).toBe('waiting ready_period (5s left)');
  });

  it('a penalised peer could still start it: the wait holds', () => {
    expect(on('node1', svc({ node1: down, node2: { ...down, penalties: [startFailed(T0)] } }), { node2: 'up' }, { ...opts, now: T0 + S }).reason).toBe('waiting ready_period (5s left)');
  });
});

describe('node loss and partitions: a takeover needs proof, a split never runs a service twice', () => {
  const s = svc({ node1: up, node2: down });

  it('takes over from a peer proven down, its vg tags with it', () => {
    expect(on('node2', s, { node1: 'down' })).toMatchObject({ kind: 'RunAction', action: 'start', takeover: 'node1' });
  });

  it('never from a peer lost without proof, nor from one alive on the disk heartbeat only: it says why', () => {
    const lost = decideService({ node: 'node2', nodeFrozen: false, peers: { node1: 'lost' }, peerWhy: { node1: 'silent on hb#1, no disk heartbeat or quorum to prove it down' }, services: [s], readyPeriodMs: 0, pending: {} }, s, T0);
    expect(lost).toEqual({ kind: 'Ignore', svc: 'svc1', reason: 'running on node1 as last heard; node1 lost, no proof it is down (silent on hb#1, no disk heartbeat or quorum to prove it down): not taking over svc1' });
    expect(on('node2', s, { node1: 'alive' }).reason).toMatch(/^running on node1 as last heard; node1 alive but unreachable/);
  });

  it('a split with the service down everywhere: only the node placement puts first starts it, on either side', () => {
    const idle = svc({ node1: down, node2: down });
    // each side sees the other lost: node1 starts, node2 leaves it to node1
    expect(on('node1', idle, { node2: 'lost' })).toMatchObject({ kind: 'RunAction', action: 'start' });
    expect(on('node2', idle, { node1: 'lost' }).reason).toBe('node1 comes first in placement (lost, no proof it is down: it may start it on its side)');
    expect(on('node2', idle, { node1: 'alive' }).reason).toBe('node1 comes first in placement (alive but unreachable: it may start it on its side)');
    // proven down: node2 starts
    expect(on('node2', idle, { node1: 'down' })).toMatchObject({ kind: 'RunAction', action: 'start' });
  });

  it('simultaneous start of both daemons: nobody starts before hearing from the other or the timeout', () => {
    const idle = svc({ node1: down, node2: down });
    expect(on('node1', idle, { node2: 'unknown' }).reason).toBe('waiting for heartbeats from node2');
    expect(on('node2', idle, { node1: 'unknown' }).reason).toBe('waiting for heartbeats from node1');
  });

  it('a healed partition with the service up on both: the node placement prefers less stops at once', () => {
    const both = svc({ node1: up, node2: up });
    expect(on('node2', both, { node1: 'up' })).toEqual({ kind: 'RunAction', svc: 'svc1', action: 'stop', relocation: false, reason: 'also running on node1 (node1 preferred by placement): stopping here' });
    expect(on('node1', both, { node2: 'up' }).reason).toBe('running here');
    // still cut off: nothing is stopped on what may be stale news
    expect(on('node2', both, { node1: 'alive' }).reason).toBe('running here');
  });
});

describe('a node back from a power loss (rule 10): what its log says ran before is unchecked', () => {
  it('the peer that took the service over does not stop it on the strength of the returning node\'s old status', () => {
    const back = svc({ node1: { ...up, unchecked: true }, node2: up });
    expect(on('node2', back, { node1: 'up' }).reason).toBe('running here');
    // once node1 has checked: what it says counts again
    expect(on('node2', svc({ node1: up, node2: up }), { node1: 'up' })).toMatchObject({ action: 'stop' });
  });

  it('nor while the returning node holds events this node has not stored yet (its first beat came before them)', () => {
    const back = svc({ node1: up, node2: up });
    expect(on('node2', back, { node1: 'up' }, { peersBehind: ['node1'] }).reason).toBe('running here');
  });

  it('the returning node decides nothing until its first status check', () => {
    const back = svc({ node1: { ...up, unchecked: true }, node2: up });
    expect(on('node1', back, { node2: 'up' }).reason).toBe('waiting for the first status check since the daemon started');
    const idle = svc({ node1: { ...down, unchecked: true }, node2: down });
    expect(on('node1', idle, { node2: 'up' }).reason).toBe('waiting for the first status check since the daemon started');
  });

  it('a peer\'s unchecked copy still keeps a start from duplicating it, until the peer has checked', () => {
    const back = svc({ node1: { ...up, unchecked: true }, node2: down });
    expect(on('node2', back, { node1: 'up' }).reason).toBe('running on node1 as recorded before its daemon started: waiting for its first status check');
    expect(on('node2', svc({ node1: down, node2: down }), { node1: 'up' }).reason).toBe('node1 comes first in placement');
  });
});

describe('restart in place before relocation (the resource\'s restart keyword)', () => {
  const failing: InstanceFacts = { ...up, avail: 'warn', monitoredDown: ['app#web'], restartableDown: ['app#web'], restarts: {} };
  const s = (i: InstanceFacts) => svc({ node1: i, node2: down }, { restartLimits: { 'app#web': 2 } });

  it('restarts the failed resource on the same node, counting', () => {
    expect(on('node1', s(failing), { node2: 'up' })).toEqual({ kind: 'RunAction', svc: 'svc1', action: 'start', relocation: false, rids: ['app#web'], restart: true, reason: 'app#web down: restart 1 of 2 in place' });
    expect(on('node1', s({ ...failing, restarts: { 'app#web': 1 } }), { node2: 'up' })).toMatchObject({ rids: ['app#web'], reason: 'app#web down: restart 2 of 2 in place' });
  });

  it('relocates once the restarts are used up', () => {
    expect(on('node1', s({ ...failing, restarts: { 'app#web': 2 } }), { node2: 'up' })).toMatchObject({ action: 'stop', relocation: true });
  });

  it('never on an instance that was not started', () => {
    expect(on('node1', s({ ...failing, expect: undefined }), { node2: 'up' }).kind).toBe('Ignore');
  });
});

describe('a monitored failure with nowhere to relocate to', () => {
  const failing: InstanceFacts = { ...up, avail: 'down', monitoredDown: ['app#web'] };

  it('starts again here when no other node is up to take it (alone, or every peer cut off or lost)', () => {
    const cases: ClusterFacts['peers'][] = [{}, { node2: 'alive' }, { node2: 'lost' }];
    for (const peers of cases) {
      expect(on('node1', svc({ node1: failing, node2: down }, peers.node2 === undefined ? { nodes: ['node1'] } : {}), peers)).toEqual({
        kind: 'RunAction',
        svc: 'svc1',
        action: 'start',
        relocation: false,
        reason: 'monitored resource app#web down, no live node to relocate to: starting again here',
      });
    }
  });

  it('relocates when a peer is up and can take it', () => {
    expect(on('node1', svc({ node1: failing, node2: down }), { node2: 'up' })).toMatchObject({ action: 'stop', relocation: true });
    expect(on('node1', svc({ node1: failing, node2: { ...down, frozen: true } }), { node2: 'up' })).toMatchObject({ action: 'start', relocation: false });
  });
});

describe('rule 11: a start whose process died mid-way is rolled back, then placed elsewhere', () => {
  // node1's daemon killed after the address and the vg, before the filesystems and the app
  const half: InstanceFacts = { ...down, avail: 'warn', monitorState: 'start failed', penalties: [startFailed(T0)], lastAction: { action: 'start', result: 'interrupted', at: T0 }, interruptedLeftUp: ['disk#0', 'ip#0'] };

  it('the node that was starting it stops what the start left up, and only that', () => {
    expect(on('node1', svc({ node1: half, node2: down }), { node2: 'up' }, { now: T0 + S })).toEqual({
      kind: 'RunAction',
      svc: 'svc1',
      action: 'stop',
      relocation: false,
      rids: ['disk#0', 'ip#0'],
      reason: 'start interrupted (the process running it died), disk#0 ip#0 left up: stopping them, as a failed start rolls back',
    });
  });

  it('its peer waits for that stop (the half-started instance holds the address), then comes first in placement', () => {
    expect(on('node2', svc({ node1: half, node2: down }), { node1: 'up' }, { now: T0 + S }).reason).toBe('running on node1');
    const rolledBack: InstanceFacts = { ...down, penalties: [startFailed(T0)], lastAction: { action: 'stop', result: 'ok', at: T0 + 2 * S } };
    expect(on('node2', svc({ node1: rolledBack, node2: down }), { node1: 'up' }, { now: T0 + 3 * S })).toMatchObject({ kind: 'RunAction', action: 'start', reason: 'not running on any live node: node2 is first of node2, node1 (penalised: node1 start failed 3s ago)' });
  });

  it('an interrupted start that brought everything up, or nothing, is left as it is', () => {
    const { interruptedLeftUp: _, ...none } = half;
    expect(on('node1', svc({ node1: { ...none, avail: 'up' }, node2: down }), { node2: 'up' }).reason).toBe('running here');
    expect(on('node1', svc({ node1: { ...none, avail: 'down' }, node2: down }), { node2: 'up' }, { now: T0 + S })).toMatchObject({ kind: 'Ignore', reason: 'node2 comes first in placement (penalised: node1 start failed 1s ago)' });
  });

  it('a frozen instance is left alone; one cleared (idle) is no interrupted start any more', () => {
    expect(on('node1', svc({ node1: { ...half, frozen: true }, node2: down }), { node2: 'up' }).reason).toBe('instance frozen');
    expect(on('node1', svc({ node1: { ...half, monitorState: 'idle' }, node2: down }), { node2: 'up' }).reason).toBe('running here');
  });
});

describe('rule 12: rejoin_grace_period after the daemon started', () => {
  const idle = svc({ node1: down, node2: down });
  const ran2 = svc({ node1: down, node2: up }, { nodes: ['node2', 'node1'] });
  const grace = (joined: readonly string[] = []) => ({ until: T0 + 90 * S, joined });
  const at = (node: string, s: ServiceFacts, peers: ClusterFacts['peers'], rejoin: ClusterFacts['rejoin'], now: number) =>
    decideService({ node, nodeFrozen: false, peers, services: [s], readyPeriodMs: 0, pending: {}, ...(rejoin ? { rejoin } : {}) }, s, now);

  it('a peer not heard since the start keeps the service from starting here until the period is over', () => {
    expect(at('node1', idle, { node2: 'down' }, grace(), T0 + 15 * S)).toMatchObject({
      kind: 'Ignore',
      reason: 'waiting for node2 to rejoin since this daemon started (node2: down): rejoin_grace_period, 75s left',
      pending: { until: T0 + 90 * S },
    });
    expect(at('node1', idle, { node2: 'down' }, grace(), T0 + 90 * S)).toMatchObject({ kind: 'RunAction', action: 'start' });
  });

  it('nor taken over from a peer booting (its disk beat stale: proven down) before it rejoins', () => {
    expect(at('node1', ran2, { node2: 'down' }, grace(), T0 + 15 * S)).toMatchObject({ kind: 'Ignore', reason: expect.stringMatching(/^waiting for node2 to rejoin/) });
    expect(at('node1', ran2, { node2: 'down' }, grace(), T0 + 91 * S)).toMatchObject({ kind: 'RunAction', action: 'start', takeover: 'node2' });
  });

  it('once every node of the service was heard (up, or alive on the disk), the rules decide at once', () => {
    expect(at('node1', idle, { node2: 'up' }, grace(['node2']), T0 + 5 * S)).toMatchObject({ kind: 'RunAction', action: 'start' });
    // heard once, lost since: what the rules say about a lost node, not the grace
    expect(at('node1', ran2, { node2: 'down' }, grace(['node2']), T0 + 5 * S)).toMatchObject({ kind: 'RunAction', takeover: 'node2' });
  });

  it('a single-node service, a local restart, a relocation and an operator\'s target do not wait', () => {
    expect(at('node1', svc({ node1: down }, { nodes: ['node1'] }), { node2: 'down' }, grace(), T0 + S)).toMatchObject({ kind: 'RunAction', action: 'start' });
    const failing: InstanceFacts = { ...up, avail: 'warn', monitoredDown: ['app#web'] };
    expect(at('node1', svc({ node1: failing, node2: down }), { node2: 'lost' }, grace(), T0 + S)).toMatchObject({ kind: 'RunAction', action: 'start', reason: expect.stringMatching(/no live node to relocate to/) });
    const target = { id: 'node1:9', target: 'started' as const, node: undefined, action: 'start', by: 'root', origin: 'node1', at: T0 };
    expect(at('node1', svc({ node1: down, node2: down }, { target }), { node2: 'down' }, grace(), T0 + S)).toMatchObject({ kind: 'RunAction', action: 'start' });
  });
});

describe('rule 10: a start in progress when its node\'s daemon started again runs nothing', () => {
  it('the node that took the service over keeps it: the returning node\'s orphaned start is no duplicate (rule 7)', () => {
    // node1 lost power mid-start; node2 took svc1 over; node1's daemon is back, its first check found nothing up
    const orphaned: InstanceFacts = { ...down, monitorState: 'starting', actionOrphaned: true };
    expect(on('node2', svc({ node1: orphaned, node2: up }), { node1: 'up' }).reason).toBe('running here');
    // nor is a start whose daemon's return has not reached node2 yet (node1 heard up first): what runs here stays
    expect(on('node2', svc({ node1: { ...down, monitorState: 'starting' }, node2: up }), { node1: 'up' }).reason).toBe('running here');
    // once node1's start has brought it up, placement's preferred node keeps it
    expect(on('node2', svc({ node1: up, node2: up }), { node1: 'up' })).toMatchObject({ kind: 'RunAction', action: 'stop', reason: 'also running on node1 (node1 preferred by placement): stopping here' });
  });
});

describe('a peer whose daemon died during an action and came back', () => {
  it('is waited for until it records the action interrupted: it may hold part of the service', () => {
    const orphaned: InstanceFacts = { ...down, monitorState: 'starting', actionOrphaned: true };
    // node2 first in placement (node1 penalised): it still does not start over node1's half start
    const s = svc({ node1: { ...orphaned, penalties: [startFailed(T0)] }, node2: down });
    expect(on('node2', s, { node1: 'up' }, { now: T0 + S })).toEqual({ kind: 'Ignore', svc: 'svc1', reason: 'waiting for node1 to record the start its daemon died in' });
  });
});
