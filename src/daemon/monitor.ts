import type { EventStore, InvalidRecord, StoredEvent } from '../../adapters/nats/eventStore.js';
import { InstancesProjection } from '../../projections/instances.js';
import { catchUp } from '../events/catchUp.js';
import type { DaemonLogger } from './log.js';
import { readSnapshot, writeSnapshot } from './snapshot.js';
import type { MonitorSnapshot } from './snapshot.js';
import type { ThreadTable } from './threads.js';

export interface MonitorOptions {
  readonly store: EventStore;
  readonly cluster: string;
  readonly snapshotFile: string;
  readonly threads: ThreadTable;
  readonly log: DaemonLogger;
  /** write the snapshot after this many events (and on stop) */
  readonly snapshotEvery?: number;
  /** how many recent events GET /events can serve */
  readonly recentCapacity?: number;
  /** how often the stream's last sequence is compared with what was delivered */
  readonly watchdogMs?: number;
  /** behind the stream without progress this long: follow again */
  readonly stallMs?: number;
  /** called after each live event is applied (the orchestrator looks again, membership follows) */
  readonly onApplied?: (e: StoredEvent) => void;
}

export interface EventsPage {
  /** the last stream sequence applied */
  readonly lastSeq: number;
  readonly events: readonly StoredEvent[];
  /** more events follow the last one returned (a page holds at most `limit`): ask again with since = its streamSeq */
  readonly more: boolean;
  /**
   * false when no event between `since` and the first one returned is
   * missing; else why some are, and what to do:
   *  - 'window': the answer comes from the recent events the daemon holds,
   *    which begin after `since` (after a restart they begin at its
   *    snapshot): GET /events reads the stream itself instead, never says it
   *  - 'retention': the stream no longer holds them (its limits,
   *    [nats] audit_max_bytes / audit_max_age): they are gone
   *  - 'stream': `since` is past the end of this stream: another one than the
   *    caller followed (recreated): reload the whole view
   */
  readonly truncated: false | 'window' | 'retention' | 'stream';
}

/** A fixed-size window of the latest stored events, oldest first. */
class Recent {
  private buf: StoredEvent[] = [];
  private start = 0;
  constructor(private readonly capacity: number) {}

  push(e: StoredEvent): void {
    this.buf.push(e);
    if (this.buf.length - this.start > this.capacity) this.start++;
    if (this.start > this.capacity) {
      this.buf = this.buf.slice(this.start);
      this.start = 0;
    }
  }

  since(seq: number, limit: number): { events: StoredEvent[]; more: boolean; truncated: boolean } {
    const held = this.buf.slice(this.start);
    const first = held[0];
    const truncated = first !== undefined && first.streamSeq > seq + 1;
    const after = held.filter((e) => e.streamSeq > seq);
    return { events: after.slice(0, limit), more: after.length > limit, truncated };
  }
}

const RECENT_CAPACITY = 2000;

/**
 * Keeps the read models up to date from the log: restore the last snapshot,
 * replay what was stored since, then follow the stream live. It decides
 * nothing (orchestration comes later); the listener reads from it.
 */
export class Monitor {
  projection = new InstancesProjection();
  private readonly nodeState = new Map<string, { frozen: boolean }>();
  private readonly recent: Recent;
  private readonly waiters = new Set<() => void>();
  private stopFollow: (() => Promise<void>) | undefined;
  /** the last stream sequence delivered, invalid records included */
  private delivered = 0;
  private stalled: { at: number; delivered: number } | undefined;
  private unwatch: (() => void) | undefined;
  private checking = false;
  private sinceSnapshot = 0;
  private lastId: string | undefined;
  /** the stream sequence of lastId */
  private lastIdSeq = 0;
  private stopped = false;
  /** events replayed at start, for the log line and the bench */
  replayed = 0;

  constructor(private readonly o: MonitorOptions) {
    this.recent = new Recent(o.recentCapacity ?? RECENT_CAPACITY);
  }

  get lastSeq(): number {
    return this.projection.lastSeq;
  }

  nodeFrozen(node: string): boolean {
    return this.nodeState.get(node)?.frozen ?? false;
  }

