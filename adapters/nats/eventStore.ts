import type { NatsConnection } from '@nats-io/transport-node';
import {
  DeliverPolicy,
  DiscardPolicy,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  jetstream,
  jetstreamManager,
} from '@nats-io/jetstream';
import type { JetStreamClient, JetStreamManager, PubAck, StreamConfig } from '@nats-io/jetstream';
import { UnavailableError } from '../../domain/errors.js';
import { eventsSubject, headerOfSubject, isEventType, originSubject, subjectOf } from '../../domain/events.js';
import type { AnyEvent, SubjectHeader } from '../../domain/events.js';
import { connectNats } from './connect.js';
import type { NatsEndpoint } from './connect.js';
import { RecordReader, decodeRecord as decode } from './records.js';
import type { InvalidRecord, ReplayFilter, SkippedRecord, StoredEvent } from './records.js';

export type { InvalidRecord, ReplayFilter, SkippedRecord, StoredEvent } from './records.js';

export interface StoreLimits {
  /** audit stream: 0 or -1 = keep everything (the default) */
  readonly auditMaxBytes?: number;
  readonly auditMaxAgeSec?: number;
  /** heartbeat stream: bounded retention */
  readonly hbMaxMsgsPerSubject?: number;
  readonly hbMaxAgeSec?: number;
  /** how long JetStream remembers message ids for de-duplication */
  readonly duplicateWindowSec?: number;
}

export interface ReplayOptions {
  /** first stream sequence to deliver (1 by default) */
  readonly fromSeq?: number;
  /** last stream sequence to deliver (the stream's last when the replay begins, by default) */
  readonly toSeq?: number;
  /** or the first event stored at or after this time */
  readonly fromTime?: Date;
  /** subject filter, e.g. osvc.c1.evt.node1.svc.svc1.> */
  readonly subject?: string;
  /** called for records that fail validation: reported and skipped, never fatal */
  readonly onInvalid?: (r: InvalidRecord) => void;
}

const encoder = new TextEncoder();

export function auditStreamName(cluster: string): string {
  return `OSVC_${cluster.replace(/[-.]/g, '_').toUpperCase()}_EVT`;
}

export function heartbeatStreamName(cluster: string): string {
  return `OSVC_${cluster.replace(/[-.]/g, '_').toUpperCase()}_HB`;
}

function isApiError(e: unknown, code: number): boolean {
  return e instanceof JetStreamApiError && e.code === code;
}

/**
 * The cluster's log in JetStream. Appends carry the message id `<origin>:<seq>`
 * so a retried append is stored once, and each append names the id of the
 * message it must follow (expected last msg id): when a pipelined append
 * fails, the ones behind it fail too and are re-sent in order, so events are
 * stored exactly once and in order even across a server crash.
 * One EventStore is the single writer of a stream at a time.
 */
export class EventStore {
  private lastMsgId: string | undefined;
  private tailKnown = false;

  private constructor(
    readonly nc: NatsConnection,
    readonly js: JetStreamClient,
    readonly jsm: JetStreamManager,
    readonly cluster: string,
  ) {}

  static async open(o: NatsEndpoint & { cluster: string; limits?: StoreLimits; connectTimeoutMs?: number; requestTimeoutMs?: number; name?: string }): Promise<EventStore> {
    let nc: NatsConnection;
    try {
      nc = await connectNats(o, { timeoutMs: o.connectTimeoutMs ?? 2000, name: o.name ?? 'hasvc' });
    } catch (e) {
      throw new UnavailableError(`cannot connect to NATS at ${redact(o.servers)}: ${(e as Error).message}`, { cause: e });
    }
    const timeout = o.requestTimeoutMs ?? 5000;
    try {
      const jsm = await jetstreamManager(nc, { timeout });
      const store = new EventStore(nc, jetstream(nc, { timeout }), jsm, o.cluster);
      await store.ensureStreams(o.limits ?? {});
      return store;
    } catch (e) {
      await nc.close();
      throw new UnavailableError(`JetStream not available at ${redact(o.servers)}: ${(e as Error).message}`, { cause: e });
    }
  }

