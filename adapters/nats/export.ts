import { connect, credsAuthenticator } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import { DeliverPolicy, DiscardPolicy, JetStreamApiError, RetentionPolicy, StorageType, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { Consumer, JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { eventsSubject, originSubject } from '../../domain/events.js';
import { connectNats, parseNatsUrl } from './connect.js';
import type { NatsEndpoint } from './connect.js';
import { redact } from './eventStore.js';

/**
 * The I/O of `[nats] export`: the organisation's NATS system on one side
 * (ExportTarget), this node's own events in its local log on the other
 * (OwnEvents). Each on a connection of its own, never the daemon's: a slow
 * or dead export holds nothing the cluster uses. What to send, when to give
 * up and when to try again is src/daemon/export.ts's.
 */

export interface ExportTargetOptions {
  /** nats://[user:password@|token@]host:port, or tls://... */
  readonly url: string;
  /** a credentials file's content (JWT and seed), instead of a user in the URL */
  readonly creds?: Uint8Array | undefined;
  readonly stream: string;
  readonly cluster: string;
  readonly name: string;
  readonly timeoutMs: number;
}

/** A failure of the export, its message free of credentials. */
export class ExportError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(redact(message), options);
    this.name = 'ExportError';
  }
}

const NOT_FOUND_STREAM = 10059;
const NO_MESSAGE = 10037;

function why(e: unknown): string {
  return redact(e instanceof Error ? e.message : String(e));
}

