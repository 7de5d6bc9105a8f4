import { describe, expect, test } from '@jest/globals';
import { makeEvent } from '../../../domain/events.js';
import type { AnyEvent } from '../../../domain/events.js';
import { planDrain } from '../../../domain/spoolDrain.js';

const ev = (cluster: string, seq: number, origin = 'node2'): AnyEvent => makeEvent({ type: 'NodeFrozen', data: {} }, { cluster, origin, seq, time: '2024-01-01T00:00:00.000Z' }) as AnyEvent;
const ids = (l: readonly AnyEvent[]) => l.map((e) => `${e.id}@${e.cluster}`);

describe('planDrain: where each spooled event goes', () => {
  test('events of this cluster are appended in order, those the stream holds are skipped', () => {
    const p = planDrain([ev('c2', 3), ev('c2', 4), ev('c2', 5)], 'c2', new Map([['node2', 3]]));
    expect(ids(p.append)).toEqual(['node2:4@c2', 'node2:5@c2']);
    expect(p.stored).toBe(1);
    expect(p.keptAside).toEqual([]);
  });

  test('recorded before the join (the previous cluster name, nothing of the origin here yet): kept aside, the rest appended', () => {
    const p = planDrain([ev('first', 1), ev('first', 2), ev('c2', 3)], 'c2', new Map([['node2', 0]]));
    expect(ids(p.keptAside)).toEqual(['node2:1@first', 'node2:2@first']);
    expect(ids(p.append)).toEqual(['node2:3@c2']);
    expect(p.restamped).toEqual([]);
  });

  test('stamped with the old name after the origin wrote here (a process that read cluster.conf before the join): re-stamped, no hole', () => {
    const p = planDrain([ev('first', 1), ev('c2', 2), ev('first', 3), ev('c2', 4)], 'c2', new Map());
    expect(ids(p.keptAside)).toEqual(['node2:1@first']);
    expect(ids(p.append)).toEqual(['node2:2@c2', 'node2:3@c2', 'node2:4@c2']);
    expect(ids(p.restamped)).toEqual(['node2:3@c2']);
  });

  test('a drain run again after its append was interrupted appends nothing twice, keeps aside the same events', () => {
    const spooled = [ev('first', 1), ev('c2', 2), ev('first', 3)];
    const p = planDrain(spooled, 'c2', new Map([['node2', 3]]), new Set(['node2:1']));
    expect(p.append).toEqual([]);
    expect(p.stored).toBe(2);
    expect(ids(p.keptAside)).toEqual(['node2:1@first']);
  });

  test('origins are judged apart', () => {
    const p = planDrain([ev('first', 7, 'node1'), ev('first', 1, 'node2')], 'c2', new Map([['node1', 6]]));
    expect(ids(p.append)).toEqual(['node1:7@c2']);
    expect(ids(p.keptAside)).toEqual(['node2:1@first']);
  });
});