  get auditStream(): string {
    return auditStreamName(this.cluster);
  }

  get heartbeatStream(): string {
    return heartbeatStreamName(this.cluster);
  }

  /** Create the streams, or bring their limits to what the config says. */
  async ensureStreams(l: StoreLimits): Promise<void> {
    const dupNs = (l.duplicateWindowSec ?? 24 * 3600) * 1e9;
    const audit: Partial<StreamConfig> & { name: string } = {
      name: this.auditStream,
      subjects: [eventsSubject(this.cluster)],
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      discard: DiscardPolicy.Old,
      max_bytes: l.auditMaxBytes && l.auditMaxBytes > 0 ? l.auditMaxBytes : -1,
      max_age: l.auditMaxAgeSec && l.auditMaxAgeSec > 0 ? l.auditMaxAgeSec * 1e9 : 0,
      max_msgs: -1,
      duplicate_window: dupNs,
      num_replicas: 1,
    };
    const hb: Partial<StreamConfig> & { name: string } = {
      name: this.heartbeatStream,
      subjects: [`osvc.${this.cluster}.hb.>`],
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      discard: DiscardPolicy.Old,
      max_msgs_per_subject: l.hbMaxMsgsPerSubject ?? 1000,
      max_age: (l.hbMaxAgeSec ?? 24 * 3600) * 1e9,
      duplicate_window: 60 * 1e9,
      num_replicas: 1,
    };
    for (const cfg of [audit, hb]) {
      try {
        const info = await this.jsm.streams.info(cfg.name!);
        const cur = info.config;
        if (cur.max_bytes !== cfg.max_bytes || cur.max_age !== cfg.max_age || cur.duplicate_window !== cfg.duplicate_window || cur.max_msgs_per_subject !== (cfg.max_msgs_per_subject ?? cur.max_msgs_per_subject)) {
          await this.jsm.streams.update(cfg.name!, { ...cur, ...cfg } as StreamConfig);
        }
      } catch (e) {
        if (!isApiError(e, 10059)) throw e;
        await this.jsm.streams.add(cfg);
      }
    }
  }

  /** Learn the id of the stream's last message, the anchor of the next append. */
  private async loadTail(): Promise<void> {
    const info = await this.jsm.streams.info(this.auditStream);
    if (info.state.last_seq === 0 || info.state.messages === 0) {
      this.lastMsgId = undefined;
    } else {
      const m = await this.jsm.streams.getMessage(this.auditStream, { seq: info.state.last_seq });
      this.lastMsgId = m?.header?.get('Nats-Msg-Id') || undefined;
    }
    this.tailKnown = true;
  }

  /** The audit stream's last sequence (0 when empty). */
  async lastSeq(): Promise<number> {
    return (await this.jsm.streams.info(this.auditStream)).state.last_seq;
  }

  /** The last per-origin sequence stored for an origin (0 when none). */
  async lastSeqOf(origin: string): Promise<number> {
    try {
      const m = await this.jsm.streams.getMessage(this.auditStream, { last_by_subj: originSubject(this.cluster, origin) });
      if (!m) return 0;
      const r = decode(m.seq, m.subject, m.data);
      return 'event' in r ? r.event.seq : 0;
    } catch (e) {
      if (isApiError(e, 10037)) return 0; // no message found
      throw e;
    }
  }