/** `<origin>:<seq>` as the event store sets Nats-Msg-Id: the seq when the origin is `origin`. */
function originSeqOf(msgId: string | undefined, origin: string): number | undefined {
  if (msgId === undefined || !msgId.startsWith(`${origin}:`)) return undefined;
  const n = Number(msgId.slice(origin.length + 1));
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

function seqOfBody(data: Uint8Array): number | undefined {
  try {
    const seq: unknown = (JSON.parse(new TextDecoder().decode(data)) as { seq?: unknown }).seq;
    return typeof seq === 'number' && Number.isSafeInteger(seq) && seq > 0 ? seq : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The organisation's JetStream. One connection, no reconnect: a connection
 * that drops ends the session, and the next one starts by asking the stream
 * where it stands, so what a dead socket swallowed is sent again in order.
 */
export class ExportTarget {
  private constructor(
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly o: ExportTargetOptions,
  ) {}

  static async open(o: ExportTargetOptions): Promise<ExportTarget> {
    const a = parseNatsUrl(o.url);
    if (!a) throw new ExportError('[nats] export_url is not a NATS URL (nats://host:port)');
    const host = a.host.includes(':') ? `[${a.host}]` : a.host;
    const auth = o.creds ? { authenticator: credsAuthenticator(o.creds) } : a.user === undefined ? {} : a.pass === undefined ? { token: a.user } : { user: a.user, pass: a.pass };
    let nc: NatsConnection;
    try {
      nc = await connect({
        servers: `${host}:${a.port}`,
        ...auth,
        ...(/^tls:\/\//.test(o.url.trim()) ? { tls: {} } : {}),
        reconnect: false,
        timeout: o.timeoutMs,
        // a peer gone without closing the socket is noticed in about 10 s
        pingInterval: 5000,
        maxPingOut: 2,
        name: o.name,
      });
    } catch (e) {
      throw new ExportError(`cannot connect: ${why(e)}`, { cause: e });
    }
    try {
      const jsm = await jetstreamManager(nc, { timeout: o.timeoutMs, checkAPI: false });
      const t = new ExportTarget(nc, jetstream(nc, { timeout: o.timeoutMs }), jsm, o);
      await t.ensureStream();
      return t;
    } catch (e) {
      await nc.close().catch(() => undefined);
      throw e instanceof ExportError ? e : new ExportError(why(e), { cause: e });
    }
  }

  /**
   * The stream is created for the cluster's subjects when it does not
   * exist. One that exists is the organisation's: left as it is (each
   * publish checks it is the one storing it). An answer other than "not
   * found" (no right to ask, say) is not an error here: the publishes say.
   */
  private async ensureStream(): Promise<void> {
    try {
      await this.jsm.streams.info(this.o.stream);
      return;
    } catch (e) {
      if (!(e instanceof JetStreamApiError && e.code === NOT_FOUND_STREAM)) return;
    }
    try {
      await this.jsm.streams.add({
        name: this.o.stream,
        subjects: [eventsSubject(this.o.cluster)],
        storage: StorageType.File,
        retention: RetentionPolicy.Limits,
        discard: DiscardPolicy.Old,
        duplicate_window: 24 * 3600 * 1e9,
      });
    } catch (e) {
      throw new ExportError(`stream ${this.o.stream} does not exist and cannot be created: ${why(e)}`, { cause: e });
    }
  }

  /** Resolves when the connection is gone, with why. */
  closed(): Promise<string> {
    return this.nc.closed().then((e) => (e ? why(e) : 'connection closed'));
  }

  /** The last of `origin`'s per-origin sequences the stream holds, 0 when none. */
  async lastExported(origin: string): Promise<number> {
    try {
      const m = await this.jsm.streams.getMessage(this.o.stream, { last_by_subj: originSubject(this.o.cluster, origin) });
      if (!m) return 0;
      return originSeqOf(m.header?.get('Nats-Msg-Id') || undefined, origin) ?? seqOfBody(m.data) ?? 0;
    } catch (e) {
      if (e instanceof JetStreamApiError && e.code === NO_MESSAGE) return 0;
      throw new ExportError(`cannot read the last event of ${origin} in stream ${this.o.stream}: ${why(e)}`, { cause: e });
    }
  }

  /**
   * Store one record, with its event id as message id (a send again within
   * the stream's duplicate window is dropped there), in `stream` and no
   * other: resolves once that stream acknowledged it.
   */
  async publish(subject: string, data: Uint8Array, msgId: string | undefined): Promise<void> {
    try {
      await this.js.publish(subject, data, { ...(msgId ? { msgID: msgId } : {}), expect: { streamName: this.o.stream }, retries: 1 });
    } catch (e) {
      throw new ExportError(`${subject} not stored in stream ${this.o.stream}: ${why(e)}`, { cause: e });
    }
  }

  async close(): Promise<void> {
    await this.nc.close().catch(() => undefined);
  }
}

/** One of this node's events as its log holds it. */
export interface OwnRecord {
  readonly streamSeq: number;
  readonly subject: string;
  readonly data: Uint8Array;
  readonly msgId: string | undefined;
  /** the event's per-origin sequence, undefined for a record that is not one of the store's */
  readonly originSeq: number | undefined;
  /** this node's records after this one in the log */
  readonly pending: number;
}

/** The node's own events in its local log (osvc.<cluster>.evt.<node>.>), on a connection of the exporter's own. */
export class OwnEvents {
  private constructor(
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly stream: string,
    private readonly subject: string,
    private readonly origin: string,
  ) {}

  static async open(o: NatsEndpoint & { readonly stream: string; readonly cluster: string; readonly origin: string; readonly name: string }): Promise<OwnEvents> {
    let nc: NatsConnection;
    try {
      nc = await connectNats(o, { timeoutMs: 5000, name: o.name });
    } catch (e) {
      throw new ExportError(`the node's own NATS: ${why(e)}`, { cause: e });
    }
    const timeout = 5000;
    return new OwnEvents(nc, jetstream(nc, { timeout }), await jetstreamManager(nc, { timeout, checkAPI: false }), o.stream, originSubject(o.cluster, o.origin), o.origin);
  }

  /** The last of this node's events in the log, undefined when none. */
  async last(): Promise<{ readonly streamSeq: number; readonly originSeq: number } | undefined> {
    try {
      const m = await this.jsm.streams.getMessage(this.stream, { last_by_subj: this.subject });
      if (!m) return undefined;
      return { streamSeq: m.seq, originSeq: originSeqOf(m.header?.get('Nats-Msg-Id') || undefined, this.origin) ?? seqOfBody(m.data) ?? 0 };
    } catch (e) {
      if (e instanceof JetStreamApiError && e.code === NO_MESSAGE) return undefined;
      throw new ExportError(`the node's own log: ${why(e)}`, { cause: e });
    }
  }

  /** An ordered reader of this node's records from `fromStreamSeq` on; read it in rounds with `round`. */
  async cursor(fromStreamSeq: number): Promise<OwnCursor> {
    const consumer = await this.js.consumers.get(this.stream, { filter_subjects: this.subject, deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: Math.max(1, fromStreamSeq) });
    return new OwnCursor(consumer, this.origin);
  }

  async close(): Promise<void> {
    await this.nc.close().catch(() => undefined);
  }
}

export class OwnCursor {
  constructor(
    private readonly consumer: Consumer,
    private readonly origin: string,
  ) {}

  /**
   * Hand at most `max` records to `take`, in order, each waited for, as
   * they come, until `expiresMs` passed or `stop` is aborted. Returns how many
   * were handed.
   */
  async round(o: { readonly max: number; readonly expiresMs: number; readonly stop: AbortSignal }, take: (r: OwnRecord) => Promise<void>): Promise<number> {
    const msgs = await this.consumer.fetch({ max_messages: o.max, expires: o.expiresMs });
    const onStop = () => void msgs.close();
    o.stop.addEventListener('abort', onStop, { once: true });
    // a pull lost with a restarted server may never end by itself: silence past its expiry ends it, as a failure
    let silent = false;
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      timer = setTimeout(() => {
        silent = true;
        void msgs.close();
      }, o.expiresMs + 5000);
    };
    arm();
    let n = 0;
    try {
      for await (const m of msgs) {
        clearTimeout(timer);
        if (o.stop.aborted) break;
        const msgId = m.headers?.get('Nats-Msg-Id') || undefined;
        await take({ streamSeq: m.seq, subject: m.subject, data: m.data, msgId, originSeq: originSeqOf(msgId, this.origin) ?? seqOfBody(m.data), pending: m.info.pending });
        n++;
        arm();
      }
    } finally {
      clearTimeout(timer);
      o.stop.removeEventListener('abort', onStop);
      await msgs.close();
    }
    if (silent && !o.stop.aborted) throw new ExportError(`the node's own log did not answer a read for ${Math.round(o.expiresMs / 1000) + 5} s`);
    return n;
  }
}
