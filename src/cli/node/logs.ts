import fs from 'node:fs';
import { UsageError } from '../../../domain/errors.js';
import { escapeForTerminal } from '../../../domain/escape.js';
import { allowOnly, flag, opt } from '../args.js';
import type { CliContext } from '../context.js';
import { noExtraWords, outputFormat } from '../svc/options.js';

const LEVELS: Readonly<Record<number, string>> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
/** pino's fields every line has: said by the line's head, or not worth saying */
const HEAD_FIELDS = new Set(['level', 'time', 'msg', 'node', 'pid', 'hostname', 'v']);

function value(v: unknown): string {
  if (typeof v === 'string') return /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v);
  return JSON.stringify(v) ?? String(v);
}

/**
 * One line of agent.log as a person reads it:
 *   2026-01-02T14:36:00.123Z INFO  orchestrator: acting svc=svc1 action=start reason="not running on any live node: ..."
 * A line that is not pino's JSON (cut by a crash) is shown as it is.
 */
export function humanLine(raw: string): string {
  let o: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(raw);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return escapeForTerminal(raw);
    o = parsed as Record<string, unknown>;
  } catch {
    return escapeForTerminal(raw);
  }
  const time = typeof o.time === 'number' ? new Date(o.time).toISOString() : String(o.time ?? '');
  const level = (typeof o.level === 'number' ? LEVELS[o.level] : undefined) ?? String(o.level ?? '');
  const extra = Object.entries(o)
    .filter(([k]) => !HEAD_FIELDS.has(k))
    .map(([k, v]) => `${k}=${value(v)}`);
  return escapeForTerminal([time, level.padEnd(5), String(o.msg ?? ''), ...extra].join(' ').trimEnd());
}

/** The complete lines of a chunk, and what is left of a line still being written. */
function splitLines(pending: string): { lines: string[]; rest: string } {
  const lines = pending.split('\n');
  const rest = lines.pop() ?? '';
  return { lines: lines.filter((l) => l !== ''), rest };
}

/**
 * nodemgr logs: the daemon's own log (<OSVCLOG>/agent.log), human-readable,
 * or as written (--format json); --lines N the last N only; --follow keeps
 * printing what the daemon writes (a rotation or truncation starts over
 * from the file's beginning) until interrupted. What happened to services
 * is in the event log: svcmgr logs, print history.
 */
export async function run(ctx: CliContext): Promise<number> {
  allowOnly(ctx.args, 'logs', ['follow', 'lines']);
  noExtraWords(ctx, 'logs');
  const json = outputFormat(ctx) === 'json';
  const rawLines = opt(ctx.args, 'lines');
  if (rawLines !== undefined && !/^\d+$/.test(rawLines)) throw new UsageError(`logs: --lines ${rawLines}: expected a number of lines`);
  const keep = rawLines === undefined ? undefined : Number(rawLines);
  const file = ctx.paths.agentLog;
  const show = (l: string) => ctx.out(json ? l : humanLine(l));
  if (!fs.existsSync(file) && !flag(ctx.args, 'follow')) throw new UsageError(`logs: no daemon log yet (${file}): the daemon has not run on this node`);

  let pos = 0;
  let rest = '';
  let ino: number | undefined;
  const readMore = (first: boolean) => {
    let st: fs.Stats;
    try {
      st = fs.statSync(file);
    } catch {
      return; // not there yet, or being rotated
    }
    if (ino !== undefined && (st.ino !== ino || st.size < pos)) {
      pos = 0;
      rest = '';
    }
    ino = st.ino;
    if (st.size <= pos) return;
    const fd = fs.openSync(file, 'r');
    try {
      const buf = Buffer.alloc(st.size - pos);
      const n = fs.readSync(fd, buf, 0, buf.length, pos);
      pos += n;
      const split = splitLines(rest + buf.subarray(0, n).toString('utf8'));
      rest = split.rest;
      const lines = first && keep !== undefined ? split.lines.slice(Math.max(0, split.lines.length - keep)) : split.lines;
      for (const l of lines) show(l);
    } finally {
      fs.closeSync(fd);
    }
  };
  readMore(true);
  if (!flag(ctx.args, 'follow')) {
    if (rest !== '') show(rest);
    return 0;
  }
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => readMore(false), 200);
    const stop = () => {
      clearInterval(timer);
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return 0;
}
