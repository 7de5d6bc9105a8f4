import type http from 'node:http';
import type { StoredEvent } from '../../../adapters/nats/eventStore.js';
import type { DaemonLogger } from '../log.js';
import type { EventsPage } from '../monitor.js';
import type { DaemonStatus } from '../readModel.js';

export interface FeedSource {
  status(): DaemonStatus;
  events(since: number, limit: number): EventsPage;
  waitForEvent(since: number, timeoutMs: number, signal: AbortSignal): Promise<void>;
}

export interface FeedOptions {
  readonly source: FeedSource;
  readonly log: DaemonLogger;
  /** every event the projections applied, in order; live: after this daemon started (false: the recent window held at start) */
  readonly onEvents: (events: readonly StoredEvent[], live: boolean) => void;
  /** at most one status pushed per this many ms: a burst of events (an action) is one redraw */
  readonly statusEveryMs?: number;
  readonly maxClients?: number;
}

interface Client {
  readonly res: http.ServerResponse;
  /** still allowed to read (the view is public, or its session is alive) */
  readonly allowed: () => boolean;
}

/** An SSE client that reads slower than the cluster changes is let go: it reconnects and gets a fresh picture. */
const MAX_BUFFERED = 4 * 1024 * 1024;
const WAIT_MS = 20_000;
const STATUS_REUSE_MS = 1000;

/**
 * The web view's live side: one loop follows the projections (the monitor's
 * waitForEvent / eventsSince, as `svcmon --watch` does through the
 * listener) and pushes to every open page, as server-sent events:
 *
 *   event: status   the DaemonStatus, the svcmon read model
 *   event: events   {lastSeq, events: StoredEvent[]} the events just applied
 *   event: reload   the events between were not all held: read /web/api/events again
 *
 * The status is computed and serialised once for all pages. With no page
 * open, the loop still feeds the metrics' counters.
 */
export class LiveFeed {
  private readonly clients = new Set<Client>();
  private readonly ac = new AbortController();
  private seq = 0;
  private lastStatusAt = 0;
  private statusTimer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  /** the last status serialised: the pages opening and the page itself (routes.ts) share it until an event is applied */
  private cached: { seq: number; at: number; json: string } | undefined;

  constructor(private readonly o: FeedOptions) {}

  get size(): number {
    return this.clients.size;
  }

  start(): void {
    const first = this.o.source.events(0, 5000);
    this.o.onEvents(first.events, false);
    this.seq = first.lastSeq;
    this.running = this.loop().catch((e: unknown) => this.o.log.error({ err: (e as Error).message }, 'web live feed stopped'));
  }

  async stop(): Promise<void> {
    this.ac.abort();
    if (this.statusTimer) clearTimeout(this.statusTimer);
    for (const c of this.clients) c.res.end();
    this.clients.clear();
    await this.running;
  }

  /** Follow the cluster on this response; false when too many pages are open already. */
  add(req: http.IncomingMessage, res: http.ServerResponse, allowed: () => boolean): boolean {
    if (this.clients.size >= (this.o.maxClients ?? 200) || this.ac.signal.aborted) return false;
    const c: Client = { res, allowed };
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no', connection: 'keep-alive' });
    res.write(`retry: 2000\nid: ${this.seq}\nevent: status\ndata: ${this.statusJson()}\n\n`);
    this.clients.add(c);
    req.socket.setNoDelay(true);
    res.once('close', () => this.clients.delete(c));
    return true;
  }

  private async loop(): Promise<void> {
    const signal = this.ac.signal;
    while (!signal.aborted) {
      const t0 = Date.now();
      await this.o.source.waitForEvent(this.seq, WAIT_MS, signal);
      if (signal.aborted) return;
      const page = this.o.source.events(this.seq, 5000);
      if (page.events.length === 0) {
        if (page.truncated) {
          // another stream than the one followed (recreated): start again from where it is
          this.seq = page.lastSeq;
          this.broadcast(`event: reload\ndata: {}\n\n`);
          this.pushStatus();
        } else if (page.lastSeq > this.seq) this.seq = page.lastSeq;
        else if (Date.now() - t0 >= WAIT_MS - 100) this.broadcast(': keep-alive\n\n');
        // a monitor that stopped answers at once: do not spin
        else await new Promise((r) => setTimeout(r, 1000, undefined));
        continue;
      }
      this.seq = page.events[page.events.length - 1]!.streamSeq;
      this.o.onEvents(page.events, true);
      if (this.clients.size === 0) continue;
      if (page.truncated) this.broadcast(`event: reload\ndata: {}\n\n`);
      this.broadcast(frame('events', { lastSeq: this.seq, events: page.events }, this.seq));
      this.pushStatus();
    }
  }

  /** The status now, or at the end of the current period when one was pushed less than statusEveryMs ago. */
  private pushStatus(): void {
    if (this.statusTimer || this.clients.size === 0) return;
    const every = this.o.statusEveryMs ?? 100;
    const wait = this.lastStatusAt + every - Date.now();
    const push = () => {
      this.statusTimer = undefined;
      this.lastStatusAt = Date.now();
      if (this.clients.size === 0 || this.ac.signal.aborted) return;
      this.broadcast(`id: ${this.seq}\nevent: status\ndata: ${this.statusJson(true)}\n\n`);
    };
    if (wait <= 0) push();
    else this.statusTimer = setTimeout(push, wait);
  }

  /**
   * The DaemonStatus as JSON: computed again when an event was applied
   * since, when `fresh` is asked, or after STATUS_REUSE_MS (what no event
   * says changes too: threads, heartbeats, loads).
   */
  statusJson(fresh = false): string {
    const now = Date.now();
    const c = this.cached;
    if (!fresh && c && c.seq === this.seq && now - c.at < STATUS_REUSE_MS) return c.json;
    const json = JSON.stringify(this.o.source.status());
    this.cached = { seq: this.seq, at: now, json };
    return json;
  }

  private broadcast(text: string): void {
    // encoded once for every page: a status is tens of KB
    const chunk = Buffer.from(text);
    for (const c of this.clients) {
      if (!c.allowed()) {
        c.res.end('event: logout\ndata: {}\n\n');
        this.clients.delete(c);
      } else if (c.res.writableLength > MAX_BUFFERED) {
        c.res.destroy();
        this.clients.delete(c);
      } else c.res.write(chunk);
    }
  }
}

function frame(event: string, data: unknown, id: number): string {
  return `id: ${id}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}
