import type { KeywordValue } from './types.js';
import type { KeywordSpec } from './schema.js';

export type Converted = { readonly ok: true; readonly value: KeywordValue } | { readonly ok: false; readonly expected: string };

const TRUE = new Set(['true', 'yes', '1']);
const FALSE = new Set(['false', 'no', '0']);
const UNIT_SECONDS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/**
 * `30`, `90s`, `5m`, `1h30m`, `2d`, `200ms`, `0.5s`, `0.5` -> seconds (fractional
 * below one second: heartbeats beat that often); undefined when not a
 * duration. A fractional number reads back what formatValue writes.
 */
export function parseDuration(raw: string): number | undefined {
  const t = raw.trim().toLowerCase();
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t);
  if (!/^(\d+(\.\d+)?(ms|[smhdw]))+$/.test(t)) return undefined;
  let total = 0;
  for (const m of t.matchAll(/(\d+(?:\.\d+)?)(ms|[smhdw])/g)) total += m[2] === 'ms' ? Number(m[1]) / 1000 : Number(m[1]) * UNIT_SECONDS[m[2]!]!;
  return total;
}

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
  return { ok: true, intervalMs: Math.round(seconds * 1000) };
}

/** Booleans as users write them: true/false, yes/no, 1/0, any case (the tutorial writes `monitor = True`). */
export function parseBoolean(raw: string): boolean | undefined {
  const t = raw.trim().toLowerCase();
  if (TRUE.has(t)) return true;
  if (FALSE.has(t)) return false;
  return undefined;
}

function checkWord(spec: KeywordSpec, word: string): string | undefined {
  if (spec.candidates && !spec.candidates.includes(word)) return `one of ${spec.candidates.join(', ')}`;
  if (spec.pattern && !spec.pattern.re.test(word)) return spec.pattern.expected;
  return undefined;
}

function checkRange(spec: KeywordSpec, n: number, what: string): string | undefined {
  if (spec.min !== undefined && n < spec.min) return `${what} >= ${spec.min}${spec.max !== undefined ? ` and <= ${spec.max}` : ''}`;
  if (spec.max !== undefined && n > spec.max) return `${what} <= ${spec.max}${spec.min !== undefined ? ` and >= ${spec.min}` : ''}`;
  return undefined;
}

/** Convert an expanded raw value to the keyword's type, or say what was expected. */
export function convertValue(spec: KeywordSpec, raw: string): Converted {
  switch (spec.type) {
    case 'string': {
      if (raw === '' && (spec.candidates || spec.pattern || spec.required)) {
        return { ok: false, expected: spec.candidates ? `one of ${spec.candidates.join(', ')}` : (spec.pattern?.expected ?? 'a non-empty value') };
      }
      const bad = raw === '' ? undefined : checkWord(spec, raw);
      return bad === undefined ? { ok: true, value: raw } : { ok: false, expected: bad };
    }
    case 'integer': {
      if (!/^[+-]?\d{1,15}$/.test(raw)) return { ok: false, expected: 'an integer' };
      const n = Number(raw);
      const bad = checkRange(spec, n, 'an integer');
      return bad === undefined ? { ok: true, value: n } : { ok: false, expected: bad };
    }
    case 'boolean': {
      const b = parseBoolean(raw);
      return b === undefined ? { ok: false, expected: 'a boolean (true, false, yes, no, 1, 0)' } : { ok: true, value: b };
    }
    case 'duration': {
      const d = parseDuration(raw);
      if (d === undefined) return { ok: false, expected: 'a duration in seconds, like 30, 90s, 5m, 1h30m, 200ms' };
      const bad = checkRange(spec, d, 'a duration');
      return bad === undefined ? { ok: true, value: d } : { ok: false, expected: bad };
    }
    case 'schedule': {
      const p = parseSchedule(raw);
      if (!p.ok) return { ok: false, expected: 'an interval schedule like @10 (minutes), @30s, 60 or never' };
      if (p.intervalMs !== undefined && spec.min !== undefined && p.intervalMs < spec.min * 1000) return { ok: false, expected: `an interval of at least ${spec.min}s (or never)` };
      return { ok: true, value: raw.trim() };
    }
    case 'list': {
      const words = raw.split(/\s+/).filter((w) => w !== '');
      if (words.length === 0 && spec.required) return { ok: false, expected: 'at least one value' };
      for (const w of words) {
        const bad = checkWord(spec, w);
        if (bad !== undefined) return { ok: false, expected: `a list of ${bad} (separated by spaces)` };
      }
      return { ok: true, value: words };
    }
    default: {
      const never: never = spec.type;
      return never;
    }
  }
}

/** A typed value written back as config text (what `get --eval` prints). */
export function formatValue(v: KeywordValue): string {
  if (Array.isArray(v)) return v.join(' ');
  return String(v);
}
