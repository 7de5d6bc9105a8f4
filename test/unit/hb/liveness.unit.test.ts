import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { NEW_PEER, NOT_READING, nextJudgementAt, observe, peerState, readDone, readFailed, type PathTrack, type PeerTrack } from '../../../domain/heartbeat/liveness.js';

const j = { timeoutMs: 1000, staleReadMs: 500 };

/** Reads at `times` of counters `values` (undefined: nothing valid), as the path does every interval. */
function reads(values: readonly (number | undefined)[], times: readonly number[]): { t: PeerTrack; p: PathTrack } {
  let t = NEW_PEER;
  let p = NOT_READING;
  values.forEach((v, i) => {
    const at = times[i] ?? 0;
    t = observe(t, v, at);
    p = readDone(p, at);
  });
  return { t, p };
}

describe('disk heartbeat liveness', () => {
  it('unknown before reading, and while reading for less than the timeout', () => {
    expect(peerState(NEW_PEER, NOT_READING, 0, j)).toBe('unknown');
    const { t, p } = reads([7, 7, 7], [0, 200, 400]);
    expect(peerState(t, p, 400, j)).toBe('unknown');
  });

  it('the first value read is a baseline: a beat left by a dead node never makes it up', () => {
    const { t, p } = reads([7, 7, 7, 7, 7, 7], [0, 200, 400, 600, 800, 1000]);
    expect(t.changedAt).toBeUndefined();
    expect(peerState(t, p, 1000, j)).toBe('down');
  });

  it('up when the counter changes, down after the timeout without change', () => {
    const { t, p } = reads([7, 8], [0, 200]);
    expect(t.changedAt).toBe(200);
    expect(peerState(t, p, 200, j)).toBe('up');
    const later = reads([7, 8, 8, 8, 8, 8, 8, 8], [0, 200, 400, 600, 800, 1000, 1200, 1201]);
    expect(peerState(later.t, later.p, 1200, j)).toBe('up');
    expect(peerState(later.t, later.p, 1201, j)).toBe('down');
  });

  it('any change counts, a restart that lowers the counter too; nothing valid is no change', () => {
    expect(reads([9, 1], [0, 200]).t.changedAt).toBe(200);
    expect(reads([5, undefined, 5], [0, 200, 400]).t.changedAt).toBeUndefined();
    expect(reads([5, undefined, 6], [0, 200, 400]).t.changedAt).toBe(400);
    // a slot empty at first, then beating: the peer started
    expect(reads([undefined, 1], [0, 200]).t.changedAt).toBe(200);
  });

  it('the writer clock plays no part: only our own reads times', () => {
    const { t } = reads([1, 2], [5000, 5200]);
    expect(t).toEqual({ counter: 2, changedAt: 5200 });
  });

  it('stale reads (a stalled path) give unknown, never down nor up', () => {
    const fresh = reads([7, 8], [0, 200]);
    expect(peerState(fresh.t, fresh.p, 701, j)).toBe('unknown');
    const { t, p } = reads([7, 7, 7, 7, 7, 7], [0, 200, 400, 600, 800, 1000]);
    expect(peerState(t, p, 1500, j)).toBe('down');
    expect(peerState(t, p, 1501, j)).toBe('unknown');
  });

  it('a failed read starts the judgement over: unknown, then a new baseline', () => {
    const { t, p } = reads([7, 8], [0, 200]);
    const f = readFailed(new Map([['node2', t]]));
    expect(f.path).toEqual(NOT_READING);
    const t2 = f.peers.get('node2') ?? NEW_PEER;
    expect(peerState(t2, f.path, 300, j)).toBe('unknown');
    expect(p.readingSince).toBe(0);
    // a counter that moved during the failure proves nothing about when: baseline again
    const back = observe(t2, 50, 2000);
    expect(back).toEqual({ counter: 50, changedAt: 200 });
    const p2 = readDone(f.path, 2000);
    // the change seen before the failure is older than the timeout: not up; reading for less than the timeout: not down
    expect(peerState(back, p2, 2000, j)).toBe('unknown');
    // a change seen before the failure, within the timeout, still counts once reads are back
    expect(peerState(back, readDone(f.path, 250), 250, j)).toBe('up');
    expect(peerState(observe(back, 51, 2200), readDone(p2, 2200), 2200, j)).toBe('up');
    expect(peerState(back, readDone(readDone(p2, 2500), 3000), 3000, j)).toBe('down');
  });

  it('the next judgement: when a beat grows old, the path has read long enough, reads grow stale', () => {
    const { t, p } = reads([7, 8], [0, 200]);
    // up until 1200 (changed at 200), stale after 700 (last read at 200): the first is 701
    expect(nextJudgementAt(t, p, 200, j)).toBe(701);
    const later = reads([7, 8, 8, 8, 8, 8, 8], [0, 200, 400, 600, 800, 1000, 1200]);
    expect(nextJudgementAt(later.t, later.p, 1200, j)).toBe(1201);
    expect(peerState(later.t, later.p, 1201, j)).toBe('down');
    // reading for less than the timeout: down at 1000, when reading for the timeout
    const base = reads([7, 7], [0, 200]);
    expect(nextJudgementAt(base.t, base.p, 200, j)).toBe(701);
    expect(nextJudgementAt(base.t, readDone(base.p, 600), 600, j)).toBe(1000);
    // not reading, or reads stale: only a read changes anything
    expect(nextJudgementAt(NEW_PEER, NOT_READING, 0, j)).toBeUndefined();
    expect(nextJudgementAt(t, p, 701, j)).toBeUndefined();
  });

  it('the judgement holds until the next judgement, and for ever when there is none', () => {
    const history = fc.array(fc.tuple(fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }), fc.integer({ min: 1, max: 400 })), { minLength: 1, maxLength: 12 });
    fc.assert(
      fc.property(history, fc.integer({ min: 0, max: 600 }), fc.integer({ min: 0, max: 5000 }), (steps, wait, step) => {
        let t = NEW_PEER;
        let p = NOT_READING;
        let at = 0;
        for (const [v, dt] of steps) {
          at += dt;
          t = observe(t, v, at);
          p = readDone(p, at);
        }
        const now = at + wait;
        const next = nextJudgementAt(t, p, now, j);
        const was = peerState(t, p, now, j);
        if (next !== undefined) expect(next).toBeGreaterThan(now);
        const until = next ?? now + 10_000;
        // every instant before it judges the same
        for (const x of [now + 1, Math.floor((now + until) / 2), until - 1, now + (step % Math.max(1, until - now))]) if (x < until) expect(peerState(t, p, x, j)).toBe(was);
      }),
    );
  });
});
