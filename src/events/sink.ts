import type { Envelope, EventType, NewEvent } from '../../domain/events.js';

/**
 * Where the CLI and the daemon append events. The implementation appends to
 * the node's JetStream stream, or to the local spool when NATS can't be
 * reached; either way the call returns once the event is durable, so the
 * next step of an action starts only after its event is stored.
 */
export interface EventSink {
  readonly origin: string;
  readonly cluster: string;
  append<T extends EventType>(e: NewEvent<T>): Promise<Envelope<T>>;
  close(): Promise<void>;
}
