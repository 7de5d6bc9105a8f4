import { makeEvent } from '../../domain/events.js';
import type { AnyEvent, EventType, NewEvent } from '../../domain/events.js';
import type { Applied } from '../../projections/instances.js';

/** A tiny log builder for given-events tests: per-origin sequences, a simulated clock. */
export class LogBuilder {
  private readonly seqs = new Map<string, number>();
  private streamSeq = 0;
  private t = Date.UTC(2026, 0, 2, 14, 36);
  readonly log: Applied[] = [];

  constructor(readonly cluster = 'c1') {}

  add<T extends EventType>(origin: string, e: NewEvent<T>): AnyEvent {
    const seq = (this.seqs.get(origin) ?? 0) + 1;
    this.seqs.set(origin, seq);
    this.t += 1000;
    const ev = makeEvent(e, { cluster: this.cluster, origin, seq, time: new Date(this.t).toISOString() }) as AnyEvent;
    this.log.push({ streamSeq: ++this.streamSeq, event: ev });
    return ev;
  }
}
