import { UsageError } from '../../../domain/errors.js';
import { isEventType } from '../../../domain/events.js';
import { HISTORY_TYPES, clusterHistory, emptyHistory, evolveHistory, filterHistory, historyOf } from '../../../projections/history.js';
import type { HistoryEntry, HistoryFilter } from '../../../projections/history.js';
import { readLocalLog } from '../../events/localLog.js';
import { parseTime } from '../log/when.js';
import { allowOnly, opt, optAll } from '../args.js';
import type { CliContext } from '../context.js';

/** --since: an ISO date/time, or a duration back from now (30m, 2h, 7d). */
export function parseSince(v: string, now: Date): Date {
  return parseTime('print history: --since', v, now);
}

/** The lines of print history; with `svc`, a service column (nodemgr print history: every service and the nodes). */
export function formatHistory(entries: readonly HistoryEntry[], o: { readonly svc?: boolean } = {}): string[] {
  const width = Math.max(4, ...entries.map((e) => e.what.length));
  const svcWidth = Math.max(4, ...entries.map((e) => (e.svc ?? '-').length));
  return entries.map(
    (e) => `${e.time.replace('T', ' ').replace(/\.\d+Z$/, 'Z')}  ${e.node.padEnd(8)} ${o.svc ? `${(e.svc ?? '-').padEnd(svcWidth)}  ` : ''}${e.what.padEnd(width)}  ${e.result}${e.by ? `  (by ${e.by})` : ''}`.trimEnd(),
  );
}

/** --type ActionStarted,ActionFinished (repeatable): event types, as docs/events.md names them. */
function parseTypes(values: readonly string[]): ReadonlySet<string> | undefined {
  const list = values.flatMap((v) => v.split(',')).map((t) => t.trim()).filter(Boolean);
  if (list.length === 0) return undefined;
  for (const t of list) {
    if (!isEventType(t)) throw new UsageError(`print history: --type ${JSON.stringify(t)} is not an event type (docs/events.md lists them)`);
    if (!HISTORY_TYPES.has(t)) throw new UsageError(`print history: --type ${t} makes no history line (${[...HISTORY_TYPES].join(', ')})`);
  }
  return new Set(list);
}

/**
 * print history, of one service (svcmgr) or of the cluster: every service
 * and the nodes' own events (nodemgr). The log replayed, the daemon up or
 * down; --since / --until bound it in time, --node and --type filter it.
 */
export async function printHistory(ctx: CliContext, svc: string | undefined): Promise<number> {
  allowOnly(ctx.args, 'print history', ['since', 'until', 'node', 'type']);
  if (ctx.args.words.length > 0) throw new UsageError(`print history: unexpected ${ctx.args.words.join(' ')}`);
  const now = new Date();
  const since = opt(ctx.args, 'since');
  const until = opt(ctx.args, 'until');
  const node = opt(ctx.args, 'node');
  const types = parseTypes(optAll(ctx.args, 'type'));
  const filter: HistoryFilter = { ...(node !== undefined ? { node } : {}), ...(until !== undefined ? { until: parseTime('print history: --until', until, now).getTime() } : {}), ...(types ? { types } : {}) };
  let model = emptyHistory;
  await readLocalLog(
    ctx.paths,
    { ...(svc !== undefined ? { svc } : {}), types: types ?? HISTORY_TYPES, ...(since ? { fromTime: parseSince(since, now) } : {}), onInvalid: (m) => ctx.err(`warning: ${m}`) },
    (a) => {
      model = evolveHistory(model, a);
    },
  );
  const entries = filterHistory(svc !== undefined ? historyOf(model, svc) : clusterHistory(model), filter);
  if (opt(ctx.args, 'format') === 'json') ctx.out(JSON.stringify(entries, null, 2));
  else for (const l of formatHistory(entries, { svc: svc === undefined })) ctx.out(l);
  return 0;
}

export async function run(ctx: CliContext): Promise<number> {
  if (!ctx.svc) throw new UsageError('no service selected: use svcmgr -s SVC print history (nodemgr print history: the whole cluster)');
  return printHistory(ctx, ctx.svc);
}
