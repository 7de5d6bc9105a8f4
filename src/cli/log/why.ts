import { NotFoundError, UsageError } from '../../../domain/errors.js';
import { WHY_TYPES, explain } from '../../../projections/why.js';
import type { Why, WhyLink, WhyTarget } from '../../../projections/why.js';
import { allowOnly, opt } from '../args.js';
import type { Painter } from '../color.js';
import type { CliContext } from '../context.js';
import { readLog } from './read.js';
import { parseTime } from './when.js';

const day = (iso: string) => iso.slice(0, 10);
const clock = (iso: string) => iso.slice(11, 19);
const stamp = (iso: string) => iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');

function paintKind(p: Painter, l: WhyLink, width: number): string {
  const k = l.kind.padEnd(width);
  if (l.kind === 'fault') return p.red(k);
  if (l.kind === 'decision' || l.kind === 'asked') return p.bold(k);
  if (l.kind === 'result') return /\b(failed|aborted|interrupted)\b/.test(l.text) ? p.red(k) : p.green(k);
  return p.grey(k);
}

/** One screen: the summary, then one line per link (time, node, kind, what), ids where a follow-up `why ID` may start. */
export function renderWhy(w: Why, p: Painter): string[] {
  const first = w.links[0]!.time;
  const span = day(w.from) === day(w.to) ? `${stamp(w.from)} to ${clock(w.to)}Z` : `${stamp(w.from)} to ${stamp(w.to)}`;
  const nodeWidth = Math.max(4, ...w.links.map((l) => l.node.length));
  const out = [`${p.bold(w.summary)}  (${span})`, ''];
  for (const l of w.links) {
    const time = day(l.time) === day(first) ? clock(l.time) : stamp(l.time);
    const id = l.kind === 'step' ? '' : `  ${p.grey(l.id)}`;
    const by = l.by !== undefined && l.kind === 'fault' ? ` (seen by ${l.by === 'scheduler' || l.by === 'heartbeats' ? `the ${l.by}` : l.by})` : '';
    out.push(`${time}  ${l.node.padEnd(nodeWidth)}  ${paintKind(p, l, 8)}  ${l.text}${by}${id}`);
    if (l.rule !== undefined) out.push(`${' '.repeat(time.length + nodeWidth + 14)}rule: ${l.rule}`);
  }
  return out;
}

/**
 * svcmgr -s svc1 why [EVENT_ID | --at TIME | --last ACTION]: why the service
 * moved, from the log alone (any node, the daemon up or down).
 */
export async function run(ctx: CliContext): Promise<number> {
  allowOnly(ctx.args, 'why', ['at', 'last']);
  if (!ctx.svc) throw new UsageError('no service selected: use svcmgr -s SVC why [EVENT_ID | --at TIME | --last ACTION]');
  const words = ctx.args.words;
  const at = opt(ctx.args, 'at');
  const last = opt(ctx.args, 'last');
  if (words.length > 1) throw new UsageError(`why: one event id at most (got ${words.length}: ${words.join(' ')})`);
  if ([words.length > 0, at !== undefined, last !== undefined].filter(Boolean).length > 1) throw new UsageError('why: give an EVENT_ID, --at TIME or --last ACTION, not several');
  const target: WhyTarget = words[0] !== undefined ? { event: words[0] } : at !== undefined ? { at: parseTime('why: --at', at, new Date()).getTime() } : { last };
  const svc = ctx.svc;
  // the service's records and the nodes' own, read by two filtered consumers: the rest of the log is not even sent
  const events = await readLog(ctx, { svc, nodeEvents: true, types: WHY_TYPES });
  const r = explain(events, svc, target);
  if (!r.ok) throw new NotFoundError(`why: ${r.reason}`);
  if (opt(ctx.args, 'format') === 'json') ctx.out(JSON.stringify(r.why, null, 2));
  else for (const l of renderWhy(r.why, ctx.paint)) ctx.out(l);
  return 0;
}
