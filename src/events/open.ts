import fs from 'node:fs';
import path from 'node:path';
import { EventStore, redact } from '../../adapters/nats/eventStore.js';
import { FileLock } from '../../adapters/fs/lock.js';
import { Spool } from '../../adapters/nats/spool.js';
import type { SpoolProblem } from '../../adapters/nats/spool.js';
import { makeEvent } from '../../domain/events.js';
import type { AnyEvent, Envelope, EventType, NewEvent, PayloadOf } from '../../domain/events.js';
import { clustersOf, planDrain } from '../../domain/spoolDrain.js';
import { loadClusterIdentity, nodename } from '../config/identity.js';
import type { NodePaths } from '../paths.js';
import type { EventSink } from './sink.js';
import { natsTarget } from './natsTarget.js';

export interface SinkOptions {
  /** give up on NATS after this long and spool instead */
  readonly appendDeadlineMs?: number;
  readonly connectTimeoutMs?: number;
  /** clock, passed in so tests and replays are deterministic */
  readonly now?: () => Date;
  readonly onWarning?: (message: string) => void;
}

function readSeq(file: string): number {
  try {
    const n = Number(fs.readFileSync(file, 'utf8').trim());
    return Number.isInteger(n) && n >= 0 ? n : 0;
  } catch {
    return 0;
  }
}

function writeSeq(file: string, n: number): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${n}\n`, { mode: 0o600 });
  fs.renameSync(tmp, file);
}

export interface DrainResult {
  /** events appended to the stream */
  readonly drained: number;
  /** of those, re-stamped with the current cluster name (see planDrain) */
  readonly restamped: number;
  /** what was moved beside the spool instead: undefined when nothing */
  readonly keptAside?: PayloadOf<'SpoolSidelined'>;
}

/** The events a drain appends after the spooled ones, to say what it did. */
export function drainEvents(r: DrainResult): NewEvent[] {
  return [
    ...(r.drained > 0 ? [{ type: 'SpoolDrained', data: { count: r.drained, ...(r.restamped > 0 ? { restamped: r.restamped } : {}) } } as const] : []),
    ...(r.keptAside ? [{ type: 'SpoolSidelined', data: r.keptAside } as const] : []),
  ];
}

/**
 * Append what the spool holds to the stream, skipping what the stream already
 * has (per-origin sequence), then empty the spool. What cannot go to this
 * cluster's stream (events of the node's previous cluster, unreadable lines)
 * is first kept beside the spool, each with a line to onProblem: nothing is
 * dropped, nothing blocks. The append gives up after deadlineMs (the spool
 * is then left as it was, for the next drain). Caller holds the writer lock.
 */
export async function drainSpool(store: EventStore, spool: Spool, onProblem?: (m: string) => void, deadlineMs = 15_000): Promise<DrainResult> {
  const none: DrainResult = { drained: 0, restamped: 0 };
  if (spool.isEmpty()) return none;
  const bad: SpoolProblem[] = [];
  const events = spool.read((p) => bad.push(p));
  const unreadableFile = spool.asideFile('unreadable');
  if (bad.some((p) => p.line === 0)) {
    for (const p of bad) onProblem?.(`${spool.file}: ${p.reason}: spool not drained`);
    return none;
  }
  const last = new Map<string, number>();
  for (const e of events) if (!last.has(e.origin)) last.set(e.origin, await store.lastSeqOf(e.origin));
  const keptBefore = new Set(new Spool(spool.asideFile('other-cluster')).read().map((e) => e.id));
  const plan = planDrain(events, store.cluster, last, keptBefore);
  spool.keepAside('unreadable', bad.map((p) => p.text));
  // a line each, up to a few: a spool of garbage must not flood the log
  for (const p of bad.slice(0, 5)) onProblem?.(`${spool.file}:${p.line}: ${p.reason}, kept aside in ${unreadableFile}`);
  if (bad.length > 5) onProblem?.(`${spool.file}: ${bad.length - 5} more unreadable lines kept aside in ${unreadableFile}`);
  spool.keepAside('other-cluster', plan.keptAside.map((e) => JSON.stringify(e)));
  const clusters = clustersOf(plan.keptAside);
  for (const c of clusters) {
    const n = plan.keptAside.filter((e) => e.cluster === c).length;
    onProblem?.(`${n} spooled event${n === 1 ? '' : 's'} of cluster ${c} (recorded before this node took the name ${store.cluster}) kept aside in ${spool.asideFile('other-cluster')}, not appended to ${store.cluster}'s log`);
  }
  if (plan.restamped.length > 0) {
    const ids = new Set(plan.restamped.map((e) => e.id));
    const from = clustersOf(events.filter((e) => ids.has(e.id))).join(', ');
    onProblem?.(`${ids.size} spooled event${ids.size === 1 ? '' : 's'} stamped with cluster ${from} but recorded after their origin's events in ${store.cluster} appended to ${store.cluster}'s log under its name, so the sequence has no hole: ${[...ids].join(' ')}`);
  }
  await store.append(plan.append, 64, deadlineMs);
  spool.clear();
  return {
    drained: plan.append.length,
    restamped: plan.restamped.length,
    ...(bad.length > 0 || clusters.length > 0 ? { keptAside: { count: plan.keptAside.length, clusters, unreadable: bad.length } } : {}),
  };
}

