import { describe, expect, it } from '@jest/globals';
import { makeEvent } from '../../../domain/events.js';
import type { AnyEvent } from '../../../domain/events.js';
import { painter } from '../../../src/cli/color.js';
import { renderSvcmon } from '../../../src/cli/svcmon/render.js';
import { OriginIndex } from '../../../src/daemon/hb/originIndex.js';
import { parseHostPort } from '../../../src/daemon/hb/peers.js';
import { BeatError, parseAck, parseBeat, selectBatch, toAppend } from '../../../src/daemon/hb/protocol.js';
import type { DaemonStatus } from '../../../src/daemon/readModel.js';

const ev = (origin: string, seq: number, cluster = 'c1'): AnyEvent => makeEvent({ type: 'NodeFrozen', data: {} }, { cluster, origin, seq, time: '2026-01-01T00:00:00.000Z' }) as AnyEvent;
const heads = (o: Record<string, number>) => new Map(Object.entries(o));

describe('selectBatch: what the next beat carries', () => {
  it('carries nothing before the peer said where it stands', () => {
    expect(selectBatch(heads({ node1: 10 }), undefined, 'node1')).toEqual([]);
  });

  it('carries the sender\'s own events after the ack, never another origin\'s', () => {
    expect(selectBatch(heads({ node1: 10, node2: 7, node3: 4 }), heads({ node1: 8, node2: 0, node3: 0 }), 'node1')).toEqual([{ origin: 'node1', after: 8, max: 2 }]);
  });

  it('at most the limit, the rest going with the next beats', () => {
    expect(selectBatch(heads({ node1: 1000, node3: 3 }), heads({}), 'node1', 100)).toEqual([{ origin: 'node1', after: 0, max: 100 }]);
  });

  it('is empty once the peer holds everything', () => {
    expect(selectBatch(heads({ node1: 5 }), heads({ node1: 5 }), 'node1')).toEqual([]);
  });
});

describe('toAppend: exactly once, per origin in order, no gap, no fork', () => {
  it('drops what the stream holds, sorts by sequence, and ignores duplicates', () => {
    const got = toAppend([ev('node2', 5), ev('node2', 3), ev('node2', 4), ev('node2', 4), ev('node3', 1)], heads({ node2: 3 }));
    expect(got.append.map((e) => e.id)).toEqual(['node2:4', 'node2:5', 'node3:1']);
    expect(got.refused).toEqual([]);
  });

  it('accepts a stream that starts mid-way (a node that joined later), never going back', () => {
    expect(toAppend([ev('node2', 31), ev('node2', 32)], heads({})).append.map((e) => e.seq)).toEqual([31, 32]);
    expect(toAppend([ev('node2', 2)], heads({ node2: 31 })).append).toEqual([]);
  });

  it('refuses a gap: nothing past it is stored, and it is reported', () => {
    const got = toAppend([ev('node2', 4), ev('node2', 1_000_000_000), ev('node2', 1_000_000_001)], heads({ node2: 3 }));
    expect(got.append.map((e) => e.seq)).toEqual([4]);
    expect(got.refused).toEqual(['node2:1000000000: gap after node2:4']);
  });

  it('refuses a fork: two events with one sequence', () => {
    const other = { ...ev('node2', 4), id: 'forged-id' } as AnyEvent;
    const got = toAppend([ev('node2', 4), other], heads({ node2: 3 }));
    expect(got.append.map((e) => e.seq)).toEqual([4]);
    expect(got.refused).toEqual(['node2:4: two events with one sequence (fork)']);
  });
});

