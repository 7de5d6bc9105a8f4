import { describe, expect, it } from '@jest/globals';
import { decideService, refuseTarget } from '../../../domain/orchestration/decide.js';
import type { ClusterFacts, InstanceFacts, ServiceFacts, ServiceTarget } from '../../../domain/orchestration/decide.js';

const S = 1000;
const T0 = Date.UTC(2026, 0, 2, 14, 36);

const down: InstanceFacts = { avail: 'down', frozen: false, monitorState: 'idle', expect: undefined, monitoredDown: [], penalties: [], conflict: undefined, clearedAt: undefined };
const up: InstanceFacts = { ...down, avail: 'up', expect: 'started' };
const frozen = (i: InstanceFacts): InstanceFacts => ({ ...i, frozen: true });
/** the instance's last action, finished at `at` */
const acted = (i: InstanceFacts, action: string, result: string, at: number): InstanceFacts => ({ ...i, lastAction: { action, result, at } });

const target = (t: Partial<ServiceTarget> = {}): ServiceTarget => ({ id: 'node1:40', target: 'stopped', node: undefined, action: 'stop', by: 'root', origin: 'node1', at: T0, ...t });
const stopped = target();
const started = target({ target: 'started', action: 'start', origin: 'node2', id: 'node2:17' });
const toNode2 = target({ target: 'placed', node: 'node2', action: 'switch', id: 'node1:41' });

function svc(instances: Record<string, InstanceFacts>, t: ServiceTarget | undefined, o: Partial<ServiceFacts> = {}): ServiceFacts {
  return { name: 'svc1', orchestrate: 'ha', topology: 'failover', nodes: ['node1', 'node2'], instances, failureTimeoutMs: 300 * S, ...(t ? { target: t } : {}), ...o };
}

function cluster(node: string, s: ServiceFacts, peers: ClusterFacts['peers'], o: Partial<ClusterFacts> = {}): ClusterFacts {
  return { node, nodeFrozen: false, peers, services: [s], readyPeriodMs: 0, pending: {}, ...o };
}

function on(node: string, s: ServiceFacts, peers: ClusterFacts['peers'], o: Partial<ClusterFacts> & { now?: number } = {}) {
  return decideService(cluster(node, s, peers, o), s, o.now ?? T0 + 5 * S);
}

