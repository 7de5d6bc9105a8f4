import { describe, expect, it } from '@jest/globals';
import type { StoredEvent } from '../../../adapters/nats/eventStore.js';
import type { PeerLiveness } from '../../../domain/heartbeat/peers.js';
import { InstancesProjection } from '../../../projections/instances.js';
import type { Applied } from '../../../projections/instances.js';
import { changedServices, daemonStatus } from '../../../src/daemon/readModel.js';
import type { StatusInputs } from '../../../src/daemon/readModel.js';
import { LogBuilder } from '../../support/events.js';

const stored = (a: Applied) => ({ streamSeq: a.streamSeq, event: a.event }) as unknown as StoredEvent;

/** A projection fed from a log, the recent events as the monitor holds them, and the status inputs over both. */
function node(names: readonly string[]) {
  const log = new LogBuilder();
  const p = new InstancesProjection();
  let applied = 0;
  const peers = new Map<string, PeerLiveness>([['node2', 'up']]);
  const feed = () => {
    for (const a of log.log.slice(applied)) p.apply(a);
    applied = log.log.length;
  };
  const base: StatusInputs = {
    node: 'node1', cluster: 'c1', pid: 1, version: 'v', threads: [], clusterNodes: ['node1', 'node2'], load15m: 0, nodeFrozen: () => false,
    projection: p, localServices: names, localConfig: () => undefined,
    peer: (n) => (peers.has(n) ? { load15m: undefined, state: peers.get(n)! } : undefined),
  };
  const incremental: StatusInputs = { ...base, changedSince: (seq) => changedServices({ events: log.log.filter((a) => a.streamSeq > seq).map(stored), more: false, truncated: false }, seq, p.lastSeq) };
  return { log, feed, peers, full: () => daemonStatus(base), incremental: () => daemonStatus(incremental) };
}

const up = (log: LogBuilder, svc: string, origin: string, avail: 'up' | 'down') => {
  const s = log.add(origin, { type: 'ActionStarted', svc, data: { action: avail === 'up' ? 'start' : 'stop', rids: [], argv: [] } });
  log.add(origin, { type: 'InstanceStatusChanged', svc, causation: s.id, data: { avail, overall: avail } });
  log.add(origin, { type: 'ActionFinished', svc, causation: s.id, data: { action: avail === 'up' ? 'start' : 'stop', result: 'ok', durationMs: 1 } });
};

describe('the daemon status kept up to date from the events', () => {
  it('given events after a first status, each status is the one computed from scratch', () => {
    const n = node(['svc1', 'svc2', 'svc3']);
    for (const s of ['svc1', 'svc2', 'svc3']) up(n.log, s, 'node1', 'up');
    n.feed();
    const first = n.incremental();
    expect(first).toEqual(n.full());
    n.log.add('node1', { type: 'InstanceFrozen', svc: 'svc2', data: {} });
    n.feed();
    // svc1 and svc3 untouched: not computed again
    const second = n.incremental();
    expect(second.services[0]).toBe(first.services[0]);
    expect(second.services[1]).not.toBe(first.services[1]);
    expect(second.services[2]).toBe(first.services[2]);
    up(n.log, 'svc3', 'node1', 'down');
    up(n.log, 'svc1', 'node2', 'up');
    n.feed();
    const s = n.incremental();
    expect(s).toEqual(n.full());
    expect(s.services.find((x) => x.name === 'svc2')!.frozen).toBe('frozen');
    expect(s.services.find((x) => x.name === 'svc3')!.avail).toBe('down');
    expect(s.warnings).toEqual(['svc1: a failover service up on node1, node2 at once']);
    // a node's start (an event of no service) makes every instance of it unchecked
    n.log.add('node2', { type: 'DaemonStarted', data: { pid: 2, version: 'v' } });
    n.feed();
    expect(n.incremental()).toEqual(n.full());
  });

  it('a peer lost shows its instances unknown at once, with no event of their service', () => {
    const n = node(['svc1']);
    up(n.log, 'svc1', 'node2', 'up');
    n.feed();
    expect(n.incremental().services[0]!.instances[0]!.avail).toBe('up');
    n.peers.set('node2', 'lost');
    expect(n.incremental()).toEqual(n.full());
    expect(n.incremental().services[0]!.instances[0]!.avail).toBe('undef');
  });

  it('the changed services are not known when the recent events do not reach back, or one has no service', () => {
    const log = new LogBuilder();
    const a = log.add('node1', { type: 'InstanceFrozen', svc: 'svc1', data: {} });
    const one = [{ streamSeq: 1, event: a } as unknown as StoredEvent];
    expect(changedServices({ events: one, more: false, truncated: false }, 0, 1)).toEqual(new Set(['svc1']));
    expect(changedServices({ events: one, more: false, truncated: 'window' }, 0, 1)).toBeUndefined();
    expect(changedServices({ events: one, more: true, truncated: false }, 0, 1)).toBeUndefined();
    expect(changedServices({ events: one, more: false, truncated: false }, 0, 2)).toBeUndefined();
    const b = log.add('node1', { type: 'NodeFrozen', data: {} });
    expect(changedServices({ events: [{ streamSeq: 2, event: b } as unknown as StoredEvent], more: false, truncated: false }, 1, 2)).toBeUndefined();
  });
});
