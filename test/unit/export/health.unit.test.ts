import { describe, expect, test } from '@jest/globals';
import { HEALTHY, evolveExport, exportBackoffMs, exportConfigOf, exportWarning, resumeAfter } from '../../../domain/export/health.js';
import type { ExportHealth, ExportOutcome } from '../../../domain/export/health.js';
import type { NewEvent } from '../../../domain/events.js';

const S = { shownUrl: 'nats://org:***@nats.example.com:4222', stream: 'OSVC_C1_EVT', stallAfterMs: 10_000 };

/** Given outcomes at times (ms), then the health and the events recorded. */
function run(steps: readonly (readonly [number, ExportOutcome])[], from: ExportHealth = HEALTHY): { health: ExportHealth; events: NewEvent[] } {
  let health = from;
  const events: NewEvent[] = [];
  for (const [t, o] of steps) {
    const s = evolveExport(health, o, t, S);
    health = s.health;
    events.push(...s.events);
  }
  return { health, events };
}

const fail = (reason = 'cannot connect: ECONNREFUSED', waiting?: number, through = 16): ExportOutcome => ({ kind: 'failed', reason, through, ...(waiting !== undefined ? { waiting } : {}) });
const exported: ExportOutcome = { kind: 'exported' };
const caughtUp = (through: number): ExportOutcome => ({ kind: 'caughtUp', through });

describe('export health', () => {
  test('failures shorter than the stall time record nothing and warn of nothing', () => {
    const r = run([[0, fail()], [4000, fail()], [9999, fail()], [10_500, exported]]);
    expect(r.events).toEqual([]);
    expect(exportWarning(r.health, S, 11_000)).toBeUndefined();
    expect(r.health.failures).toBe(0);
  });

  test('failing for the stall time is one ExportStalled, however long it lasts', () => {
    const r = run([[0, fail()], [5000, fail()], [10_000, fail('cannot connect: ECONNREFUSED', 7)], [15_000, fail()], [60_000, fail()]]);
    expect(r.events).toEqual([{ type: 'ExportStalled', data: { url: S.shownUrl, stream: S.stream, reason: 'cannot connect: ECONNREFUSED', waiting: 7 } }]);
    expect(exportWarning(r.health, S, 70_000)).toBe(`[nats] export to ${S.shownUrl} (stream OSVC_C1_EVT) stalled for 70s, 7 events waiting: cannot connect: ECONNREFUSED; the cluster does not wait for it`);
  });

  test('a success resets the count toward a stall', () => {
    const r = run([[0, fail()], [8000, exported], [9000, fail()], [17_000, fail()]]);
    expect(r.events).toEqual([]);
  });

  test('after a stall, caught up is one ExportResumed with how many events went there since (by sequence) and how long it lasted', () => {
    // 16 exported when it stalled; through 316 once caught up, whatever acknowledgements a dropped connection lost
    const r = run([[0, fail()], [10_000, fail()], [30_000, exported], [30_500, fail('publish timed out', undefined, 200)], [30_800, exported], [31_000, caughtUp(316)], [36_000, caughtUp(316)]]);
    expect(r.events.map((e) => e.type)).toEqual(['ExportStalled', 'ExportResumed']);
    expect(r.events[1]).toEqual({ type: 'ExportResumed', data: { url: S.shownUrl, stream: S.stream, caughtUp: 300, stalledSec: 31 } });
    expect(exportWarning(r.health, S, 40_000)).toBeUndefined();
  });

  test('the warning stays while catching up, and a new outage is a new stall', () => {
    const r = run([[0, fail()], [10_000, fail()], [20_000, exported]]);
    expect(exportWarning(r.health, S, 20_000)).toMatch(/stalled for 20s/);
    const again = run([[21_000, caughtUp(40)], [30_000, fail()], [41_000, fail()]], r.health);
    expect(again.events.map((e) => e.type)).toEqual(['ExportResumed', 'ExportStalled']);
  });

  test('the warning never reads as a service\'s (svcmon filters `name: ...` lines by service)', () => {
    const r = run([[0, fail()], [10_000, fail()]]);
    expect(exportWarning(r.health, S, 10_000)).not.toMatch(/^\S+: /);
  });

  test('backoff: 250 ms doubling, at most 5 s', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 50].map(exportBackoffMs)).toEqual([0, 250, 500, 1000, 2000, 4000, 5000, 5000]);
  });

  test('resume after what the organisation holds, or what this node sent when it holds less', () => {
    expect(resumeAfter(0, 0)).toBe(0);
    expect(resumeAfter(10, 12)).toBe(12);
    expect(resumeAfter(40, 3)).toBe(40);
  });

  test('config: nothing without export_url; stream and creds as written', () => {
    expect(exportConfigOf(undefined)).toBeUndefined();
    expect(exportConfigOf({ port: 4222 })).toBeUndefined();
    expect(exportConfigOf({ export_url: ' nats://a:b#c@h:4222 ', export_stream: 'ORG' })).toEqual({ url: 'nats://a:b#c@h:4222', stream: 'ORG', creds: undefined });
  });
});