  private invalid = (r: InvalidRecord) => {
    this.delivered = Math.max(this.delivered, r.streamSeq);
    this.o.log.warn({ streamSeq: r.streamSeq, subject: r.subject, reason: r.reason }, 'invalid record in the stream, skipped');
  };

  /** The snapshot, when it still describes the stream we read: same cluster, same event at its lastSeq. */
  private async usableSnapshot(): Promise<MonitorSnapshot | undefined> {
    const s = readSnapshot(this.o.snapshotFile);
    if (!s) return undefined;
    if (s.cluster !== this.o.cluster) return undefined;
    if (s.lastSeq === 0) return s;
    try {
      const m = await this.o.store.jsm.streams.getMessage(this.o.store.auditStream, { seq: s.lastSeq });
      if (m?.header?.get('Nats-Msg-Id') === s.lastId) return s;
    } catch {
      /* no such message: the stream is not the one the snapshot was made from */
    }
    this.o.log.warn({ file: this.o.snapshotFile, lastSeq: s.lastSeq }, 'projection snapshot does not match the stream: replaying the whole log');
    return undefined;
  }

  async start(): Promise<void> {
    this.o.threads.set('monitor', 'starting');
    const t0 = Date.now();
    const snap = await this.usableSnapshot();
    // the last records are handed back as they are: GET /events serves them
    const r = await catchUp(this.o.store, {
      spec: { history: false, recent: this.o.recentCapacity ?? RECENT_CAPACITY },
      ...(snap ? { from: { instances: snap.instances, nodes: snap.nodes, lastId: snap.lastId } } : {}),
      onInvalid: this.invalid,
    });
    this.projection = r.instances;
    for (const [n, st] of Object.entries(r.nodes)) this.nodeState.set(n, { frozen: st.frozen });
    this.lastId = r.lastId;
    this.lastIdSeq = r.lastIdSeq;
    for (const e of r.recent) this.recent.push(e);
    for (const n of r.notApplied) this.o.log.error({ streamSeq: n.streamSeq, id: n.id, err: n.reason }, 'event not applied to the instances projection');
    this.replayed = r.count;
    const end = r.end;
    this.o.log.info({ fromSnapshot: snap?.lastSeq ?? 0, replayed: this.replayed, lastSeq: this.lastSeq, ms: Date.now() - t0 }, 'projections rebuilt from the log');
    if (r.count > 0) this.saveSnapshot();
    this.delivered = Math.max(this.delivered, end);
    // follow from what replay reached: events appended meanwhile come through follow
    await this.follow();
    this.unwatch = this.o.store.watchStreamEnd(this.o.watchdogMs ?? 1000, (last) => void this.checkProgress(last));
    this.o.threads.set('monitor', 'running');
  }

  private async follow(): Promise<() => Promise<void>> {
    const stop = await this.o.store.follow({ fromSeq: Math.max(this.delivered, this.lastSeq) + 1, onInvalid: this.invalid }, (e) => this.apply(e, true));
    this.stopFollow = stop;
    return stop;
  }

  /**
   * A consumer that lost its server (nats-server restarted, external cluster
   * failover) may wait a long time before it notices. The stream's last
   * sequence says when we are behind; behind without progress for a while,
   * the follow starts again from the last event applied (re-delivered
   * events are ignored by sequence). The stream's end is read once a
   * second for the heartbeats' follow and this one together.
   */
  private async checkProgress(end: number | Error): Promise<void> {
    if (this.checking || this.stopped) return;
    this.checking = true;
    try {
      if (end instanceof Error) throw end;
      const now = Date.now();
      if (this.delivered >= end || (this.stalled && this.delivered > this.stalled.delivered)) {
        this.stalled = this.delivered >= end ? undefined : { at: now, delivered: this.delivered };
        return;
      }
      if (!this.stalled) {
        this.stalled = { at: now, delivered: this.delivered };
        return;
      }
      if (now - this.stalled.at < (this.o.stallMs ?? 2000) || this.stopped) return;
      this.o.log.warn({ delivered: this.delivered, streamLast: end }, 'the stream consumer stalled: following again');
      this.stalled = undefined;
      const old = this.stopFollow;
      this.stopFollow = undefined;
      await Promise.race([old?.(), new Promise((r) => setTimeout(r, 2000))]);
      if (this.stopped) return;
      const stop = await this.follow();
      // stop() ran meanwhile: it did not see this consumer
      if (this.stopped) await stop();
    } catch (e) {
      this.o.log.debug({ err: (e as Error).message }, 'stream progress not checked');
    } finally {
      this.checking = false;
    }
  }

