import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { judgeBeat, type BeatClock, type BeatTrack } from '../../../domain/heartbeat/beatAge.js';

const TIMEOUT = 3000;

/** Beats judged in turn: whether each was fresh. */
function judgeAll(beats: readonly BeatClock[], maxLateMs = TIMEOUT): boolean[] {
  let t: BeatTrack | undefined;
  return beats.map((b) => {
    const v = judgeBeat(t, b, maxLateMs);
    t = v.track;
    return v.fresh;
  });
}

/** A daemon beating every second from `from` on its clock, heard `delay` ms later on ours, `offset` ms apart. */
const beating = (boot: number, n: number, o: { from?: number; offset?: number; delay?: number } = {}): BeatClock[] =>
  Array.from({ length: n }, (_, i) => {
    const sent = (o.from ?? 0) + i * 1000;
    return { boot, sentMono: sent, receivedMono: sent + (o.offset ?? 50_000) + (o.delay ?? 5) };
  });

describe('a late beat is no sign of life (TCP delivers a dead daemon\'s beat when a cut link comes back)', () => {
  it('beats on time are fresh, whatever the two clocks read', () => {
    expect(judgeAll(beating(4, 10, { offset: -7_000_000 }))).toEqual(Array(10).fill(true));
  });

  it('a beat held up longer than the timeout is stale, and the beats of the daemon that comes back next are fresh', () => {
    const before = beating(4, 5);
    const last = before.at(-1)!;
    // sent 1 s after the last one heard, delivered 7 s later: its daemon died meanwhile
    const held = { boot: 4, sentMono: last.sentMono + 1000, receivedMono: last.receivedMono + 8000 };
    const back = beating(9, 3, { from: 0, offset: last.receivedMono + 8100 });
    expect(judgeAll([...before, held, ...back])).toEqual([true, true, true, true, true, false, true, true, true]);
  });

  it('several held up beats delivered together are each stale', () => {
    const before = beating(4, 3);
    const last = before.at(-1)!;
    const burst = [1, 2, 3].map((k) => ({ boot: 4, sentMono: last.sentMono + k * 1000, receivedMono: last.receivedMono + 9000 + k * 10 }));
    expect(judgeAll([...before, ...burst])).toEqual([true, true, true, false, false, false]);
  });

  it('a beat of an earlier daemon than one already heard is stale, however it is timed', () => {
    const now = beating(9, 2, { from: 0 });
    const old = { boot: 4, sentMono: 999_999, receivedMono: now[1]!.receivedMono + 10 };
    expect(judgeAll([...now, old, ...beating(9, 1, { from: 2000 })])).toEqual([true, true, false, true]);
  });

  it('a delay within the timeout is the network\'s: fresh', () => {
    const b = beating(4, 3);
    const slow = { boot: 4, sentMono: 3000, receivedMono: b[2]!.receivedMono + 1000 + 2900 };
    expect(judgeAll([...b, slow])).toEqual([true, true, true, true]);
  });

  it('a sender whose clock stood still (its machine paused) is fresh again once it has beaten at its pace for the timeout', () => {
    const before = beating(4, 3);
    // its clock missed the 20 s ours ran while it was paused: every beat since looks 20 s late
    const after = beating(4, 6, { from: 3000, offset: 50_000 + 20_000 });
    const got = judgeAll([...before, ...after]);
    expect(got.slice(0, 3)).toEqual([true, true, true]);
    expect(got.slice(3, 6)).toEqual([false, false, false]);
    expect(got.slice(6)).toEqual([true, true, true]);
  });

  it('whatever the beats, one on time after a fresh one is fresh, and a first beat is fresh', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ boot: fc.integer({ min: 0, max: 3 }), sentMono: fc.integer({ min: 0, max: 100_000 }), receivedMono: fc.integer({ min: 0, max: 100_000 }) }), { minLength: 1, maxLength: 30 }), (beats) => {
        let t: BeatTrack | undefined;
        for (const b of beats) {
          const v = judgeBeat(t, b, TIMEOUT);
          if (t === undefined) expect(v.fresh).toBe(true);
          t = v.track;
          if (v.fresh) expect(t).toEqual({ ref: b });
          const next = { boot: t.ref.boot, sentMono: t.ref.sentMono + 1000, receivedMono: t.ref.receivedMono + 1000 };
          expect(judgeBeat(t, next, TIMEOUT).fresh).toBe(true);
        }
      }),
    );
  });
});
