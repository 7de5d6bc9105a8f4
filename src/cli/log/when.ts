import { UsageError } from '../../../domain/errors.js';
import type { Applied } from '../../../projections/instances.js';

/**
 * Times on the command line: an ISO date/time (2026-01-02T14:00, 2026-01-02
 * 14:00:05Z), or a duration back from now (30s, 10m, 2h, 7d). `what` names
 * the command and option in the error.
 */
export function parseTime(what: string, v: string, now: Date): Date {
  const d = /^(\d+)\s*([smhd])$/.exec(v.trim());
  if (d) {
    const unit = { s: 1, m: 60, h: 3600, d: 86400 }[d[2] as 's' | 'm' | 'h' | 'd'];
    return new Date(now.getTime() - Number(d[1]) * unit * 1000);
  }
  const t = new Date(v);
  if (Number.isNaN(t.getTime())) throw new UsageError(`${what} ${JSON.stringify(v)} is neither a date (2026-01-02T14:00) nor a duration (30m, 2h, 7d)`);
  return t;
}

/** A point in the log: up to a time (events recorded at or before it), or up to a stream sequence. */
export type LogBound = { readonly time: Date } | { readonly seq: number };

/** --at TIME | seq:N */
export function parseBound(what: string, v: string, now: Date): LogBound {
  const s = /^seq:(\d+)$/.exec(v.trim());
  if (s) return { seq: Number(s[1]) };
  return { time: parseTime(what, v, now) };
}

/** Within the bound: stream order for a sequence; an event's own time for a time (a peer's event stored later counts from when it happened). */
export function withinBound(b: LogBound, a: Applied): boolean {
  return 'seq' in b ? a.streamSeq <= b.seq : Date.parse(a.event.time) <= b.time.getTime();
}

export function describeBound(b: LogBound): string {
  return 'seq' in b ? `stream sequence ${b.seq}` : b.time.toISOString();
}