  private apply(e: StoredEvent, live: boolean): void {
    this.delivered = Math.max(this.delivered, e.streamSeq);
    if (e.streamSeq <= this.projection.lastSeq) return;
    try {
      this.projection.apply(e);
    } catch (err) {
      this.o.log.error({ streamSeq: e.streamSeq, id: e.event.id, err: (err as Error).message }, 'event not applied to the instances projection');
    }
    const ev = e.event;
    if (ev.type === 'NodeFrozen') this.nodeState.set(ev.origin, { frozen: true });
    else if (ev.type === 'NodeThawed') this.nodeState.set(ev.origin, { frozen: false });
    this.lastId = ev.id;
    this.lastIdSeq = e.streamSeq;
    this.recent.push(e);
    if (++this.sinceSnapshot >= (this.o.snapshotEvery ?? 500)) this.saveSnapshot();
    if (live) {
      for (const w of [...this.waiters]) w();
      this.o.onApplied?.(e);
    }
  }

  saveSnapshot(): void {
    this.sinceSnapshot = 0;
    // the snapshot names the event at its lastSeq; after undecoded records that id is not known yet
    if (this.lastIdSeq !== this.projection.lastSeq) return;
    try {
      writeSnapshot(this.o.snapshotFile, {
        version: 4,
        cluster: this.o.cluster,
        lastSeq: this.projection.lastSeq,
        lastId: this.lastId,
        instances: this.projection.checkpoint(),
        nodes: Object.fromEntries(this.nodeState),
      });
    } catch (err) {
      this.o.log.error({ file: this.o.snapshotFile, err: (err as Error).message }, 'projection snapshot not written');
    }
  }

  /** A page of the recent events the daemon holds (the window: 'window' when it begins after `seq`). */
  eventsSince(seq: number, limit = 500): EventsPage {
    const r = this.recent.since(seq, limit);
    // a caller ahead of us saw another stream (recreated store): it must reload too
    if (seq > this.lastSeq) return { lastSeq: this.lastSeq, events: [], more: false, truncated: 'stream' };
    return { lastSeq: this.lastSeq, events: r.events, more: r.more, truncated: r.truncated ? 'window' : false };
  }

  /**
   * GET /events: a page of the log after `seq`, from the recent events held
   * when they reach back that far, else from the stream itself, so a client
   * pages through the whole log from 0 whatever the daemon holds (after a
   * restart, only what came since its snapshot). Up to the last event
   * applied: a page never runs ahead of lastSeq.
   */
  async eventsPage(seq: number, limit = 500): Promise<EventsPage> {
    const held = this.eventsSince(seq, limit);
    if (held.truncated !== 'window') return held;
    const lastSeq = this.lastSeq;
    // an invalid record was reported when the monitor read it: here it is only skipped
    const p = await this.o.store.page({ fromSeq: seq + 1, toSeq: lastSeq, limit });
    return { lastSeq, events: p.events, more: p.last < lastSeq, truncated: p.first > seq + 1 ? 'retention' : false };
  }

  /** Resolves when an event after `seq` has been applied, at the timeout, or when the monitor stops. */
  waitForEvent(seq: number, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (this.lastSeq > seq || this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const check = () => {
        if (this.lastSeq > seq || this.stopped) done();
      };
      const timer = setTimeout(done, timeoutMs);
      signal?.addEventListener('abort', done, { once: true });
      this.waiters.add(check);
    });
  }

  /** Wait until the projection has applied the stream up to `seq` (what was stored before a decision). */
  async caughtUpTo(seq: number, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.lastSeq < seq) {
      if (Date.now() > deadline || this.stopped) return false;
      await this.waitForEvent(this.lastSeq, Math.max(1, deadline - Date.now()));
    }
    return true;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unwatch?.();
    for (const w of [...this.waiters]) w();
    this.o.threads.set('monitor', 'stopping');
    await this.stopFollow?.();
    this.saveSnapshot();
    this.o.threads.set('monitor', 'stopped');
  }
}
