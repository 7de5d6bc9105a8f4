import { describe, expect, it } from '@jest/globals';
import { bothHeld, convergenceProblems, held, nearest, outageAfter } from '../../lab/faults/invariants.js';
import type { Probe } from '../../lab/faults/prober.js';
import type { Sample } from '../../lab/faults/sampler.js';
import type { StreamRecord } from '../../lab/faults/streamDump.js';

const W = { svcAddr: '10.199.0.42', devs: ['/dev/loop1', '/dev/loop2'] };
const none: Sample = { t: 0, node: 'node1', seq: 0, addrs: ['10.199.0.11'], mac: 'aa', mounts: [], app: [] };
const running: Sample = { ...none, addrs: ['10.199.0.11', '10.199.0.42'], mounts: ['/dev/loop1 /svc1/app', '/dev/loop2 /svc1/data'], app: [42] };
const at = (s: Sample, t: number, node = s.node): Sample => ({ ...s, t, node });
const rec = (origin: string, seq: number, streamSeq: number, type = 'NodeFrozen'): StreamRecord => ({ streamSeq, id: `${origin}:${seq}`, origin, seq, type });
const probe = (t: number, ok: boolean, mac?: string): Probe => ({ t, ok, ms: 5, ...(mac ? { mac } : {}) });

describe('the fault observer\'s invariants', () => {
  it('what a sample holds of the service: its address, each SAN filesystem, the app', () => {
    expect(held(none, W)).toEqual([]);
    expect(held(running, W)).toEqual(['ip', 'fs /dev/loop1', 'fs /dev/loop2', 'app']);
    expect(held({ ...none, mounts: ['/dev/loop2 /svc1/data'] }, W)).toEqual(['fs /dev/loop2']);
  });

  it('the service on two nodes at once is what both samples hold; one filesystem each is not a double mount', () => {
    expect(bothHeld(running, at(none, 0, 'node2'), W)).toEqual([]);
    expect(bothHeld(running, at(running, 0, 'node2'), W)).toEqual(['ip', 'fs /dev/loop1', 'fs /dev/loop2', 'app']);
    expect(bothHeld({ ...none, mounts: ['/dev/loop1 /svc1/app'] }, { ...none, node: 'node2', mounts: ['/dev/loop2 /svc1/data'] }, W)).toEqual([]);
  });

  it('the nearest sample of the other node, only within the window', () => {
    const other = [at(none, 0), at(none, 100), at(none, 200)];
    expect(nearest(other, 130, 150)?.t).toBe(100);
    expect(nearest(other, 260, 150)?.t).toBe(200);
    expect(nearest(other, 400, 150)).toBeUndefined();
    expect(nearest([], 0, 150)).toBeUndefined();
  });

  it('recovery: from the fault to the first answer after a failure; no failure, no interruption', () => {
    expect(outageAfter([probe(0, true), probe(100, true)], 50)).toEqual({ interrupted: false, recoveryMs: 0, failed: 0 });
    const o = outageAfter([probe(0, true), probe(100, false), probe(200, false), probe(300, true, 'bb')], 50);
    expect(o).toEqual({ interrupted: true, firstFail: 100, recoveredAt: 305, recoveryMs: 255, failed: 2, mac: 'bb' });
    expect(outageAfter([probe(100, false)], 50)).toEqual({ interrupted: true, firstFail: 100, failed: 1 });
  });

  it('converged logs: the same events, each once, per origin in order', () => {
    const a = [rec('node1', 1, 1), rec('node2', 1, 2), rec('node1', 2, 3)];
    const b = [rec('node2', 1, 1), rec('node1', 1, 2), rec('node1', 2, 3)];
    expect(convergenceProblems({ node: 'node1', records: a }, { node: 'node2', records: b })).toEqual([]);
  });

  it('not converged: an event missing, stored twice, out of order, or different under one id', () => {
    const a = [rec('node1', 1, 1), rec('node1', 2, 2)];
    expect(convergenceProblems({ node: 'node1', records: a }, { node: 'node2', records: [rec('node1', 1, 1)] })).toEqual(["1 event(s) only in node1's log: node1:2"]);
    expect(convergenceProblems({ node: 'node1', records: [...a, rec('node1', 2, 3)] }, { node: 'node2', records: a })).toEqual([
      'node1: node1:2 (NodeFrozen) stored twice (stream seq 3)',
      'node1: node1 seq 2 after 2 (stream seq 3)',
    ]);
    expect(convergenceProblems({ node: 'node1', records: [rec('node1', 2, 1), rec('node1', 1, 2)] }, { node: 'node2', records: a })).toEqual(['node1: node1 seq 1 after 2 (stream seq 2)']);
    expect(convergenceProblems({ node: 'node1', records: a }, { node: 'node2', records: [rec('node1', 1, 1), rec('node1', 2, 2, 'NodeThawed')] })).toEqual([
      "node1:2: node1:2:NodeFrozen in node1's log, node1:2:NodeThawed in node2's",
    ]);
  });
});
