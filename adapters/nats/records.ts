import { eventProblem, headerOfSubject, subjectOf, typeOfSubject } from '../../domain/events.js';
import type { AnyEvent, SubjectHeader } from '../../domain/events.js';

/**
 * Reading the stream's records into events: the decoding half of a replay,
 * apart from the transport so it can run where the records are handed
 * (the replay worker) as well as beside the consumer.
 */

export interface StoredEvent {
  readonly streamSeq: number;
  readonly event: AnyEvent;
}

export interface InvalidRecord {
  readonly streamSeq: number;
  readonly subject: string;
  readonly reason: string;
}

/** A record a replay did not decode: what its subject says of it. */
export interface SkippedRecord extends SubjectHeader {
  readonly streamSeq: number;
}

export interface ReplayFilter {
  /**
   * Decode only records of these event types (the last subject token); the
   * others reach onSkipped with what their subject says, undecoded and
   * unvalidated. Reading and validating a record costs more than most
   * projections spend on it, and most records are of types a reader ignores.
   */
  readonly types?: ReadonlySet<string>;
  /** decode every record among the last N of the replay whatever its type (a reader's window of recent events) */
  readonly decodeLast?: number;
}

/** Where a reader's records go. */
export interface RecordSinks {
  readonly onEvent: (e: StoredEvent) => void;
  /** a record not decoded, and what its subject says (the header is the caller's to keep) */
  readonly onSkipped?: (streamSeq: number, h: SubjectHeader) => void;
  readonly onInvalid?: (r: InvalidRecord) => void;
}

const decoder = new TextDecoder();

/** Parse and validate one record; its subject must be the one its event is published on. */
export function decodeRecord(streamSeq: number, subject: string, data: Uint8Array): StoredEvent | InvalidRecord {
  let raw: unknown;
  try {
    raw = JSON.parse(decoder.decode(data));
  } catch {
    return { streamSeq, subject, reason: 'not valid JSON' };
  }
  const bad = eventProblem(raw);
  if (bad !== undefined) return { streamSeq, subject, reason: bad };
  const event = raw as AnyEvent;
  if (subjectOf(event) !== subject) return { streamSeq, subject, reason: `subject does not match the event (expected ${subjectOf(event)})` };
  return { streamSeq, event };
}

/**
 * Applies a replay filter to records read in order up to `end` (the stream's
 * last sequence when the replay began): each record reaches exactly one sink.
 */
export class RecordReader {
  private readonly decodeFrom: number;

  constructor(
    private readonly cluster: string,
    private readonly filter: ReplayFilter,
    end: number,
    private readonly sinks: RecordSinks,
  ) {
    this.decodeFrom = end - (filter.decodeLast ?? 0);
  }

  read(streamSeq: number, subject: string, data: Uint8Array): void {
    const types = this.filter.types;
    if (types !== undefined && streamSeq <= this.decodeFrom && !types.has(typeOfSubject(subject))) {
      const h = headerOfSubject(subject, this.cluster);
      if (h !== undefined) {
        this.sinks.onSkipped?.(streamSeq, h);
        return;
      }
    }
    const r = decodeRecord(streamSeq, subject, data);
    if ('event' in r) this.sinks.onEvent(r);
    else this.sinks.onInvalid?.(r);
  }
}
