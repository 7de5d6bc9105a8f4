import { UsageError } from '../../../domain/errors.js';
import { HISTORY_TYPES, emptyHistory, evolveHistory, historyOf } from '../../../projections/history.js';
import type { HistoryEntry } from '../../../projections/history.js';
import { readLocalLog } from '../../events/localLog.js';
import { allowOnly, opt } from '../args.js';
import type { CliContext } from '../context.js';

/** --since: an ISO date/time, or a duration back from now (30m, 2h, 7d). */
export function parseSince(v: string, now: Date): Date {
  const d = /^(\d+)\s*([smhd])$/.exec(v.trim());
  if (d) {
    const unit = { s: 1, m: 60, h: 3600, d: 86400 }[d[2] as 's' | 'm' | 'h' | 'd'];
    return new Date(now.getTime() - Number(d[1]) * unit * 1000);
  }
  const t = new Date(v);
  if (Number.isNaN(t.getTime())) throw new UsageError(`print history: --since ${JSON.stringify(v)} is neither a date (2026-01-02T14:00) nor a duration (30m, 2h, 7d)`);
  return t;
}

export function formatHistory(entries: readonly HistoryEntry[]): string[] {
  const width = Math.max(4, ...entries.map((e) => e.what.length));
  return entries.map((e) => `${e.time.replace('T', ' ').replace(/\.\d+Z$/, 'Z')}  ${e.node.padEnd(8)} ${e.what.padEnd(width)}  ${e.result}${e.by ? `  (by ${e.by})` : ''}`.trimEnd());
}

export async function run(ctx: CliContext): Promise<number> {
  allowOnly(ctx.args, 'print history', ['since']);
  if (!ctx.svc) throw new UsageError('no service selected: use svcmgr -s SVC print history');
  const since = opt(ctx.args, 'since');
  let model = emptyHistory;
  await readLocalLog(
    ctx.paths,
    { svc: ctx.svc, types: HISTORY_TYPES, ...(since ? { fromTime: parseSince(since, new Date()) } : {}), onInvalid: (m) => ctx.err(`warning: ${m}`) },
    (a) => {
      model = evolveHistory(model, a);
    },
  );
  const entries = historyOf(model, ctx.svc);
  if (opt(ctx.args, 'format') === 'json') ctx.out(JSON.stringify(entries, null, 2));
  else for (const l of formatHistory(entries)) ctx.out(l);
  return 0;
}
