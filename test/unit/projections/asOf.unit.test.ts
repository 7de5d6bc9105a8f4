import { describe, expect, it } from '@jest/globals';
import { ClusterAsOf } from '../../../projections/asOf.js';
import type { Applied } from '../../../projections/instances.js';
import { parseBound, withinBound } from '../../../src/cli/log/when.js';
import { LogBuilder } from '../../support/events.js';

function log() {
  const b = new LogBuilder();
  b.add('node1', { type: 'DaemonStarted', data: { pid: 10, version: '0.1.0' } });
  b.add('node1', { type: 'NodeJoined', data: { node: 'node2' } });
  const thaw = b.add('node1', { type: 'InstanceThawed', svc: 'svc1', data: {} });
  b.add('node1', { type: 'PeerStateChanged', data: { node: 'node2', to: 'up', why: 'beating on hb#1' } });
  const started = b.add('node1', { type: 'ActionStarted', svc: 'svc1', data: { action: 'start', rids: ['app#1'], argv: ['orchestrator', 'start'], user: 'orchestrator' } });
  b.add('node1', { type: 'InstanceStatusChanged', svc: 'svc1', causation: started.id, data: { avail: 'up', overall: 'up' } });
  const up = b.add('node1', { type: 'ActionFinished', svc: 'svc1', causation: started.id, data: { action: 'start', result: 'ok', durationMs: 10 } });
  b.add('node1', { type: 'NodeFrozen', data: {} });
  const lost = b.add('node1', { type: 'PeerStateChanged', data: { node: 'node2', from: 'up', to: 'lost', why: 'silent on hb#1' } });
  b.add('node1', { type: 'DaemonStarted', data: { pid: 11, version: '0.1.0' } });
  return { b, thaw, up, lost };
}

function asOf(events: readonly Applied[], at: string): ClusterAsOf {
  const bound = parseBound('test: --at', at, new Date());
  const m = new ClusterAsOf();
  for (const a of events) if (withinBound(bound, a)) m.apply(a);
  return m;
}

describe('the cluster as it was at a point of the log (svcmon --at, print status --at)', () => {
  it('by time: svc1 up on node1 after its start, node2 up as node1 heard it, node1 thawed', () => {
    const { b, up } = log();
    const m = asOf(b.log, up.time);
    expect(m.instances.get('svc1', 'node1')).toMatchObject({ avail: 'up', frozen: false, monitorState: 'idle' });
    expect(m.peerAsSeenBy('node1', 'node2')).toEqual({ state: 'up', why: 'beating on hb#1' });
    expect(m.nodeStates.node1?.frozen ?? false).toBe(false);
    expect(m.nodes).toEqual(['node1', 'node2']);
    expect(m.last?.event.id).toBe(up.id);
    m.stop();
  });

  it('by stream sequence: the node frozen, node2 lost; after node1\'s daemon restart node2 is unknown until heard again', () => {
    const { b, lost } = log();
    const seq = b.log.find((a) => a.event.id === lost.id)!.streamSeq;
    const before = asOf(b.log, `seq:${seq}`);
    expect(before.nodeStates.node1).toEqual({ frozen: true });
    expect(before.peerAsSeenBy('node1', 'node2')).toEqual({ state: 'lost', why: 'silent on hb#1' });
    const after = asOf(b.log, `seq:${seq + 1}`);
    expect(after.peerAsSeenBy('node1', 'node2')).toEqual({ state: 'unknown', why: 'not heard from yet' });
    // node2's own daemon start is not in the log: nothing to say of what it saw
    expect(after.peerAsSeenBy('node2', 'node1')).toBeUndefined();
    before.stop();
    after.stop();
  });

  it('before the service existed, it has no instance', () => {
    const { b, thaw } = log();
    const m = asOf(b.log, new Date(Date.parse(thaw.time) - 1).toISOString());
    expect(m.instances.nodesOf('svc1')).toEqual([]);
    m.stop();
  });

  it('--at takes a time, a duration back from now, or seq:N; anything else is a usage error naming the option', () => {
    const now = new Date('2026-01-02T15:00:00Z');
    expect(parseBound('svcmon: --at', '2026-01-02T14:00:00Z', now)).toEqual({ time: new Date('2026-01-02T14:00:00Z') });
    expect(parseBound('svcmon: --at', '10m', now)).toEqual({ time: new Date('2026-01-02T14:50:00Z') });
    expect(parseBound('svcmon: --at', 'seq:42', now)).toEqual({ seq: 42 });
    expect(() => parseBound('svcmon: --at', 'yesterday', now)).toThrow('svcmon: --at "yesterday" is neither a date (2026-01-02T14:00) nor a duration (30m, 2h, 7d)');
  });
});
