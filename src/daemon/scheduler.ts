import path from 'node:path';
import { FileLock } from '../../adapters/fs/lock.js';
import type { ResourceDriver } from '../../adapters/resources/driver.js';
import type { ResourceConfig } from '../../domain/config/types.js';
import { recordStatus } from '../action/statusCache.js';
import type { EventSink } from '../events/sink.js';
import type { NodePaths } from '../paths.js';
import type { DaemonLogger } from './log.js';
import { statusPeriod } from './schedule.js';
import type { ServiceCatalog } from './services.js';
import type { ThreadTable } from './threads.js';

export interface SchedulerOptions {
  readonly paths: NodePaths;
  readonly node: string;
  readonly catalog: ServiceCatalog;
  readonly sink: EventSink;
  readonly threads: ThreadTable;
  readonly log: DaemonLogger;
  readonly driverFor: (conf: ResourceConfig) => ResourceDriver;
  /** aborted when the daemon stops: running probes give up */
  readonly signal: AbortSignal;
  readonly now?: () => number;
  readonly tickMs?: number;
  /** how often the service list and configs are re-read */
  readonly rescanMs?: number;
  /** status probes running at once, all services together */
  readonly maxParallel?: number;
}

interface Job {
  readonly svc: string;
  kind: 'status' | 'monitor';
  intervalMs: number;
  next: number;
  running: boolean;
  runs: number;
  last: { result: string; durationMs: number; at: number } | undefined;
  /** the result the log holds for this job: a run with another one is recorded */
  recorded: string | undefined;
}

/** A scheduler job as the daemon status shows it. */
export interface JobView {
  readonly svc: string;
  readonly job: string;
  readonly intervalMs: number;
  readonly running: boolean;
  readonly runs: number;
  readonly lastResult: string | undefined;
  readonly lastDurationMs: number | undefined;
  /** ISO time of the last run's end */
  readonly lastRunAt: string | undefined;
}

/**
 * A probe aborted by the daemon's stop reports `warn` for what it could not
 * finish: that is not the resource's status, so nothing is appended once the
 * signal is aborted (recordStatus then fails and leaves its cache alone).
 */
export function gatedSink(sink: EventSink, signal: AbortSignal): EventSink {
  return {
    origin: sink.origin,
    cluster: sink.cluster,
    append(e) {
      if (signal.aborted) return Promise.reject(new Error('the daemon is stopping: status not recorded'));
      return sink.append(e);
    },
    close: () => Promise.resolve(),
  };
}

/** A stable spread of first runs over the period, so a thousand services don't probe at the same second. */
function firstDelay(svc: string, intervalMs: number): number {
  let h = 0;
  for (const c of svc) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return h % Math.min(intervalMs, 15_000);
}

/**
 * Periodic status checks of every local service (status_schedule, or
 * monitor_schedule when a resource is monitored). A job re-evaluates the
 * resources with their drivers and appends ResourceStatusChanged for what
 * changed only. A run is a SchedulerJobRan event when its result is not the
 * one the log holds for the job (the first run, ok -> skipped or failed, and
 * back): a job every 10 s of 1,000 services is not ~1,000 events a minute
 * of "ok". The daemon status counts every run. Jobs of one service never
 * overlap, and none runs while an action holds the service's lock.
 */
export class Scheduler {
  private readonly jobs = new Map<string, Job>();
  private readonly running = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private lastRescan = 0;
  private readonly warned = new Map<string, string>();
  /** the probe of each service in progress, whoever asked (its job, a refresh): one at a time */
  private readonly probing = new Map<string, Promise<unknown>>();
  private readonly now: () => number;
  /**
   * the local services not checked since the daemon started: what the log
   * says runs here is from before (a power loss, a crash). Each is checked at
   * once and its status recorded even when unchanged: until then the
   * orchestrators decide nothing from it (decide, rule 10).
   */
  private readonly unchecked = new Set<string>();
  private readonly checking = new Set<string>();
  private scanned = false;

  constructor(private readonly o: SchedulerOptions) {
    this.now = o.now ?? Date.now;
  }

  start(): void {
    this.rescan();
    this.tick();
    this.timer = setInterval(() => this.tick(), this.o.tickMs ?? 250);
    this.timer.unref();
    this.o.threads.set('scheduler', 'running');
  }

  /** The jobs as they stand, every run counted: for the daemon status. */
  list(): JobView[] {
    return [...this.jobs.values()]
      .map((j) => ({
        svc: j.svc,
        job: j.kind,
        intervalMs: j.intervalMs,
        running: j.running,
        runs: j.runs,
        lastResult: j.last?.result,
        lastDurationMs: j.last?.durationMs,
        lastRunAt: j.last ? new Date(j.last.at).toISOString() : undefined,
      }))
      .sort((a, b) => a.svc.localeCompare(b.svc));
  }

  private warnOnce(svc: string, key: string, msg: string): void {
    if (this.warned.get(svc) === key) return;
    this.warned.set(svc, key);
    this.o.log.warn({ svc }, msg);
  }

