import { describe, expect, it } from '@jest/globals';
import { parseSchedule } from '../../../domain/config/values.js';
import { statusPeriod } from '../../../src/daemon/schedule.js';

describe('schedules', () => {
  it('reads OpenSVC interval schedules: @N minutes, @<duration>, a bare duration in seconds', () => {
    expect(parseSchedule('@10')).toEqual({ ok: true, intervalMs: 600_000 });
    expect(parseSchedule('@1')).toEqual({ ok: true, intervalMs: 60_000 });
    expect(parseSchedule('@30s')).toEqual({ ok: true, intervalMs: 30_000 });
    expect(parseSchedule('@1h')).toEqual({ ok: true, intervalMs: 3_600_000 });
    expect(parseSchedule('60')).toEqual({ ok: true, intervalMs: 60_000 });
    expect(parseSchedule('1s')).toEqual({ ok: true, intervalMs: 1000 });
    expect(parseSchedule(' 5m ')).toEqual({ ok: true, intervalMs: 300_000 });
  });

  it('disables with an empty value, @0 or never; says what it expects otherwise', () => {
    for (const v of ['', '@0', 'never', '0']) expect(parseSchedule(v)).toEqual({ ok: true, intervalMs: undefined });
    expect(parseSchedule('00:00-06:00@30')).toEqual({ ok: false, reason: '"00:00-06:00@30" is not an interval schedule like @10 (minutes), @30s or 60' });
  });

  it('checks every 60 s by default, every 10 s when a resource is monitored', () => {
    expect(statusPeriod({ statusSchedule: undefined, monitorSchedule: undefined, monitored: false })).toEqual({ intervalMs: 60_000, job: 'status', problems: [] });
    expect(statusPeriod({ statusSchedule: undefined, monitorSchedule: undefined, monitored: true })).toEqual({ intervalMs: 10_000, job: 'monitor', problems: [] });
  });

  it('takes the keywords written in the config; the shorter period wins for a monitored service', () => {
    expect(statusPeriod({ statusSchedule: '@2', monitorSchedule: '1s', monitored: false })).toEqual({ intervalMs: 120_000, job: 'status', problems: [] });
    expect(statusPeriod({ statusSchedule: '5s', monitorSchedule: '1m', monitored: true })).toEqual({ intervalMs: 5000, job: 'status', problems: [] });
    expect(statusPeriod({ statusSchedule: '', monitorSchedule: '2s', monitored: true })).toEqual({ intervalMs: 2000, job: 'monitor', problems: [] });
    expect(statusPeriod({ statusSchedule: '', monitorSchedule: undefined, monitored: false })).toEqual({ intervalMs: undefined, job: 'status', problems: [] });
  });

  it('falls back to the default on an unreadable value, and says so', () => {
    expect(statusPeriod({ statusSchedule: 'often', monitorSchedule: undefined, monitored: false })).toEqual({
      intervalMs: 60_000,
      job: 'status',
      problems: ['DEFAULT.status_schedule: "often" is not an interval schedule like @10 (minutes), @30s or 60; using 60s'],
    });
  });
});
