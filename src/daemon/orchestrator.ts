import { FileLock } from '../../adapters/fs/lock.js';
import type { ResourceConfig } from '../../domain/config/types.js';
import type { ResourceDriver } from '../../adapters/resources/driver.js';
import { decide, pendingStarts } from '../../domain/orchestration/decide.js';
import type { ClusterFacts, Intent, PeerState, ServiceFacts } from '../../domain/orchestration/decide.js';
import { serviceFacts } from '../../projections/orchestrationFacts.js';
import { runAction } from '../action/runner.js';
import { setFrozen } from '../action/statusCache.js';
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
  readonly peers: () => Readonly<Record<string, { readonly state: PeerState; readonly why: string; readonly behind?: boolean }>>;
  /** node.ready_period in seconds, as node.conf says now */
  readonly readyPeriod: () => number;
  /** the daemon's start (ms, its DaemonStarted): rule 12's rejoin grace counts from it; none: no grace */
  readonly startedAt?: number;
  /** node.rejoin_grace_period in seconds, as node.conf says now */
  readonly rejoinGracePeriod?: () => number;
  /** how often it looks, besides on every new event (ms) */
  readonly intervalMs?: number;
  /** the wall clock (ms), handed to every decision */
  readonly now?: () => number;
  /**
   * resolves true once the projections hold every event the stream held when
   * called: a peer seen up by a beat is decided on with the events that beat
   * brought (its daemon's start among them), never on what came before
   */
  readonly caughtUp?: () => Promise<boolean>;
}

/** how long a published event is not published again: the projection applies it long before */
const PUBLISHED_HOLD_MS = 10_000;

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
  /** events published for a target, and when: not published again while the projection has not applied them yet */
  private readonly published = new Map<string, number>();
  /** the peers heard (up, or alive on a disk heartbeat) since the daemon started: rule 12 waits for the others */
  private readonly joined = new Set<string>();

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
    const names = this.o.catalog.refresh();
    // a node without a service asks nothing of the stream (idle cost)
    if (names.length === 0) return;
    if (this.o.caughtUp !== undefined && !(await this.o.caughtUp())) {
      this.o.log.warn('orchestrator: the projections are behind the stream: no decision this pass');
      return;
    }
    // orchestrate = no: left alone, unless an operator gave it a target
    const services = names
      .map((n) => this.o.catalog.get(n)?.config)
      .filter((c): c is NonNullable<typeof c> => c !== undefined)
      .map((c) => serviceFacts(c, this.o.node, this.o.monitor.projection))
      .filter((f) => f.orchestrate !== 'no' || f.target !== undefined);
    if (services.length === 0) return;
    const intents = decide(this.clusterFacts(services), (this.o.now ?? Date.now)());
    this.pending = pendingStarts(intents);
    for (const intent of intents) this.carryOut(intent);
    this.wakeAt(intents);
  }

  private clusterFacts(services: readonly ServiceFacts[]): ClusterFacts {
    const peers = this.o.peers();
    for (const [n, p] of Object.entries(peers)) if (p.state === 'up' || p.state === 'alive') this.joined.add(n);
    const startedAt = this.o.startedAt;
    return {
      node: this.o.node,
      nodeFrozen: this.o.monitor.nodeFrozen(this.o.node),
      frozenNodes: Object.keys(peers).filter((n) => this.o.monitor.nodeFrozen(n)),
      peers: Object.fromEntries(Object.entries(peers).map(([n, p]) => [n, p.state])),
      peerWhy: Object.fromEntries(Object.entries(peers).map(([n, p]) => [n, p.why])),
      peersBehind: Object.keys(peers).filter((n) => peers[n]!.behind === true),
      services,
      readyPeriodMs: this.o.readyPeriod() * 1000,
      pending: this.pending,
      ...(startedAt !== undefined ? { rejoin: { until: startedAt + (this.o.rejoinGracePeriod?.() ?? 90) * 1000, joined: [...this.joined] } } : {}),
    };
  }

  /** What the orchestrator knows of one service and of the cluster now: what a target request is checked against. */
  view(svc: string): { readonly cluster: ClusterFacts; readonly service: ServiceFacts } | undefined {
    const cfg = this.o.catalog.get(svc)?.config;
    if (cfg === undefined) return undefined;
    const service = serviceFacts(cfg, this.o.node, this.o.monitor.projection);
    return { cluster: this.clusterFacts([service]), service };
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
    if (intent.kind === 'Publish') return this.publish(intent);
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

  /**
   * Record what a target asks of this node without running anything: its
   * instance frozen or thawed (the flag file too, as the CLI's freeze), a
   * target's end. Once: the same event is not published again until the
   * projection had the time to apply it.
   */
  private publish(intent: Extract<Intent, { kind: 'Publish' }>): void {
    const e = intent.event;
    const key = `${intent.svc} ${e.type} ${e.causation ?? ''}`;
    const now = Date.now();
    for (const [k, at] of this.published) if (now - at > PUBLISHED_HOLD_MS) this.published.delete(k);
    if (this.published.has(key)) return;
    this.published.set(key, now);
    this.busy.add(intent.svc);
    this.lastReason.set(intent.svc, intent.reason);
    this.o.log.info({ svc: intent.svc, event: e.type, reason: intent.reason }, 'orchestrator: recording');
    const p = this.o.sink
      .append(e)
      .then(() => {
        if (e.type === 'InstanceFrozen' || e.type === 'InstanceThawed') setFrozen(this.o.paths, intent.svc, e.type === 'InstanceFrozen');
      })
      .catch((err: unknown) => {
        this.published.delete(key);
        this.o.log.warn({ svc: intent.svc, event: e.type, err: (err as Error).message }, 'orchestrator: event not recorded');
      })
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