  rescan(): void {
    const now = this.now();
    this.lastRescan = now;
    let names: string[];
    try {
      names = this.o.catalog.refresh();
    } catch (e) {
      this.o.log.error({ err: (e as Error).message }, 'service configs not read');
      return;
    }
    const seen = new Set<string>();
    for (const svc of names) {
      const entry = this.o.catalog.cached(svc);
      if (!entry) continue;
      if (!entry.config) {
        this.warnOnce(svc, `${entry.mtimeMs}`, `not scheduled, config invalid: ${entry.error ?? ''}`);
        continue;
      }
      if (!entry.config.nodes.includes(this.o.node)) continue;
      if (!this.scanned) this.unchecked.add(svc);
      const p = statusPeriod({ statusSchedule: entry.statusSchedule, monitorSchedule: entry.monitorSchedule, monitored: entry.config.resources.some((r) => r.monitor && !r.disable) });
      if (p.problems.length > 0) this.warnOnce(svc, `${entry.mtimeMs}`, p.problems.join('; '));
      if (p.intervalMs === undefined) continue;
      seen.add(svc);
      const cur = this.jobs.get(svc);
      if (!cur) {
        this.jobs.set(svc, { svc, kind: p.job, intervalMs: p.intervalMs, next: now + firstDelay(svc, p.intervalMs), running: false, runs: 0, last: undefined, recorded: undefined });
      } else if (cur.intervalMs !== p.intervalMs || cur.kind !== p.job) {
        // another kind of job: its first run is recorded
        if (cur.kind !== p.job) cur.recorded = undefined;
        cur.kind = p.job;
        cur.intervalMs = p.intervalMs;
        cur.next = Math.min(cur.next, now + p.intervalMs);
      }
    }
    for (const svc of [...this.jobs.keys()]) if (!seen.has(svc) && !this.jobs.get(svc)!.running) this.jobs.delete(svc);
    this.scanned = true;
  }

  /** Whether every local service has been checked since the daemon started. */
  checkedSinceStart(): boolean {
    return this.unchecked.size === 0;
  }

  private tick(): void {
    if (this.o.signal.aborted) return;
    const now = this.now();
    if (now - this.lastRescan >= (this.o.rescanMs ?? 5000)) this.rescan();
    const max = this.o.maxParallel ?? 8;
    for (const svc of this.unchecked) {
      if (this.running.size >= max) return;
      if (this.checking.has(svc)) continue;
      this.checking.add(svc);
      const p = this.serial(svc, () => this.probe(svc))
        .then(
          (r) => {
            if (r !== 'ok') this.o.log.info({ svc, result: r }, 'first status check since the daemon started: not done yet');
          },
          (e: unknown) => this.o.log.warn({ svc, err: (e as Error).message }, 'first status check since the daemon started failed'),
        )
        .finally(() => {
          this.checking.delete(svc);
          this.running.delete(p);
        });
      this.running.add(p);
    }
    const due = [...this.jobs.values()].filter((j) => !j.running && j.next <= now).sort((a, b) => a.next - b.next);
    for (const j of due) {
      if (this.running.size >= max) break;
      const p = this.run(j).finally(() => this.running.delete(p));
      this.running.add(p);
    }
  }

  private async run(j: Job): Promise<void> {
    j.running = true;
    const t0 = this.now();
    let result: string;
    try {
      result = await this.serial(j.svc, () => this.probe(j.svc));
    } catch (e) {
      result = `failed: ${(e as Error).message}`;
      this.o.log.warn({ svc: j.svc, job: j.kind, err: (e as Error).message }, 'scheduler job failed');
    }
    const durationMs = Math.round(this.now() - t0);
    j.running = false;
    j.next = Math.max(t0 + j.intervalMs, this.now());
    j.runs++;
    j.last = { result, durationMs, at: this.now() };
    if (this.o.signal.aborted || result === j.recorded) return;
    try {
      await this.o.sink.append({ type: 'SchedulerJobRan', svc: j.svc, data: { job: j.kind, durationMs, result } });
      j.recorded = result;
    } catch (e) {
      this.o.log.error({ svc: j.svc, err: (e as Error).message }, 'SchedulerJobRan not appended');
    }
  }

  /**
   * Probe one service now and record what changed (`print status` asking
   * the daemon): after its job's probe in progress, never beside it; skipped
   * while an action holds the service (the action records its status).
   */
  refresh(svc: string): Promise<string> {
    return this.serial(svc, () => this.probe(svc));
  }

  private serial<T>(svc: string, fn: () => Promise<T>): Promise<T> {
    const before = this.probing.get(svc) ?? Promise.resolve();
    const mine = before.then(fn);
    const done = mine.then(
      () => undefined,
      () => undefined,
    );
    this.probing.set(svc, done);
    void done.then(() => {
      if (this.probing.get(svc) === done) this.probing.delete(svc);
    });
    return mine;
  }

  private async probe(svc: string): Promise<string> {
    const entry = this.o.catalog.get(svc);
    if (!entry?.config) return `skipped: ${entry?.error ?? 'service config gone'}`;
    const holder = new FileLock(path.join(this.o.paths.lockDir, `${svc}.action.lock`)).holder();
    if (holder !== undefined) return `skipped: action in progress (pid ${holder})`;
    const first = this.unchecked.has(svc);
    await recordStatus(entry.config, { nodename: this.o.node, paths: this.o.paths, driverFor: this.o.driverFor, signal: this.o.signal, sink: gatedSink(this.o.sink, this.o.signal) }, undefined, undefined, first);
    this.unchecked.delete(svc);
    return 'ok';
  }

  /** Let running probes finish for graceMs, then abort them (`abort` aborts the signal given at construction). */
  async stop(abort: () => void, graceMs = 5000): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.o.threads.set('scheduler', 'stopping');
    let timer: NodeJS.Timeout | undefined;
    const all = Promise.allSettled([...this.running]);
    await Promise.race([all, new Promise<void>((r) => (timer = setTimeout(r, graceMs)))]);
    clearTimeout(timer);
    abort();
    await all;
    this.o.threads.set('scheduler', 'stopped');
  }
}
