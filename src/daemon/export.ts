import fs from 'node:fs';
import path from 'node:path';
import { ExportTarget, OwnEvents } from '../../adapters/nats/export.js';
import type { OwnCursor, OwnRecord } from '../../adapters/nats/export.js';
import type { NatsEndpoint } from '../../adapters/nats/connect.js';
import { auditStreamName, redact } from '../../adapters/nats/eventStore.js';
import { HEALTHY, evolveExport, exportBackoffMs, exportConfigOf, exportWarning, resumeAfter } from '../../domain/export/health.js';
import type { ExportConfig, ExportHealth, ExportOutcome, ExportSettings } from '../../domain/export/health.js';
import type { NodeConfig } from '../../domain/config/node.js';
import type { NewEvent } from '../../domain/events.js';
import type { NodePaths } from '../paths.js';
import type { DaemonLogger } from './log.js';

/** At most this many events sent and not yet acknowledged by the organisation's stream. */
const WINDOW = 256;
/** A failing export is a stall after this long. */
const STALL_AFTER_MS = 10_000;
/** How long a read of the local log waits for a new event before the round ends. */
const ROUND_MS = 5000;

export interface ExporterOptions {
  readonly config: ExportConfig;
  readonly node: string;
  readonly cluster: string;
  /** the node's own NATS, as the daemon reaches it */
  readonly local: NatsEndpoint;
  /** where the last exported position is kept between daemon runs */
  readonly positionFile: string;
  readonly log: DaemonLogger;
  /** record an event of this node, without waiting */
  readonly emit: (e: NewEvent) => void;
  readonly now?: () => number;
  readonly stallAfterMs?: number;
  readonly timeoutMs?: number;
}

interface Position {
  /** the local stream's sequence of the last record exported or passed over */
  readonly streamSeq: number;
  /** that record's per-origin sequence */
  readonly originSeq: number;
}

class SessionEnded extends Error {}

/**
 * `[nats] export`: this node's own events, from its log, to the
 * organisation's JetStream, each once and in order. It runs beside the
 * daemon and nothing waits for it: a failure is retried with a backoff,
 * counted as a stall after a while (an event and a svcmon warning), and the
 * events simply wait in the node's log meanwhile.
 *
 * A session is one connection to the organisation's system: it asks the
 * stream the last event of this node it holds, reads the local log from
 * the position kept in `positionFile`, skips what is there already, and
 * sends the rest, at most WINDOW unacknowledged, then follows the log.
 */
export class Exporter {
  private health: ExportHealth = HEALTHY;
  private position: Position = { streamSeq: 0, originSeq: 0 };
  private readonly settings: ExportSettings;
  private readonly target: string;
  private readonly ac = new AbortController();
  private loop: Promise<void> | undefined;
  private savedAt = 0;

  constructor(private readonly o: ExporterOptions) {
    this.settings = { shownUrl: redact(o.config.url), stream: o.config.stream ?? auditStreamName(o.cluster), stallAfterMs: o.stallAfterMs ?? STALL_AFTER_MS };
    // a position is good for the system and stream it was kept for only
    this.target = `${this.settings.shownUrl} ${this.settings.stream}`;
    this.position = this.loadPosition();
  }

  private now(): number {
    return (this.o.now ?? Date.now)();
  }

  start(): void {
    this.o.log.info({ url: this.settings.shownUrl, stream: this.settings.stream }, 'exporting this node\'s events');
    this.loop ??= this.run().catch((e: unknown) => this.o.log.error({ err: (e as Error).message }, 'export stopped'));
  }

  /** svcmon's warnings: the stall, while it lasts. */
  warnings(): string[] {
    const w = exportWarning(this.health, this.settings, this.now());
    return w === undefined ? [] : [w];
  }

  /** The daemon's stop waits a second at most: a connect or publish in progress is dropped with the process. */
  async stop(): Promise<void> {
    this.ac.abort();
    await Promise.race([this.loop, new Promise((r) => setTimeout(r, 1000).unref())]);
  }

  private apply(outcome: ExportOutcome): void {
    const step = evolveExport(this.health, outcome, this.now(), this.settings);
    this.health = step.health;
    for (const e of step.events) {
      if (e.type === 'ExportStalled') this.o.log.warn({ ...e.data }, 'export stalled');
      if (e.type === 'ExportResumed') this.o.log.info({ ...e.data }, 'export resumed');
      this.o.emit(e);
    }
  }

  private async run(): Promise<void> {
    const signal = this.ac.signal;
    let local: OwnEvents | undefined;
    while (!signal.aborted) {
      let remote: ExportTarget | undefined;
      try {
        local ??= await OwnEvents.open({ ...this.o.local, stream: auditStreamName(this.o.cluster), cluster: this.o.cluster, origin: this.o.node, name: `hasvcd-export-${this.o.node}` });
        const creds = this.o.config.creds === undefined ? undefined : readCreds(this.o.config.creds);
        remote = await ExportTarget.open({ url: this.o.config.url, creds, stream: this.settings.stream, cluster: this.o.cluster, name: `hasvc-export-${this.o.cluster}-${this.o.node}`, timeoutMs: this.o.timeoutMs ?? 5000 });
        await this.session(local, remote, signal);
      } catch (e) {
        if (signal.aborted) break;
        const reason = (e as Error).message;
        let waiting: number | undefined;
        try {
          const last = await local?.last();
          if (last !== undefined) waiting = Math.max(0, last.originSeq - this.position.originSeq);
        } catch {
          // the local server itself is in trouble: read it again from a new connection
          await local?.close();
          local = undefined;
        }
        if (this.health.failingSince === undefined) this.o.log.warn({ url: this.settings.shownUrl, reason }, 'export failing, trying again');
        this.apply({ kind: 'failed', reason, waiting, through: this.position.originSeq });
      } finally {
        await remote?.close();
      }
      await sleep(exportBackoffMs(this.health.failures), signal);
    }
    await local?.close();
  }

