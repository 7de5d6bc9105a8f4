import { describe, expect, test } from '@jest/globals';
import { placementOrder } from '../../../domain/orchestration/placement.js';

describe('placement order', () => {
  test('nodes order: the nodes as written, the first preferred', () => {
    expect(placementOrder('svc1', 'nodes order', ['node2', 'node1', 'node3'])).toEqual(['node2', 'node1', 'node3']);
  });

  test('spread: a static ranking per service, the same on every node and every call, whatever the order written', () => {
    const a = placementOrder('svc1', 'spread', ['node1', 'node2', 'node3']);
    expect(placementOrder('svc1', 'spread', ['node3', 'node1', 'node2'])).toEqual(a);
    expect([...a].sort()).toEqual(['node1', 'node2', 'node3']);
  });

  test('spread: services are levelled over the nodes (each node first for some of them)', () => {
    const firsts = new Map<string, number>();
    for (let i = 0; i < 60; i++) {
      const first = placementOrder(`svc${i}`, 'spread', ['node1', 'node2', 'node3'])[0]!;
      firsts.set(first, (firsts.get(first) ?? 0) + 1);
    }
    expect([...firsts.keys()].sort()).toEqual(['node1', 'node2', 'node3']);
    for (const n of firsts.values()) expect(n).toBeGreaterThanOrEqual(10);
  });

  test('spread of one node, or none', () => {
    expect(placementOrder('svc1', 'spread', ['node1'])).toEqual(['node1']);
    expect(placementOrder('svc1', 'spread', [])).toEqual([]);
  });
});
