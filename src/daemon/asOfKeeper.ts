import { AsOfCheckpointFiles } from '../../adapters/fs/asOfCheckpoints.js';
import type { NatsEndpoint } from '../../adapters/nats/connect.js';
import { EventStore } from '../../adapters/nats/eventStore.js';
import type { StoreLimits } from '../../adapters/nats/eventStore.js';
import { asOfDir, asOfEvery, extendCheckpoints } from '../events/asOfLog.js';
import type { NodePaths } from '../paths.js';
import type { DaemonLogger } from './log.js';

export interface AsOfKeeperOptions {
  readonly paths: NodePaths;
  readonly cluster: string;
  readonly endpoint: NatsEndpoint;
  readonly limits: StoreLimits;
  /** the daemon's own store: asked how long the log is (one request) */
  readonly store: () => EventStore | undefined;
  readonly log: DaemonLogger;
  readonly everyMs?: number;
  readonly firstAfterMs?: number;
}

/**
 * Keeps the --at checkpoints of the log cut as it grows, so svcmon --at,
 * print status --at answer from one near the time asked, even the first
 * time on a long log. Each check is one request; when a checkpoint's worth
 * of records has come since the last one, the log is read from there on a
 * connection of its own (a long read never holds up the daemon's appends
 * and heartbeats). Stopped with the daemon: what was cut stays.
 */
export class AsOfKeeper {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly ac = new AbortController();

  constructor(private readonly o: AsOfKeeperOptions) {}

  start(): void {
    const tick = (ms: number) => {
      this.timer = setTimeout(() => {
        this.running = this.check().finally(() => {
          this.running = undefined;
          if (!this.ac.signal.aborted) tick(this.o.everyMs ?? 60_000);
        });
      }, ms);
      this.timer.unref();
    };
    tick(this.o.firstAfterMs ?? 30_000);
  }

  async stop(): Promise<void> {
    this.ac.abort();
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  private async check(): Promise<void> {
    const own = this.o.store();
    if (!own) return;
    const every = asOfEvery();
    const cut = new AsOfCheckpointFiles(asOfDir(this.o.paths), this.o.cluster).list().at(-1) ?? 0;
    try {
      if ((await own.lastSeq()) < cut + every) return;
      const t0 = performance.now();
      const store = await EventStore.open({ ...this.o.endpoint, cluster: this.o.cluster, limits: this.o.limits, name: 'hasvcd-asof' });
      try {
        const { chain } = await extendCheckpoints(this.o.paths, store, (m) => this.o.log.warn(`as-of checkpoints: ${m}`), this.ac.signal);
        this.o.log.info({ upTo: chain.at(-1)?.seq ?? 0, checkpoints: chain.length, ms: Math.round(performance.now() - t0) }, 'as-of checkpoints cut');
      } finally {
        await store.close();
      }
    } catch (e) {
      if (!this.ac.signal.aborted) this.o.log.warn({ err: (e as Error).message }, 'as-of checkpoints not cut (tried again later)');
    }
  }
}
