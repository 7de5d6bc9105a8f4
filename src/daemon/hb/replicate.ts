import { FileLock } from '../../../adapters/fs/lock.js';
import type { EventStore } from '../../../adapters/nats/eventStore.js';
import type { AnyEvent } from '../../../domain/events.js';
import { toAppend } from './protocol.js';

/**
 * Append the events a peer sent to this node's stream, as they are (id,
 * origin and sequence kept: never re-stamped), each once, per origin in
 * order. The node's writer lock is held meanwhile, so the CLI's and the
 * daemon's own appends never interleave a chain with these. Returns, per
 * origin asked about, the last sequence the stream holds afterwards: the ack.
 */
export async function appendReplicated(store: EventStore, writerLock: string, events: readonly AnyEvent[], origins: Iterable<string>): Promise<{ appended: number; acks: Record<string, number>; refused: string[] }> {
  const lock = new FileLock(writerLock);
  await lock.acquire(30_000, 'event writer');
  try {
    const wanted = new Set([...origins, ...events.map((e) => e.origin)]);
    const last = new Map<string, number>();
    for (const o of wanted) last.set(o, await store.lastSeqOf(o));
    const { append: todo, refused } = toAppend(events, last);
    if (todo.length > 0) await store.append(todo, 256, 10_000);
    for (const e of todo) last.set(e.origin, Math.max(last.get(e.origin) ?? 0, e.seq));
    return { appended: todo.length, acks: Object.fromEntries(last), refused };
  } finally {
    lock.release();
  }
}
