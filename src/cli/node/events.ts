import { UsageError } from '../../../domain/errors.js';
import { escapeForTerminal } from '../../../domain/escape.js';
import type { EventStore as EventStoreT } from '../../../adapters/nats/eventStore.js';
import { isEventType } from '../../../domain/events.js';
import type { AnyEvent } from '../../../domain/events.js';
import { parseTime } from '../log/when.js';
import { allowOnly, opt, optAll } from '../args.js';
import type { CliContext } from '../context.js';
import { noExtraWords, outputFormat } from '../svc/options.js';

/** --filter KEY=VALUE[,VALUE...]: every filter must hold, one of its values is enough. */
export type EventFilter = readonly { readonly key: string; readonly values: readonly string[] }[];

/** The envelope's own fields a filter names; any other key is a field of the payload (action=start, result=failed). */
const ENVELOPE: Readonly<Record<string, (e: AnyEvent) => string | undefined>> = {
  type: (e) => e.type,
  svc: (e) => e.svc,
  node: (e) => e.origin,
  rid: (e) => e.rid,
  id: (e) => e.id,
  causation: (e) => e.causation,
};

export function parseEventFilter(specs: readonly string[]): EventFilter {
  return specs.map((spec) => {
    const m = /^([A-Za-z][A-Za-z0-9_]*)=(.+)$/s.exec(spec);
    if (!m) throw new UsageError(`events: --filter ${JSON.stringify(spec)}: expected KEY=VALUE (type, svc, node, rid, or a payload field: action=start)`);
    const values = m[2]!.split(',').map((v) => v.trim()).filter(Boolean);
    if (m[1] === 'type') for (const t of values) if (!isEventType(t)) throw new UsageError(`events: --filter type=${t}: not an event type (docs/events.md lists them)`);
    return { key: m[1]!, values };
  });
}

export function matchesFilter(e: AnyEvent, f: EventFilter): boolean {
  return f.every(({ key, values }) => {
    const get = ENVELOPE[key];
    const raw = get ? get(e) : (e.data as Record<string, unknown>)[key];
    if (raw === undefined) return false;
    const v = Array.isArray(raw) ? raw.map(String) : [typeof raw === 'object' ? JSON.stringify(raw) : String(raw)];
    return values.some((x) => v.includes(x));
  });
}

const show = (v: unknown) => (typeof v === 'string' ? (/^[^\s"=]+$/.test(v) ? v : JSON.stringify(v)) : JSON.stringify(v));

/** One event on one line: `2026-01-02 14:36:00Z  node1  svc1.app#web  ResourceLogged  level=info message="exec ..."`. */
export function eventLine(e: AnyEvent): string {
  const where = e.svc === undefined ? '-' : `${e.svc}${e.rid !== undefined ? `.${e.rid}` : ''}`;
  const fields = Object.entries(e.data as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${show(v)}`);
  return escapeForTerminal(`${e.time.replace('T', ' ').replace(/\.\d+Z$/, 'Z')}  ${e.origin}  ${where}  ${e.type}${fields.length > 0 ? `  ${fields.join(' ')}` : ''}`);
}

/**
 * nodemgr events: the cluster's event log as this node holds it (every
 * node's events), followed on the terminal until interrupted. --since T
 * first prints what was recorded since then; --filter narrows it down;
 * --format json prints each event as stored. With the daemon down, the log
 * is read from the node's store and what the commands spool meanwhile is
 * followed.
 */
export async function run(ctx: CliContext): Promise<number> {
  allowOnly(ctx.args, 'events', ['filter', 'since']);
  noExtraWords(ctx, 'events');
  const json = outputFormat(ctx) === 'json';
  const filter = parseEventFilter(optAll(ctx.args, 'filter'));
  const sinceRaw = opt(ctx.args, 'since');
  const since = sinceRaw === undefined ? undefined : parseTime('events: --since', sinceRaw, new Date());
  const seen = new Set<string>();
  const print = (e: AnyEvent) => {
    if (seen.has(e.id)) return;
    seen.add(e.id);
    if (matchesFilter(e, filter)) ctx.out(json ? JSON.stringify(e) : eventLine(e));
  };
  const [{ EventStore }, { natsTarget }, { loadClusterIdentity }, { readLocalLog }] = await Promise.all([
    import('../../../adapters/nats/eventStore.js'),
    import('../../events/natsTarget.js'),
    import('../../config/identity.js'),
    import('../../events/localLog.js'),
  ]);
  const cluster = loadClusterIdentity(ctx.paths).name;
  const target = natsTarget(ctx.paths);
  let store: EventStoreT | undefined;
  try {
    store = await EventStore.open({ ...target.endpoint, cluster, limits: target.limits, connectTimeoutMs: 1000 });
  } catch {
    store = undefined; // the daemon (and its nats-server) is down: the store is read by a server of our own, then the spool followed
  }
  try {
    const end = store ? (await store.jsm.streams.info(store.auditStream)).state.last_seq : 0;
    if (since !== undefined) await readLocalLog(ctx.paths, { fromTime: since, onInvalid: (m) => ctx.err(`warning: ${m}`) }, (a) => print(a.event));
    else if (!store) await readLocalLog(ctx.paths, { onInvalid: (m) => ctx.err(`warning: ${m}`) }, (a) => seen.add(a.event.id));
    const stop = store ? await store.follow({ fromSeq: end + 1, onInvalid: (r) => ctx.err(`warning: stream sequence ${r.streamSeq}: ${r.reason}, skipped`) }, (s) => print(s.event)) : await followSpool(ctx, print);
    await interrupted();
    await stop();
  } finally {
    await store?.close();
  }
  return 0;
}

/** The daemon down, what the commands append goes to the spool: printed as it comes. */
async function followSpool(ctx: CliContext, print: (e: AnyEvent) => void): Promise<() => Promise<void>> {
  const { Spool } = await import('../../../adapters/nats/spool.js');
  const spool = new Spool(ctx.paths.spool);
  const look = () => {
    for (const e of spool.read()) print(e);
  };
  look();
  const timer = setInterval(look, 300);
  return async () => clearInterval(timer);
}

function interrupted(): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
}
