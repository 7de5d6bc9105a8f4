import { describe, expect, it } from '@jest/globals';
import { decide, decideService } from '../../../domain/orchestration/decide.js';
import type { ClusterFacts, InstanceFacts, ServiceFacts } from '../../../domain/orchestration/decide.js';

const down: InstanceFacts = { avail: 'down', frozen: false, monitorState: 'idle', expect: undefined, monitoredDown: [], lastAction: undefined };
const up: InstanceFacts = { ...down, avail: 'up', expect: 'started' };

function svc(instances: Record<string, InstanceFacts>, o: Partial<ServiceFacts> = {}): ServiceFacts {
  return { name: 'svc1', orchestrate: 'ha', topology: 'failover', nodes: ['node1', 'node2'], instances, ...o };
}

function on(node: string, s: ServiceFacts, peers: ClusterFacts['peers'], nodeFrozen = false): ReturnType<typeof decideService> {
  return decideService({ node, nodeFrozen, peers, services: [s] }, s);
}

describe('orchestrator decisions', () => {
  it('orchestrate = no, a frozen node or instance, an action in progress: nothing', () => {
    expect(on('node1', svc({ node1: down }, { orchestrate: 'no' }), { node2: 'up' })).toEqual({ kind: 'Ignore', svc: 'svc1', reason: 'orchestrate = no' });
    expect(on('node1', svc({ node1: down }), { node2: 'up' }, true).reason).toBe('node frozen');
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
    const relocatedAway: InstanceFacts = { ...down, lastAction: { action: 'stop', result: 'ok', relocation: true, byOrchestrator: true } };
    const after = svc({ node1: relocatedAway, node2: down });
    expect(on('node1', after, { node2: 'up' }).reason).toBe('node2 comes first in placement');
    expect(on('node2', after, { node1: 'up' })).toMatchObject({ kind: 'RunAction', action: 'start', reason: 'not running on any live node: node2 is first of node2' });
  });

  it('start = placement only: no relocation on a monitored failure', () => {
    const failing: InstanceFacts = { ...up, avail: 'warn', monitoredDown: ['app#web'] };
    expect(on('node1', svc({ node1: failing, node2: down }, { orchestrate: 'start' }), { node2: 'up' }).reason).toBe('running here');
  });

  it('skips a node whose orchestrated start failed, and a peer without the service', () => {
    const failed: InstanceFacts = { ...down, monitorState: 'start failed', lastAction: { action: 'start', result: 'failed', relocation: false, byOrchestrator: true } };
    expect(on('node2', svc({ node1: failed, node2: down }), { node1: 'up' })).toMatchObject({ kind: 'RunAction', action: 'start' });
    expect(on('node1', svc({ node1: failed }), { node2: 'up' }).reason).toBe('no node can start it');
  });

  it('a failed manual start (the ip conflict abort) blocks nothing', () => {
    const aborted: InstanceFacts = { ...down, monitorState: 'start failed', lastAction: { action: 'start', result: 'failed', relocation: false, byOrchestrator: false } };
    expect(on('node1', svc({ node1: aborted, node2: down }), { node2: 'up' })).toMatchObject({ kind: 'RunAction', action: 'start' });
  });

  it('after a failed stop, it waits for an operator instead of stopping again and again', () => {
    const failing: InstanceFacts = { ...up, avail: 'warn', monitoredDown: ['app#web'], monitorState: 'stop failed' };
    expect(on('node1', svc({ node1: failing, node2: down }), { node2: 'up' })).toEqual({ kind: 'Ignore', svc: 'svc1', reason: 'stop failed: waiting for an operator' });
  });

  it('a single-node service needs no heartbeat', () => {
    expect(on('node1', svc({ node1: down }, { nodes: ['node1'] }), {})).toMatchObject({ kind: 'RunAction', action: 'start' });
  });

  it('decides each service on its own, the same way for the same facts', () => {
    const c: ClusterFacts = { node: 'node1', nodeFrozen: false, peers: { node2: 'up' }, services: [svc({ node1: down }), svc({ node1: up }, { name: 'svc2' })] };
    expect(decide(c)).toEqual(decide(JSON.parse(JSON.stringify(c)) as ClusterFacts));
    expect(decide(c).map((i) => i.kind)).toEqual(['RunAction', 'Ignore']);
  });
});
