import { parseSchedule } from '../../domain/config/values.js';

/** The scheduler's defaults when a service does not set the keyword. */
export const DEFAULT_STATUS_INTERVAL_MS = 60_000;
export const DEFAULT_MONITOR_INTERVAL_MS = 10_000;

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