describe('target stopped (svcmgr stop): frozen everywhere first, then stopped, and it stays stopped', () => {
  it('each node freezes its own instance; the node running it stops it once every live instance is frozen', () => {
    const thawed = svc({ node1: up, node2: down }, stopped);
    expect(on('node1', thawed, { node2: 'up' })).toEqual({
      kind: 'Publish',
      svc: 'svc1',
      reason: "target stopped (stop by root on node1): freezing node1's instance, so no node starts it again",
      event: { type: 'InstanceFrozen', svc: 'svc1', causation: 'node1:40', data: {} },
    });
    expect(on('node2', thawed, { node1: 'up' })).toMatchObject({ kind: 'Publish', event: { type: 'InstanceFrozen' } });
    expect(on('node1', svc({ node1: frozen(up), node2: down }, stopped), { node2: 'up' }).reason).toBe('target stopped: waiting for node2 to freeze before stopping here');
    const frozenBoth = svc({ node1: frozen(up), node2: frozen(down) }, stopped);
    expect(on('node1', frozenBoth, { node2: 'up' })).toEqual({ kind: 'RunAction', svc: 'svc1', action: 'stop', relocation: false, reason: 'target stopped (stop by root on node1): stopping node1' });
    expect(on('node2', frozenBoth, { node1: 'up' }).reason).toBe('target stopped: waiting for node1 to stop');
  });

  it('a peer not up is not waited for: a node silent or down does not freeze anything', () => {
    expect(on('node1', svc({ node1: frozen(up), node2: down }, stopped), { node2: 'lost' })).toMatchObject({ kind: 'RunAction', action: 'stop' });
  });

  it('stopped and frozen everywhere live: the node that asked records it reached; the others leave it to that node', () => {
    const done = svc({ node1: frozen(down), node2: frozen(down) }, stopped);
    expect(on('node1', done, { node2: 'up' })).toEqual({
      kind: 'Publish',
      svc: 'svc1',
      reason: 'target stopped (stop by root on node1): reached',
      event: { type: 'ServiceTargetReached', svc: 'svc1', causation: 'node1:40', data: { of: 'node1:40', target: 'stopped' } },
    });
    expect(on('node2', done, { node1: 'up' }).reason).toBe('target stopped: reached: node1 records it');
    // the node that asked is gone: the first live node of the service records it
    expect(on('node2', done, { node1: 'down' })).toMatchObject({ kind: 'Publish', event: { type: 'ServiceTargetReached' } });
  });

  it('a failed stop fails the target: stopping again would fail the same way', () => {
    const failed = svc({ node1: frozen(acted({ ...up, monitorState: 'stop failed' }, 'stop', 'failed', T0 + S)), node2: frozen(down) }, stopped);
    expect(on('node1', failed, { node2: 'up' })).toMatchObject({
      kind: 'Publish',
      event: { type: 'ServiceTargetFailed', data: { of: 'node1:40', target: 'stopped', reason: 'stop failed on node1: svcmgr clear there once it is looked at' } },
    });
  });

  it('once reached, a stopped service stays stopped: frozen instances are never started by the rules', () => {
    expect(on('node1', svc({ node1: frozen(down), node2: frozen(down) }, undefined), { node2: 'up' }).reason).toBe('instance frozen');
    expect(on('node2', svc({ node1: frozen(down), node2: frozen(down) }, undefined), { node1: 'up' }).reason).toBe('instance frozen');
  });

  it('on a frozen node, and orchestrate = no, the target is still carried out', () => {
    const s = svc({ node1: frozen(up), node2: frozen(down) }, stopped, { orchestrate: 'no' });
    expect(on('node1', s, { node2: 'up' }, { nodeFrozen: true })).toMatchObject({ kind: 'RunAction', action: 'stop' });
  });
});