  /**
   * Append events in order, pipelined. Returns once every one is stored.
   * After a failure (server down, restarted, or another writer moved the
   * tail) the stream's last message id says how far the batch got; the rest
   * is sent again from there, still chained, so nothing is stored twice or
   * out of order.
   */
  async append(events: readonly AnyEvent[], window = 256, deadlineMs = 120_000): Promise<void> {
    let next = 0;
    let attempts = 0;
    const deadline = Date.now() + deadlineMs;
    while (next < events.length) {
      try {
        if (!this.tailKnown) await this.loadTail();
        next = await this.appendFrom(events, next, window);
        attempts = 0;
      } catch (e) {
        this.tailKnown = false;
        attempts++;
        if (Date.now() > deadline) throw new UnavailableError(`append to ${this.auditStream} keeps failing: ${(e as Error).message}`, { cause: e });
        await sleep(Math.min(1000, 20 * attempts));
        try {
          await this.loadTail();
        } catch {
          continue; // server still down: try again later
        }
        const idx = this.lastMsgId === undefined ? -1 : events.findIndex((ev) => ev.id === this.lastMsgId);
        if (idx >= next) next = idx + 1;
      }
    }
  }

  private async appendFrom(events: readonly AnyEvent[], start: number, window: number): Promise<number> {
    const inflight: Promise<PubAck>[] = [];
    let expected = this.lastMsgId;
    try {
      for (let i = start; i < events.length; i++) {
        const ev = events[i]!;
        const opts = expected === undefined ? { msgID: ev.id } : { msgID: ev.id, expect: { lastMsgID: expected } };
        inflight.push(this.js.publish(subjectOf(ev), encoder.encode(JSON.stringify(ev)), opts));
        expected = ev.id;
        if (inflight.length >= window) await inflight.shift();
      }
      while (inflight.length) await inflight.shift();
    } catch (e) {
      // let the rest of the pipeline settle so no rejection is left unobserved
      await Promise.allSettled(inflight);
      throw e;
    }
    this.lastMsgId = expected;
    return events.length;
  }

  /**
   * Replay stored events in order, until the end of the stream as it was
   * when called. With a filter, records of other types are not decoded.
   * Returns the stream's last sequence.
   */
  async replay(o: ReplayOptions & ReplayFilter & { readonly onSkipped?: (r: SkippedRecord) => void }, onEvent: (e: StoredEvent) => void): Promise<number> {
    let reader: RecordReader | undefined;
    return this.replayRecords(o, (end) => {
      const skipped = o.onSkipped;
      reader ??= new RecordReader(this.cluster, o, end, {
        onEvent,
        ...(skipped ? { onSkipped: (streamSeq: number, h: SubjectHeader) => skipped({ streamSeq, ...h }) } : {}),
        ...(o.onInvalid ? { onInvalid: o.onInvalid } : {}),
      });
      return (seq, subject, record) => reader!.read(seq, subject, record);
    });
  }

  /**
   * The transport half of a replay: every record from the start position to
   * the stream's last sequence when called, in order, undecoded. `open` is
   * called once with that last sequence, before the first record, and returns
   * what takes the records; a taker that returns a promise is waited for
   * before the next record (flow control). A record's data is read only if
   * the taker asks for it (most are skipped), and only during the call.
   */
  async replayRecords(o: ReplayOptions, open: (end: number) => (streamSeq: number, subject: string, record: StoredRecord) => void | Promise<void>): Promise<number> {
    const info = await this.jsm.streams.info(this.auditStream);
    const end = Math.min(info.state.last_seq, o.toSeq ?? Infinity);
    const from = o.fromSeq ?? 1;
    if (end === 0 || (o.fromTime === undefined && from > end)) return end;
    const consumer = await this.js.consumers.get(this.auditStream, {
      ...(o.fromTime ? { deliver_policy: DeliverPolicy.StartTime, opt_start_time: o.fromTime.toISOString() } : { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: Math.max(1, from) }),
      ...(o.subject ? { filter_subjects: o.subject } : {}),
    });
    const pending = (await consumer.info(true)).num_pending;
    if (pending === 0) return end;
    const take = open(end);
    const msgs = await consumer.consume({ max_messages: 2048 });
    let last = 0;
    try {
      for await (const m of msgs) {
        const seq = m.seq;
        // a filtered replay bounded by toSeq: the first record past it ends it
        if (seq > end) break;
        const wait = take(seq, m.subject, m);
        if (wait) await wait;
        last = seq;
        if (m.info.pending === 0 || seq >= end) break;
      }
    } finally {
      await msgs.close();
    }
    return Math.max(last, end);
  }