describe('parseBeat: validated at the boundary', () => {
  const beat = (events: unknown[], node = 'node2') => ({ v: 1, cluster: 'c1', node, hb: 'hb#1', status: { load15m: 0.5, frozen: false, instances: {} }, heads: { node2: 3 }, events });

  it('keeps the sender\'s own valid events; reports other origins (the receiver\'s too), other clusters\' and invalid ones', () => {
    const { beat: b, rejected } = parseBeat(beat([ev('node2', 1), ev('node1', 1), ev('node3', 1), ev('sa.x', 1), ev('node2', 2, 'other'), { type: 'NodeFrozen' }]), 'node1');
    expect(b.events.map((e) => e.id)).toEqual(['node2:1']);
    expect(rejected).toHaveLength(5);
    expect(rejected[0]).toMatch(/"node1": a beat carries its sender's own events only/);
    expect(rejected[1]).toMatch(/"node3"/);
    expect(rejected[3]).toMatch(/cluster "other"/);
    expect(b.status.load15m).toBe(0.5);
  });

  it('refuses a beat that is not one, a beat from the receiver itself, and an oversized one', () => {
    expect(() => parseBeat({ ...beat([]), v: 2 }, 'node1')).toThrow(BeatError);
    expect(() => parseBeat('x', 'node1')).toThrow(BeatError);
    expect(() => parseBeat(beat([], 'node1'), 'node1')).toThrow(/this node itself/);
    expect(() => parseBeat(beat(Array.from({ length: 501 }, (_, i) => ev('node2', i + 1))), 'node1')).toThrow(/501 events in one beat/);
  });

  it('carries which daemon sent it and its monotonic clock; a beat of an earlier version has neither, a bad one is no beat', () => {
    expect(parseBeat({ ...beat([]), boot: 9, mono: 1234.5 }, 'node1').beat).toMatchObject({ boot: 9, mono: 1234.5 });
    expect(parseBeat(beat([]), 'node1').beat).not.toHaveProperty('boot');
    expect(() => parseBeat({ ...beat([]), boot: 9 }, 'node1')).toThrow(/mono must be a non-negative number/);
    expect(() => parseBeat({ ...beat([]), boot: -1, mono: 3 }, 'node1')).toThrow(/boot must be a non-negative integer/);
  });

  it('a bad origin in heads or acks is left out, never fatal (one bad record must not stop heartbeats for good)', () => {
    expect(parseBeat({ ...beat([]), heads: { node2: 3, 'sa.x': 1, '*': 2, node3: -1 } }, 'node1').beat.heads).toEqual({ node2: 3 });
    expect(parseAck({ node: 'node1', acks: { 'bad name': 1, node2: 4 } })).toEqual({ node: 'node1', acks: { node2: 4 } });
  });
});

describe('OriginIndex', () => {
  it('finds the stream sequences after a per-origin sequence, ignoring re-deliveries', () => {
    const ix = new OriginIndex();
    [['node1', 1, 1], ['node2', 31, 2], ['node1', 2, 3], ['node2', 32, 4], ['node1', 2, 3], ['node1', 3, 5]].forEach(([o, s, ss]) => ix.add(o as string, s as number, ss as number));
    expect(ix.heads()).toEqual(heads({ node1: 3, node2: 32 }));
    expect(ix.after('node1', 1, 10)).toEqual([3, 5]);
    expect(ix.after('node2', 0, 1)).toEqual([2]);
    expect(ix.after('node3', 0, 1)).toEqual([]);
  });
});

describe('join --addr', () => {
  it('reads HOST[:PORT]', () => {
    expect(parseHostPort('127.0.0.2:1300', 1214)).toEqual({ host: '127.0.0.2', port: 1300 });
    expect(parseHostPort('node1', 1214)).toEqual({ host: 'node1', port: 1214 });
    expect(parseHostPort('[::1]:80', 1214)).toEqual({ host: '::1', port: 80 });
    expect(parseHostPort('a:b', 1214)).toBeUndefined();
  });
});

describe('svcmon with two nodes', () => {
  it('shows the heartbeat threads with a cell per node, as the tutorial', () => {
    const s: DaemonStatus = {
      node: 'node2',
      cluster: 'c1',
      pid: 1,
      version: 'x',
      lastSeq: 1,
      jobs: [],
      threads: [
        { name: 'hb#1.rx', state: 'running', address: '0.0.0.0:10000', peers: { node1: 'O', node2: '/' } },
        { name: 'hb#1.tx', state: 'running', peers: { node1: 'O', node2: '/' } },
        { name: 'listener', state: 'running', address: '0.0.0.0:1214' },
        { name: 'monitor', state: 'running' },
        { name: 'scheduler', state: 'running' },
      ],
      nodes: [
        { name: 'node1', load15m: 0.1, frozen: false, local: false, state: 'up' },
        { name: 'node2', load15m: 0.1, frozen: true, local: true },
      ],
      services: [],
    };
    expect(renderSvcmon(s, painter('no', false))).toEqual([
      'Threads                            node1 node2',
      ' hb#1.rx   running 0.0.0.0:10000 | O     /',
      ' hb#1.tx   running               | O     /',
      ' listener  running 0.0.0.0:1214',
      ' monitor   running',
      ' scheduler running',
      '',
      'Nodes                              node1 node2',
      '  15m                            | 0.1   0.1',
      '  state                          |       *',
      '',
      'Services                           node1 node2',
    ]);
  });
});
