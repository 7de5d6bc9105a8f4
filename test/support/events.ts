import { EVENT_CATALOGUE, makeEvent } from '../../domain/events.js';
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

/** A valid event of any catalogue type, its payload filled from the schema: for tests that go over every type. */
export function sampleEvent(type: EventType, at: { cluster?: string; origin?: string; seq?: number; svc?: string; rid?: string } = {}): AnyEvent {
  const spec = EVENT_CATALOGUE[type];
  const filler: Record<string, unknown> = { string: 'x', number: 1, boolean: true, 'string[]': [], object: {} };
  const data = Object.fromEntries(Object.entries(spec.fields as Record<string, string>).filter(([, f]) => !f.endsWith('?')).map(([k, f]) => [k, filler[f]]));
  return makeEvent(
    { type, ...(spec.scope !== 'node' ? { svc: at.svc ?? 'svc1' } : {}), ...(spec.scope === 'res' ? { rid: at.rid ?? 'fs#1' } : {}), data } as NewEvent,
    { cluster: at.cluster ?? 'c1', origin: at.origin ?? 'node1', seq: at.seq ?? 1, time: '2026-01-02T14:36:00.000Z' },
  ) as AnyEvent;
}