describe('target started (svcmgr start): thawed everywhere, started where placement says', () => {
  it('thaws, then starts on the first node of the placement after ready_period, orchestrate = no included', () => {
    expect(on('node1', svc({ node1: frozen(down), node2: frozen(down) }, started, { orchestrate: 'no' }), { node2: 'up' })).toMatchObject({ kind: 'Publish', event: { type: 'InstanceThawed', causation: 'node2:17' } });
    expect(on('node1', svc({ node1: down, node2: frozen(down) }, started), { node2: 'up' }).reason).toBe('target started: waiting for node2 to thaw');
    const thawed = svc({ node1: down, node2: down }, started, { orchestrate: 'no' });
    expect(on('node1', thawed, { node2: 'up' }, { readyPeriodMs: 5 * S })).toMatchObject({ kind: 'Ignore', reason: 'waiting ready_period (5s left)', pending: { since: T0 + 5 * S } });
    expect(on('node1', thawed, { node2: 'up' })).toEqual({ kind: 'RunAction', svc: 'svc1', action: 'start', relocation: false, reason: 'target started (start by root on node2): node1 is first of node1, node2' });
    expect(on('node2', thawed, { node1: 'up' }).reason).toBe('node1 comes first in placement');
  });

  it('reached once it runs on a live node, wherever that is', () => {
    expect(on('node2', svc({ node1: up, node2: down }, started), { node1: 'up' })).toMatchObject({ kind: 'Publish', event: { type: 'ServiceTargetReached', data: { of: 'node2:17', target: 'started' } } });
  });

  it('a node whose start failed since the target is passed over; when every node failed, the target fails', () => {
    const oneFailed = svc({ node1: acted({ ...down, monitorState: 'start failed' }, 'start', 'failed', T0 + S), node2: down }, started);
    expect(on('node2', oneFailed, { node1: 'up' })).toMatchObject({ kind: 'RunAction', action: 'start', reason: 'target started (start by root on node2): node2 is first of node2' });
    // a failure from before the target is no reason: the operator asked again
    const before = svc({ node1: acted({ ...down, monitorState: 'start failed' }, 'start', 'failed', T0 - S), node2: down }, started);
    expect(on('node1', before, { node2: 'up' })).toMatchObject({ kind: 'RunAction', action: 'start' });
    const both = svc({ node1: acted(down, 'start', 'failed', T0 + S), node2: acted(down, 'start', 'interrupted', T0 + 2 * S) }, started);
    expect(on('node2', both, { node1: 'up' })).toMatchObject({ kind: 'Publish', event: { type: 'ServiceTargetFailed', data: { reason: 'start failed on node1, node2' } } });
  });

  it('a start interrupted half-way (its daemon killed) is rolled back before the target is reached, then placed elsewhere', () => {
    const half = { ...acted({ ...down, avail: 'warn', monitorState: 'start failed', penalties: [{ at: T0 + S, why: 'start failed' }] }, 'start', 'interrupted', T0 + S), interruptedLeftUp: ['ip#0'] };
    const s = svc({ node1: half, node2: down }, started);
    expect(on('node1', s, { node2: 'up' })).toMatchObject({ kind: 'RunAction', action: 'stop', rids: ['ip#0'], reason: 'target started (start by root on node2): start interrupted (the process running it died), ip#0 left up: stopping them, as a failed start rolls back' });
    expect(on('node2', s, { node1: 'up' }).reason).toBe('target started: waiting for node1 to stop what an interrupted start left up');
    const rolledBack = svc({ node1: acted({ ...down, penalties: [{ at: T0 + S, why: 'start failed' }] }, 'stop', 'ok', T0 + 2 * S), node2: down }, started);
    expect(on('node2', rolledBack, { node1: 'up' })).toMatchObject({ kind: 'RunAction', action: 'start', reason: expect.stringContaining('node2 is first of node2, node1') });
  });

  it('running degraded (a resource down, not monitored): started once more where it runs, then reached', () => {
    const warn: InstanceFacts = { ...up, avail: 'warn' };
    const s = svc({ node1: warn, node2: down }, started);
    expect(on('node1', s, { node2: 'up' })).toEqual({ kind: 'RunAction', svc: 'svc1', action: 'start', relocation: false, reason: 'target started (start by root on node2): node1 runs it degraded (warn): starting what is down here' });
    expect(on('node2', s, { node1: 'up' }).reason).toBe('target started: waiting for node1 to start what is down there');
    // started since the request: reached, even if something stays warn (a start cannot mend everything)
    const again = svc({ node1: acted(warn, 'start', 'ok', T0 + S), node2: down }, started);
    expect(on('node2', again, { node1: 'up' })).toMatchObject({ kind: 'Publish', event: { type: 'ServiceTargetReached' } });
    // a start before the request does not count; a failed one fails the target
    expect(on('node1', svc({ node1: acted(warn, 'start', 'ok', T0 - S), node2: down }, started), { node2: 'up' })).toMatchObject({ kind: 'RunAction', action: 'start' });
    const failed = svc({ node1: acted({ ...warn, monitorState: 'start failed' }, 'start', 'failed', T0 + S), node2: down }, started);
    expect(on('node2', failed, { node1: 'up' })).toMatchObject({ kind: 'Publish', event: { type: 'ServiceTargetFailed', data: { reason: 'start failed on node1' } } });
  });

  it('running on both after a partition: the node placement prefers less stops, as without a target', () => {
    expect(on('node2', svc({ node1: up, node2: up }, started), { node1: 'up' })).toMatchObject({ kind: 'RunAction', action: 'stop', reason: 'also running on node1 (node1 preferred by placement): stopping here' });
  });
});

