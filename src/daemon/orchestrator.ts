import { FileLock } from '../../adapters/fs/lock.js';
import type { ResourceConfig } from '../../domain/config/types.js';
import type { ResourceDriver } from '../../adapters/resources/driver.js';
import { decide, pendingStarts } from '../../domain/orchestration/decide.js';
import type { Intent, PeerState } from '../../domain/orchestration/decide.js';
import { serviceFacts } from '../../projections/orchestrationFacts.js';
import { runAction } from '../action/runner.js';
import type { EventSink } from '../events/sink.js';
import type { NodePaths } from '../paths.js';
import type { DaemonLogger } from './log.js';
import type { Monitor } from './monitor.js';
import type { ServiceCatalog } from './services.js';
import path from 'node:path';

export interface OrchestratorOptions {
  readonly paths: NodePaths;
  readonly node: string;
  readonly monitor: Monitor;
  readonly catalog: ServiceCatalog;
  readonly sink: EventSink;
  readonly log: DaemonLogger;
  readonly driverFor: (conf: ResourceConfig) => ResourceDriver;
  readonly signal: AbortSignal;
  /** peers' liveness from the heartbeats and why; empty: none heard of yet */
  readonly peers: () => Readonly<Record<string, { readonly state: PeerState; readonly why: string }>>;
  /** node.ready_period in seconds, as node.conf says now */
  readonly readyPeriod: () => number;
  /** how often it looks, besides on every new event (ms) */
  readonly intervalMs?: number;
  /** the wall clock (ms), handed to every decision */
  readonly now?: () => number;
}

/**
 * Runs the pure decision function on what the monitor's projections hold
 * and carries out its intents: the only part of the daemon that starts or
 * stops services by itself. One action per service at a time (the runner's
 * lock); decisions it can't act on now are taken again on the next pass.
 */
export class Orchestrator {
  private timer: NodeJS.Timeout | undefined;
  private wake: NodeJS.Timeout | undefined;
  private passing = false;
  private again = false;
  private readonly busy = new Set<string>();
  private readonly lastReason = new Map<string, string>();
  private readonly inflight = new Set<Promise<unknown>>();
  /** starts decided here that wait (ready_period, a backoff): service -> since when, as the last pass left them */
  private pending: Readonly<Record<string, number>> = {};

  constructor(private readonly o: OrchestratorOptions) {}

  start(): void {
    this.timer = setInterval(() => this.poke(), this.o.intervalMs ?? 2000);
    this.timer.unref();
    this.poke();
  }

  /** Look again soon: called on new events. */
  poke(): void {
    if (this.o.signal.aborted) return;
    if (this.passing) {
      this.again = true;
      return;
    }
    this.passing = true;
    setImmediate(() => {
      this.pass()
        .catch((e: unknown) => this.o.log.error({ err: (e as Error).message }, 'orchestrator pass failed'))
        .finally(() => {
          this.passing = false;
          if (this.again) {
            this.again = false;
            this.poke();
          }
        });
    });
  }

  private async pass(): Promise<void> {
    const services = this.o.catalog
      .refresh()
      .map((n) => this.o.catalog.get(n)?.config)
      .filter((c): c is NonNullable<typeof c> => c !== undefined && c.orchestrate !== 'no');
    if (services.length === 0) return;
    const peers = this.o.peers();
    const intents = decide(
      {
        node: this.o.node,
        nodeFrozen: this.o.monitor.nodeFrozen(this.o.node),
        peers: Object.fromEntries(Object.entries(peers).map(([n, p]) => [n, p.state])),
        peerWhy: Object.fromEntries(Object.entries(peers).map(([n, p]) => [n, p.why])),
        services: services.map((c) => serviceFacts(c, this.o.node, this.o.monitor.projection)),
        readyPeriodMs: this.o.readyPeriod() * 1000,
        pending: this.pending,
      },
      (this.o.now ?? Date.now)(),
    );
    this.pending = pendingStarts(intents);
    for (const intent of intents) this.carryOut(intent);
    this.wakeAt(intents);
  }

  /** Look again as soon as the first wait is over, not a tick later. */
  private wakeAt(intents: readonly Intent[]): void {
    const until = Math.min(...intents.map((i) => (i.kind === 'Ignore' && i.pending ? i.pending.until : Infinity)));
    if (this.wake) clearTimeout(this.wake);
    this.wake = undefined;
    if (until === Infinity) return;
    this.wake = setTimeout(() => this.poke(), Math.max(0, until - (this.o.now ?? Date.now)()));
    this.wake.unref();
  }

  /** What the orchestrator last decided per service, in its words: svcmon and print status show it. */
  reasons(): Readonly<Record<string, string>> {
    return Object.fromEntries(this.lastReason);
  }

  private carryOut(intent: Intent): void {
    if (intent.kind === 'Ignore') {
      // said once per reason, countdowns aside ("3s left", "5s ago")
      const gist = (r: string | undefined) => r?.replace(/\d+s\b/g, 'Ns');
      if (gist(this.lastReason.get(intent.svc)) !== gist(intent.reason)) this.o.log.info({ svc: intent.svc, reason: intent.reason }, 'orchestrator: not acting');
      this.lastReason.set(intent.svc, intent.reason);
      return;
    }
    if (this.busy.has(intent.svc)) return;
    // a CLI action holds the service: decide again once it is done
    if (new FileLock(path.join(this.o.paths.lockDir, `${intent.svc}.action.lock`)).holder() !== undefined) return;
    const cfg = this.o.catalog.get(intent.svc)?.config;
    if (!cfg) return;
    this.busy.add(intent.svc);
    this.lastReason.set(intent.svc, intent.reason);
    this.o.log.info({ svc: intent.svc, action: intent.action, reason: intent.reason }, 'orchestrator: acting');
    const p = runAction(
      // a takeover from a node proven down takes its vg tags over (the driver's --force)
      { svc: cfg, action: intent.action, selection: intent.rids ? { rids: [...intent.rids] } : {}, force: intent.takeover !== undefined, ...(intent.restart ? { restart: true } : {}), argv: ['orchestrator', intent.action, ...(intent.takeover !== undefined ? ['--takeover', intent.takeover] : [])], user: 'orchestrator', reason: intent.reason, relocation: intent.relocation },
      { nodename: this.o.node, paths: this.o.paths, sink: this.o.sink, print: (l) => this.o.log.info({ svc: intent.svc }, l), driverFor: this.o.driverFor, signal: this.o.signal, now: () => Date.now(), lockTimeoutMs: 1000 },
    )
      .catch((e: unknown) => this.o.log.warn({ svc: intent.svc, err: (e as Error).message }, 'orchestrator action not run'))
      .finally(() => {
        this.busy.delete(intent.svc);
        this.inflight.delete(p);
        this.poke();
      });
    this.inflight.add(p);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.wake) clearTimeout(this.wake);
    await Promise.allSettled([...this.inflight]);
  }
}