  /**
   * Every record's event id, `<origin>:<seq>`, read from its message id
   * (Nats-Msg-Id, set by append) rather than from its body: an index of the
   * log costs a header, not a decode. The id must be of that shape and its
   * origin the one the subject names, of a known event type; a record
   * without such an id is decoded, and reported if it is bad. (A body is not
   * read: one stored by append was valid; a beat re-reads what it sends.)
   */
  async replayIds(o: ReplayOptions, onId: (streamSeq: number, origin: string, seq: number) => void): Promise<number> {
    return this.replayRecords(o, () => (streamSeq, subject, record) => {
      const id = eventIdOf(record.headers?.get('Nats-Msg-Id'), subject, this.cluster);
      if (id) return onId(streamSeq, id.origin, id.seq);
      const r = decode(streamSeq, subject, record.data);
      if ('event' in r) onId(streamSeq, r.event.origin, r.event.seq);
      else o.onInvalid?.(r);
    });
  }

  /**
   * One page of the log: at most `limit` events stored from `fromSeq` up to
   * `toSeq`, in order, invalid records reported and skipped. `first` is the
   * stream's first sequence (above `fromSeq` when its limits dropped older
   * events); `last` the last sequence read, from which the next page goes on.
   */
  async page(o: { readonly fromSeq: number; readonly toSeq: number; readonly limit: number; readonly onInvalid?: (r: InvalidRecord) => void }): Promise<{ readonly events: StoredEvent[]; readonly first: number; readonly last: number }> {
    const state = (await this.jsm.streams.info(this.auditStream)).state;
    const first = state.messages === 0 ? state.last_seq + 1 : state.first_seq;
    const from = Math.max(1, o.fromSeq, first);
    const to = Math.min(o.toSeq, state.last_seq);
    const events: StoredEvent[] = [];
    if (from > to || o.limit <= 0) return { events, first, last: from - 1 };
    const consumer = await this.js.consumers.get(this.auditStream, { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: from });
    const msgs = await consumer.consume({ max_messages: Math.min(o.limit, 1024) });
    let last = from - 1;
    try {
      for await (const m of msgs) {
        if (m.seq > to) break;
        last = m.seq;
        const r = decode(m.seq, m.subject, m.data);
        if ('event' in r) events.push(r);
        else o.onInvalid?.(r);
        if (events.length >= o.limit || m.seq >= to || m.info.pending === 0) break;
      }
    } finally {
      await msgs.close();
    }
    return { events, first, last };
  }

  /** Deliver every event stored from `fromSeq` on, live, until the returned stop() is called. */
  async follow(o: ReplayOptions, onEvent: (e: StoredEvent) => void): Promise<() => Promise<void>> {
    const consumer = await this.js.consumers.get(this.auditStream, {
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: Math.max(1, o.fromSeq ?? 1),
      ...(o.subject ? { filter_subjects: o.subject } : {}),
    });
    const msgs = await consumer.consume({ max_messages: 1024 });
    const loop = (async () => {
      for await (const m of msgs) {
        const r = decode(m.seq, m.subject, m.data);
        if ('event' in r) onEvent(r);
        else o.onInvalid?.(r);
      }
    })();
    return async () => {
      await msgs.close();
      await loop.catch(() => undefined);
    };
  }

  /** Record a heartbeat on the heartbeat stream (bounded retention), never in the audit log. */
  async publishHeartbeat(subject: string, record: unknown): Promise<void> {
    await this.js.publish(subject, encoder.encode(JSON.stringify(record)));
  }