describe('target placed@node2 (switch, takeover, giveback): stopped elsewhere, then started on node2', () => {
  it('the node running it thaws, then stops; node2 waits, then starts it; reached once it runs on node2 only', () => {
    expect(on('node1', svc({ node1: frozen(up), node2: down }, toNode2), { node2: 'up' })).toMatchObject({ kind: 'Publish', event: { type: 'InstanceThawed' } });
    const s = svc({ node1: up, node2: down }, toNode2);
    expect(on('node1', s, { node2: 'up' })).toEqual({ kind: 'RunAction', svc: 'svc1', action: 'stop', relocation: false, reason: 'target placed@node2 (switch by root on node1): stopping node1 for node2 to start it' });
    expect(on('node2', s, { node1: 'up' }).reason).toBe('target placed@node2: waiting for node1 to stop');
    const moved = svc({ node1: down, node2: down }, toNode2);
    expect(on('node2', moved, { node1: 'up' })).toEqual({ kind: 'RunAction', svc: 'svc1', action: 'start', relocation: false, reason: 'target placed@node2 (switch by root on node1): starting node2' });
    expect(on('node1', moved, { node2: 'up' }).reason).toBe('target placed@node2: waiting for node2 to start it');
    const there = svc({ node1: down, node2: up }, toNode2);
    // node2 records it, not node1 that asked: node2 alone knows it is not stopping it for an older target
    expect(on('node2', there, { node1: 'up' })).toMatchObject({ kind: 'Publish', event: { type: 'ServiceTargetReached', data: { of: 'node1:41', target: 'placed@node2' } } });
    expect(on('node1', there, { node2: 'up' }).reason).toBe('target placed@node2: reached: node2 records it');
  });

  it('Flip: a newer placement on the node still stopping it for an older one is not reached until it runs there again', () => {
    // node1 asked placed@node2 and began its stop; node2 then asked placed@node1, before node1's stop reached it
    const toNode1 = target({ target: 'placed', node: 'node1', action: 'switch', origin: 'node2', id: 'node2:30' });
    expect(on('node2', svc({ node1: up, node2: down }, toNode1), { node1: 'up' }).reason).toBe('target placed@node1: reached: node1 records it');
    expect(on('node1', svc({ node1: { ...up, monitorState: 'stopping' }, node2: down }, toNode1), { node2: 'up' }).reason).toBe('target placed@node1: node1 stopping in progress');
    expect(on('node1', svc({ node1: down, node2: down }, toNode1), { node2: 'up' })).toMatchObject({ kind: 'RunAction', action: 'start', reason: 'target placed@node1 (switch by root on node2): starting node1' });
  });

  it('a failed start on node2 fails it; node2 down or frozen fails it; node2 silent makes it wait', () => {
    const failed = svc({ node1: down, node2: acted({ ...down, monitorState: 'start failed' }, 'start', 'failed', T0 + S) }, toNode2);
    expect(on('node2', failed, { node1: 'up' })).toMatchObject({ kind: 'Publish', event: { type: 'ServiceTargetFailed', data: { reason: 'start failed on node2' } } });
    expect(on('node1', svc({ node1: up, node2: down }, toNode2), { node2: 'down' })).toMatchObject({ kind: 'Publish', event: { type: 'ServiceTargetFailed', data: { reason: 'node2 is down' } } });
    expect(on('node2', svc({ node1: up, node2: down }, toNode2), { node1: 'up' }, { nodeFrozen: true })).toMatchObject({ event: { data: { reason: 'node node2 is frozen' } } });
    expect(on('node1', svc({ node1: up, node2: down }, toNode2), { node2: 'up' }, { frozenNodes: ['node2'] }).reason).toBe('target placed@node2: failed (node node2 is frozen): node2 records it');
    expect(on('node1', svc({ node1: up, node2: down }, toNode2), { node2: 'lost' }, { peerWhy: { node2: 'hb#1 silent 12s' } }).reason).toBe('target placed@node2: waiting for node2 (hb#1 silent 12s)');
  });

  it('takeover from a node proven down, never from one lost without proof', () => {
    const here = target({ target: 'placed', node: 'node2', action: 'takeover', origin: 'node2', id: 'node2:9' });
    expect(on('node2', svc({ node1: up, node2: down }, here), { node1: 'down' }, { peerWhy: { node1: 'hb#1 silent, disk heartbeat stopped' } })).toMatchObject({
      kind: 'RunAction',
      action: 'start',
      takeover: 'node1',
      reason: 'target placed@node2 (takeover by root on node2): node1 down (hb#1 silent, disk heartbeat stopped): taking over on node2',
    });
    expect(on('node2', svc({ node1: up, node2: down }, here), { node1: 'lost' }).reason).toBe('target placed@node2: running on node1 as last heard, no proof it is down: not starting here');
  });
});