/**
 * The node's event sink. Each append takes the node's writer lock, so the
 * CLI and the daemon never interleave a per-origin sequence: it allocates the
 * next sequence, appends to the stream (draining the spool first) and falls
 * back to the fsync'd spool when NATS can't be reached. It returns once the
 * event is durable in one of the two.
 */
export async function openEventSink(paths: NodePaths, env: NodeJS.ProcessEnv, o: SinkOptions = {}): Promise<EventSink> {
  const origin = nodename(env);
  const cluster = loadClusterIdentity(paths).name;
  const lock = new FileLock(paths.writerLock);
  const spool = new Spool(paths.spool);
  const now = o.now ?? (() => new Date());
  const target = natsTarget(paths);
  let store: EventStore | undefined;
  let reconciled = false;
  /** a fresh connection after any failure: the spool covers the gap, the next append tries again */
  const connect = async (): Promise<EventStore | undefined> => {
    if (store || !target.provisioned) return store;
    try {
      store = await EventStore.open({ ...target.endpoint, cluster, limits: target.limits, connectTimeoutMs: o.connectTimeoutMs ?? 1000, requestTimeoutMs: 2000, name: `hasvc-${origin}-${process.pid}` });
      reconciled = false;
    } catch (e) {
      o.onWarning?.(`events spooled locally: ${redact((e as Error).message)}`);
      store = undefined;
    }
    return store;
  };
  const disconnect = async () => {
    const s = store;
    store = undefined;
    await s?.close().catch(() => undefined);
  };
  await connect();

  const append = async <T extends EventType>(e: NewEvent<T>): Promise<Envelope<T>> => {
    await lock.acquire(30_000, 'event writer');
    try {
      const store = await connect();
      if (store && !reconciled) {
        // a sequence file lost or stale must never make us reuse a stored (or spooled) sequence; one ahead of
        // both says a process died between stamping an event and storing it: that sequence was never used,
        // and skipping it would leave a hole in the node's log that every peer refuses to replicate past
        const spooled = spool.isEmpty() ? 0 : Math.max(0, ...spool.read().filter((x) => x.origin === origin).map((x) => x.seq));
        const stored = Math.max(await store.lastSeqOf(origin), spooled);
        const file = readSeq(paths.sequence);
        if (file > stored) o.onWarning?.(`sequence ${stored + 1}${file > stored + 1 ? `..${file}` : ''} of ${origin} stamped but never stored (its process died first): used again`);
        if (file !== stored) writeSeq(paths.sequence, stored);
        reconciled = true;
      }
      const stamp = <U extends EventType>(x: NewEvent<U>): Envelope<U> => {
        const seq = readSeq(paths.sequence) + 1;
        writeSeq(paths.sequence, seq);
        return makeEvent(x, { cluster, origin, seq, time: now().toISOString() });
      };
      if (store) {
        try {
          const said = drainEvents(await drainSpool(store, spool, o.onWarning));
          if (said.length > 0) await store.append(said.map((x) => stamp(x) as AnyEvent));
        } catch (err) {
          o.onWarning?.(`spool not drained: ${redact((err as Error).message)}`);
          await disconnect();
        }
      }
      const ev = stamp(e);
      if (store && spool.isEmpty()) {
        try {
          await store.append([ev as AnyEvent], 64, o.appendDeadlineMs ?? 3000);
          return ev;
        } catch (err) {
          o.onWarning?.(`NATS unreachable, event ${ev.id} spooled: ${redact((err as Error).message)}`);
          await disconnect();
        }
      }
      spool.append(ev as AnyEvent);
      return ev;
    } finally {
      lock.release();
    }
  };

  return {
    origin,
    cluster,
    append,
    async close() {
      await disconnect();
    },
  };
}