  /** The event stored at a stream sequence, validated; undefined when absent or invalid. */
  async eventAt(streamSeq: number): Promise<AnyEvent | undefined> {
    try {
      const m = await this.jsm.streams.getMessage(this.auditStream, { seq: streamSeq });
      if (!m) return undefined;
      const r = decode(m.seq, m.subject, m.data);
      return 'event' in r ? r.event : undefined;
    } catch (e) {
      if (isApiError(e, 10037)) return undefined;
      throw e;
    }
  }

  /** Publish a raw record, bypassing validation: for tests of corrupt data and the bench's raw baseline. */
  async publishRaw(subject: string, data: Uint8Array): Promise<PubAck> {
    const ack = await this.js.publish(subject, data);
    this.tailKnown = false;
    return ack;
  }

  private readonly endWatches = new Map<number, { readonly timer: NodeJS.Timeout; readonly watchers: Set<(last: number | Error) => void>; asking: boolean }>();

  /**
   * The audit stream's last sequence every `everyMs`, or why it could not
   * be read, to each watcher: the follows of a daemon check this way that
   * they keep up (a consumer can stall under a restarted server). Watchers
   * of the same period share one request to the server, not one each. The
   * returned function stops watching.
   */
  watchStreamEnd(everyMs: number, watcher: (last: number | Error) => void): () => void {
    let w = this.endWatches.get(everyMs);
    if (!w) {
      const watchers = new Set<(last: number | Error) => void>();
      const timer = setInterval(() => {
        const cur = this.endWatches.get(everyMs);
        // one request at a time: a slow answer is not asked again meanwhile
        if (!cur || cur.asking) return;
        cur.asking = true;
        this.jsm.streams
          .info(this.auditStream)
          .then(
            (info) => info.state.last_seq,
            (e: unknown) => (e instanceof Error ? e : new Error(String(e))),
          )
          .then((r) => {
            cur.asking = false;
            for (const f of [...cur.watchers]) f(r);
          });
      }, everyMs);
      timer.unref();
      w = { timer, watchers, asking: false };
      this.endWatches.set(everyMs, w);
    }
    w.watchers.add(watcher);
    return () => {
      const cur = this.endWatches.get(everyMs);
      if (!cur) return;
      cur.watchers.delete(watcher);
      if (cur.watchers.size > 0) return;
      clearInterval(cur.timer);
      this.endWatches.delete(everyMs);
    };
  }

  async close(): Promise<void> {
    for (const w of this.endWatches.values()) clearInterval(w.timer);
    this.endWatches.clear();
    await this.nc.drain().catch(() => this.nc.close());
  }
}

/** A stored record as a replay hands it: read `data` or `headers` only if needed. */
export interface StoredRecord {
  readonly data: Uint8Array;
  readonly headers?: { get(key: string): string } | undefined;
}

/** `<origin>:<seq>` as append sets it, for a record whose subject names the same origin; anything else is decoded instead. */
function eventIdOf(id: string | undefined, subject: string, cluster: string): { origin: string; seq: number } | undefined {
  const m = id ? /^([A-Za-z0-9][A-Za-z0-9_-]{0,62}):([1-9]\d{0,15})$/.exec(id) : null;
  if (!m) return undefined;
  const h = headerOfSubject(subject, cluster);
  if (h === undefined || h.origin !== m[1] || !isEventType(h.type)) return undefined;
  const seq = Number(m[2]);
  return Number.isSafeInteger(seq) ? { origin: m[1]!, seq } : undefined;
}

/**
 * A URL (or a message quoting one) with its password or token replaced by
 * `***`: everything from `//` to the line's last `@`, since a password may
 * hold `/`, `#` or `@` (too much hidden beats a part shown).
 */
export function redact(text: string): string {
  return text.replace(/\/\/([^\n]*)@/g, (_m, auth: string) => {
    const colon = auth.indexOf(':');
    return colon < 0 || /[/@]/.test(auth.slice(0, colon)) ? '//***@' : `//${auth.slice(0, colon)}:***@`;
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
