import fs from 'node:fs';
import path from 'node:path';
import { EventStore, redact } from '../../adapters/nats/eventStore.js';
import { FileLock } from '../../adapters/fs/lock.js';
import { Spool } from '../../adapters/nats/spool.js';
import { makeEvent } from '../../domain/events.js';
import type { AnyEvent, Envelope, EventType, NewEvent } from '../../domain/events.js';
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

/**
 * Append what the spool holds to the stream, skipping what the stream already
 * has (per-origin sequence), then empty the spool. Caller holds the writer lock.
 */
export async function drainSpool(store: EventStore, spool: Spool, onProblem?: (m: string) => void): Promise<number> {
  if (spool.isEmpty()) return 0;
  const events = spool.read((p) => onProblem?.(`${spool.file}:${p.line}: ${p.reason}, skipped`));
  const last = new Map<string, number>();
  const todo: AnyEvent[] = [];
  for (const e of events) {
    if (!last.has(e.origin)) last.set(e.origin, await store.lastSeqOf(e.origin));
    if (e.seq > last.get(e.origin)!) {
      todo.push(e);
      last.set(e.origin, e.seq);
    }
  }
  await store.append(todo);
  spool.clear();
  return todo.length;
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
        // a sequence file lost or stale must never make us reuse a stored sequence
        writeSeq(paths.sequence, Math.max(readSeq(paths.sequence), await store.lastSeqOf(origin)));
        reconciled = true;
      }
      const stamp = <U extends EventType>(x: NewEvent<U>): Envelope<U> => {
        const seq = readSeq(paths.sequence) + 1;
        writeSeq(paths.sequence, seq);
        return makeEvent(x, { cluster, origin, seq, time: now().toISOString() });
      };
      if (store) {
        try {
          const drained = await drainSpool(store, spool, o.onWarning);
          if (drained > 0) await store.append([stamp({ type: 'SpoolDrained', data: { count: drained } }) as AnyEvent]);
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