describe('a target request is refused in one line when it cannot be reached', () => {
  const s = svc({ node1: up, node2: down }, undefined);
  const refuse = (t: Pick<ServiceTarget, 'target' | 'node'>, peers: ClusterFacts['peers'], o: Partial<ClusterFacts> = {}, f = s) => refuseTarget(cluster('node1', f, peers, o), f, t);

  it('a switch to a node that cannot run it', () => {
    expect(refuse({ target: 'placed', node: 'node3' }, { node2: 'up' })).toBe("node3 is not one of svc1's nodes (node1, node2)");
    expect(refuse({ target: 'placed', node: 'node2' }, { node2: 'lost' }, { peerWhy: { node2: 'hb#1 silent' } })).toBe('node2 cannot run svc1: it is lost (hb#1 silent)');
    expect(refuse({ target: 'placed', node: 'node2' }, { node2: 'up' }, { frozenNodes: ['node2'] })).toBe('node2 cannot run svc1: the node is frozen (nodemgr thaw there)');
    expect(refuse({ target: 'placed', node: 'node2' }, { node2: 'up' }, {}, svc({ node1: up }, undefined))).toBe('node2 cannot run svc1: it has no instance of it yet (svcmgr -s svc1 sync nodes)');
    expect(refuse({ target: 'placed', node: 'node2' }, { node2: 'up' })).toBeUndefined();
  });

  it('a start no node can carry out, a failed stop not cleared, a flex service', () => {
    expect(refuse({ target: 'started', node: undefined }, { node2: 'down' }, { nodeFrozen: true })).toBe('svc1: no node can start it (node node1 frozen, node2 down)');
    expect(refuse({ target: 'started', node: undefined }, { node2: 'up' }, {}, svc({ node1: { ...up, monitorState: 'stop failed' }, node2: down }, undefined))).toBe('svc1: stop failed on node1: look, then svcmgr -s svc1 clear there');
    expect(refuse({ target: 'stopped', node: undefined }, { node2: 'up' }, {}, svc({ node1: { ...up, monitorState: 'stop failed' }, node2: down }, undefined))).toBeUndefined();
    expect(refuse({ target: 'stopped', node: undefined }, { node2: 'up' }, {}, svc({ node1: up }, undefined, { topology: 'flex' }))).toBe('svc1 is a flex service: its instances are started and stopped on each node (--local)');
  });
});

describe('rule 9: a frozen node (nodemgr freeze, drain) is no candidate', () => {
  it('the service down everywhere and node1 frozen: node2 starts it instead of waiting for node1', () => {
    const s = svc({ node1: down, node2: down }, undefined);
    expect(on('node2', s, { node1: 'up' }).reason).toBe('node1 comes first in placement');
    expect(on('node2', s, { node1: 'up' }, { frozenNodes: ['node1'] })).toMatchObject({ kind: 'RunAction', action: 'start', reason: 'not running on any live node: node2 is first of node2' });
  });
});

describe('a disabled service (svcmgr disable) is left alone', () => {
  it('no rule acts on it, no target is taken for it', () => {
    const s = svc({ node1: down, node2: down }, undefined, { disabled: true });
    expect(on('node1', s, { node2: 'up' }).reason).toBe('disabled');
    expect(on('node1', svc({ node1: up, node2: down }, stopped, { disabled: true }), { node2: 'up' }).reason).toBe('disabled');
    expect(refuseTarget(cluster('node1', s, { node2: 'up' }), s, { target: 'started', node: undefined })).toBe('svc1 is disabled (svcmgr -s svc1 enable)');
  });
});
