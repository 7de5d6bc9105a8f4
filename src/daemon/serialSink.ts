import type { Envelope, EventType, NewEvent } from '../../domain/events.js';
import type { EventSink } from '../events/sink.js';

/**
 * The daemon's components append concurrently; the node's writer lock is a
 * file polled with back-off, so appends from the same process queue here
 * instead and take the lock one after the other.
 */
export function serialSink(inner: EventSink): EventSink {
  let tail: Promise<unknown> = Promise.resolve();
  return {
    origin: inner.origin,
    cluster: inner.cluster,
    append<T extends EventType>(e: NewEvent<T>): Promise<Envelope<T>> {
      const next = tail.then(() => inner.append(e));
      tail = next.catch(() => undefined);
      return next;
    },
    async close() {
      await tail;
      await inner.close();
    },
  };
}
