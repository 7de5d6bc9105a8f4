import { headerOfSubject, isEventType, readEvent, subjectOf, typeOfSubject } from '../../domain/events.js';
import type { AnyEvent, EventReader, SubjectHeader } from '../../domain/events.js';

/**
 * Reading the stream's records into events: the decoding half of a replay,
 * apart from the transport.
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
  /** decode every record whose stream sequence is among the last N of the stream when the replay began, whatever its type (a reader's window of recent events) */
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

const CURRENT: EventReader = { read: readEvent };

/**
 * Parse and validate one record, an older payload version upcast (the
 * catalogue's reader, or another one: tests read a log with tomorrow's
 * catalogue); its subject must be the one its event is published on.
 */
export function decodeRecord(streamSeq: number, subject: string, data: Uint8Array, reader: EventReader = CURRENT): StoredEvent | InvalidRecord {
  let raw: unknown;
  try {
    raw = JSON.parse(decoder.decode(data));
  } catch {
    return { streamSeq, subject, reason: 'not valid JSON' };
  }
  const event = reader.read(raw);
  if (typeof event === 'string') return { streamSeq, subject, reason: event };
  if (subjectOf(event) !== subject) return { streamSeq, subject, reason: `subject does not match the event (expected ${subjectOf(event)})` };
  return { streamSeq, event };
}

/**
 * Reads records in order up to `end` (the stream's last sequence when the
 * replay began) through a replay filter: each record reaches exactly one
 * sink, and only decoded records' data is read.
 */
export class RecordReader {
  private readonly decodeFrom: number;
  private lastSubject: string | undefined;
  /** the header of lastSubject when its records are skipped, undefined when they are decoded */
  private lastHeader: SubjectHeader | undefined;

  constructor(
    private readonly cluster: string,
    private readonly filter: ReplayFilter,
    end: number,
    private readonly sinks: RecordSinks,
    private readonly events: EventReader = CURRENT,
  ) {
    this.decodeFrom = end - (filter.decodeLast ?? 0);
  }

  read(streamSeq: number, subject: string, record: { readonly data: Uint8Array }): void {
    const h = this.skipped(streamSeq, subject);
    if (h !== undefined) {
      this.sinks.onSkipped?.(streamSeq, h);
      return;
    }
    const r = decodeRecord(streamSeq, subject, record.data, this.events);
    if ('event' in r) this.sinks.onEvent(r);
    else this.sinks.onInvalid?.(r);
  }

  /** The header of a record not to decode, undefined for a record to decode. */
  private skipped(streamSeq: number, subject: string): SubjectHeader | undefined {
    if (streamSeq > this.decodeFrom || this.filter.types === undefined) return undefined;
    // runs of records share a subject (an action's lines for one resource): the last one's answer is reused
    if (subject !== this.lastSubject) {
      this.lastSubject = subject;
      const type = typeOfSubject(subject);
      // a type this version does not know is decoded, so the record is reported
      this.lastHeader = this.filter.types.has(type) || !isEventType(type) ? undefined : headerOfSubject(subject, this.cluster);
    }
    return this.lastHeader;
  }
}