  /** Until the remote connection goes (thrown) or the daemon stops. */
  private async session(local: OwnEvents, remote: ExportTarget, stop: AbortSignal): Promise<void> {
    const lastThere = await remote.lastExported(this.o.node);
    const last = await local.last();
    // a log rebuilt since (the cluster renamed, the store wiped): read it from its start
    if (last === undefined || last.streamSeq < this.position.streamSeq) this.position = { streamSeq: 0, originSeq: this.position.originSeq };
    const skipUpTo = resumeAfter(this.position.originSeq, lastThere);

    const ended = new AbortController();
    const onStop = () => ended.abort();
    stop.addEventListener('abort', onStop, { once: true });
    let gone: string | undefined;
    void remote.closed().then((r) => {
      gone = r;
      ended.abort();
    });
    try {
      const cursor = await local.cursor(this.position.streamSeq + 1);
      if (last === undefined || last.originSeq <= skipUpTo) this.apply({ kind: 'caughtUp', through: skipUpTo });
      while (!ended.signal.aborted) {
        await this.round(local, cursor, remote, skipUpTo, ended.signal);
      }
      if (gone !== undefined && !stop.aborted) throw new SessionEnded(gone);
    } finally {
      stop.removeEventListener('abort', onStop);
    }
  }

  /**
   * One read of the log: send what comes, a sliding window of at most
   * WINDOW unacknowledged, counted exported in order as acknowledged.
   */
  private async round(local: OwnEvents, cursor: OwnCursor, remote: ExportTarget, skipUpTo: number, stop: AbortSignal): Promise<void> {
    const inflight: { readonly done: Promise<void>; readonly rec: OwnRecord }[] = [];
    let lastPending = -1;
    /** until at most `keep` are unacknowledged; the position saved when all are, or once a second */
    const settle = async (keep: number) => {
      let count = 0;
      try {
        while (inflight.length > keep) {
          const head = inflight[0]!;
          await head.done;
          inflight.shift();
          this.advance(head.rec);
          count++;
        }
      } finally {
        if (count > 0) {
          if (inflight.length === 0 || this.now() - this.savedAt >= 1000) this.savePosition();
          this.apply({ kind: 'exported' });
        }
      }
      if (keep === 0 && lastPending === 0) await caughtUp();
    };
    // a delivery's pending count is a hint only (it reads 0 while a backlog is still coming): the log's last event says
    const caughtUp = async () => {
      const through = this.position.originSeq;
      if ((this.health.stalledSince === undefined && this.health.failingSince === undefined) || ((await local.last())?.originSeq ?? 0) <= through) this.apply({ kind: 'caughtUp', through });
    };
    try {
      const n = await cursor.round({ max: 4 * WINDOW, expiresMs: ROUND_MS, stop }, async (rec) => {
        lastPending = rec.pending;
        if (rec.originSeq !== undefined && rec.originSeq <= skipUpTo) {
          // held there already; passed over in order behind those not acknowledged yet
          inflight.push({ done: Promise.resolve(), rec });
        } else {
          const done = remote.publish(rec.subject, rec.data, rec.msgId);
          done.catch(() => undefined); // observed in order by settle
          inflight.push({ done, rec });
        }
        if (rec.pending === 0) await settle(0);
        else if (inflight.length >= WINDOW) await settle(WINDOW - 1);
      });
      await settle(0);
      if (n === 0 && !stop.aborted) await caughtUp();
    } finally {
      if (inflight.length > 0) await Promise.allSettled(inflight.map((i) => i.done));
    }
  }

  private advance(rec: OwnRecord): void {
    this.position = { streamSeq: rec.streamSeq, originSeq: Math.max(this.position.originSeq, rec.originSeq ?? 0) };
  }

  private loadPosition(): Position {
    try {
      const p = JSON.parse(fs.readFileSync(this.o.positionFile, 'utf8')) as { target?: unknown; streamSeq?: unknown; originSeq?: unknown };
      if (p.target === this.target && typeof p.streamSeq === 'number' && typeof p.originSeq === 'number') return { streamSeq: p.streamSeq, originSeq: p.originSeq };
    } catch {
      // none yet, or unreadable: the organisation's stream says where to resume
    }
    return { streamSeq: 0, originSeq: 0 };
  }

  private savePosition(): void {
    try {
      fs.mkdirSync(path.dirname(this.o.positionFile), { recursive: true });
      const tmp = `${this.o.positionFile}.tmp`;
      fs.writeFileSync(tmp, JSON.stringify({ target: this.target, ...this.position }));
      fs.renameSync(tmp, this.o.positionFile);
      this.savedAt = this.now();
    } catch (e) {
      this.o.log.warn({ file: this.o.positionFile, err: (e as Error).message }, 'export position not saved');
    }
  }
}

/** The exporter of `[nats] export_url`, started; undefined when it is not set. */
export function startExporter(conf: NodeConfig, o: { readonly node: string; readonly cluster: string; readonly local: NatsEndpoint; readonly paths: NodePaths; readonly log: DaemonLogger; readonly emit: (e: NewEvent) => void }): Exporter | undefined {
  const config = exportConfigOf(conf.sections.nats);
  if (config === undefined) return undefined;
  const e = new Exporter({ config, node: o.node, cluster: o.cluster, local: o.local, positionFile: path.join(o.paths.var, 'export', `${o.cluster}.json`), log: o.log, emit: o.emit });
  e.start();
  return e;
}

function readCreds(file: string): Uint8Array {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    throw new Error(`[nats] export_creds ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
