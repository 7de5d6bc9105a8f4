import { parseDuration } from '../../domain/config/values.js';

/** The scheduler's defaults when a service does not set the keyword. */
export const DEFAULT_STATUS_INTERVAL_MS = 60_000;
export const DEFAULT_MONITOR_INTERVAL_MS = 10_000;

export type ScheduleParse = { readonly ok: true; readonly intervalMs: number | undefined } | { readonly ok: false; readonly reason: string };

/**
 * An interval schedule as OpenSVC writes it: `@10` is every 10 minutes,
 * `@30s`, `@1h` carry their unit; a bare duration (`60`, `90s`, `5m`) is
 * also accepted, a bare number being seconds. Empty, `@0` or `never`
 * disable the job (intervalMs undefined). Time-window schedules
 * (`00:00-06:00@30`) are not supported yet and say so.
 */
export function parseSchedule(raw: string): ScheduleParse {
  const t = raw.trim().toLowerCase();
  if (t === '' || t === 'never' || t === '-' || t === '@0') return { ok: true, intervalMs: undefined };
  let seconds: number | undefined;
  if (t.startsWith('@')) {
    const body = t.slice(1);
    seconds = /^\d+$/.test(body) ? Number(body) * 60 : parseDuration(body);
  } else {
    seconds = parseDuration(t);
  }
  if (seconds === undefined) return { ok: false, reason: `"${raw}" is not an interval schedule like @10 (minutes), @30s or 60` };
  if (seconds === 0) return { ok: true, intervalMs: undefined };
  return { ok: true, intervalMs: seconds * 1000 };
}

/**
 * The period of a service's status job: status_schedule, or monitor_schedule
 * when a resource is monitored and that is shorter (a monitored resource's
 * failure must be seen quickly). Keywords not written in the file take the
 * scheduler's defaults.
 */
export function statusPeriod(o: {
  readonly statusSchedule: string | undefined;
  readonly monitorSchedule: string | undefined;
  readonly monitored: boolean;
}): { readonly intervalMs: number | undefined; readonly job: 'status' | 'monitor'; readonly problems: readonly string[] } {
  const problems: string[] = [];
  const pick = (raw: string | undefined, dflt: number, kw: string): number | undefined => {
    if (raw === undefined) return dflt;
    const p = parseSchedule(raw);
    if (p.ok) return p.intervalMs;
    problems.push(`DEFAULT.${kw}: ${p.reason}; using ${dflt / 1000}s`);
    return dflt;
  };
  const status = pick(o.statusSchedule, DEFAULT_STATUS_INTERVAL_MS, 'status_schedule');
  if (!o.monitored) return { intervalMs: status, job: 'status', problems };
  const monitor = pick(o.monitorSchedule, DEFAULT_MONITOR_INTERVAL_MS, 'monitor_schedule');
  if (monitor !== undefined && (status === undefined || monitor < status)) return { intervalMs: monitor, job: 'monitor', problems };
  return { intervalMs: status, job: 'status', problems };
}
