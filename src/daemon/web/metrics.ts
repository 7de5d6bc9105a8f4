import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { StoredEvent } from '../../../adapters/nats/eventStore.js';
import type { Avail } from '../../../domain/instance/status.js';
import type { DaemonStatus } from '../readModel.js';
import type { StoreProbes } from './sources.js';

/** The last action of an instance, as the projection keeps it. */
export interface LastAction {
  readonly action: string;
  readonly result: string;
  /** ISO time it ended */
  readonly at: string;
}

export interface MetricsInputs {
  readonly status: () => DaemonStatus;
  readonly lastAction: (svc: string, node: string) => LastAction | undefined;
  readonly probes: StoreProbes;
  readonly sseClients: () => number;
  readonly now?: () => number;
}

const AVAILS: readonly Avail[] = ['up', 'down', 'warn', 'n/a', 'undef', 'stdby up', 'stdby down'];
const PEER_STATES = ['up', 'alive', 'down', 'lost', 'unknown'] as const;

/** Seconds buckets of an action: an app start is a second, an fs with its fsck a minute, a stop with its timeouts more. */
const ACTION_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

/**
 * The daemon's Prometheus metrics (prom-client): what svcmon shows, per
 * service and node, read from the same projection (DaemonStatus) at each
 * scrape; the peers' states and heartbeat ages; the log (events appended
 * here and replicated from each peer, the stream's and the projection's last
 * sequences); the actions this node ran and what its orchestrator decided,
 * counted from the events as they are applied; the process (RSS, event-loop
 * lag) and whether nats-server answers. Every name is in docs/metrics.md.
 */
export class DaemonMetrics {
  readonly registry = new Registry();
  private scraping: Promise<string> | undefined;
  private readonly now: () => number;
  /** svc \0 node -> the duration of its last finished action, from ActionFinished */
  private readonly lastDuration = new Map<string, { action: string; seconds: number }>();

  private readonly g = (name: string, help: string, labelNames: readonly string[] = []) => new Gauge({ name, help, labelNames: [...labelNames], registers: [this.registry] });

  private readonly info = this.g('hasvc_info', 'this daemon: node, cluster and version (always 1)', ['node', 'cluster', 'version']);
  private readonly serviceAvail = this.g('hasvc_service_avail', 'a service\'s availability as svcmon shows it, one series per status, 1 for the current one', ['svc', 'status']);
  private readonly serviceOverall = this.g('hasvc_service_overall', 'a service\'s overall status (warn when an instance warns), one series per status, 1 for the current one', ['svc', 'status']);
  private readonly serviceFrozen = this.g('hasvc_service_frozen', 'a service frozen on every node of it (1), or not (0)', ['svc']);
  private readonly serviceInfo = this.g('hasvc_service_info', 'a service\'s topology and orchestrate mode (always 1)', ['svc', 'topology', 'orchestrate']);
  private readonly instanceAvail = this.g('hasvc_instance_avail', 'an instance\'s (service x node) availability, one series per status, 1 for the current one', ['svc', 'node', 'status']);
  private readonly instanceOverall = this.g('hasvc_instance_overall', 'an instance\'s overall status, one series per status, 1 for the current one', ['svc', 'node', 'status']);
  private readonly instanceFrozen = this.g('hasvc_instance_frozen', 'an instance frozen (1) or thawed (0)', ['svc', 'node']);
  private readonly lastActionOk = this.g('hasvc_instance_last_action_ok', 'whether the last action of an instance succeeded (1) or failed (0)', ['svc', 'node', 'action']);
  private readonly lastActionTime = this.g('hasvc_instance_last_action_timestamp_seconds', 'when the last action of an instance ended (unix time)', ['svc', 'node', 'action']);
  private readonly lastActionDuration = this.g('hasvc_instance_last_action_duration_seconds', 'how long the last action of an instance took, when this daemon saw it end', ['svc', 'node', 'action']);
  private readonly nodeFrozen = this.g('hasvc_node_frozen', 'a cluster node frozen (1) or not (0), as this node knows it', ['node']);
  private readonly peerState = this.g('hasvc_peer_state', 'a peer\'s liveness as this node\'s heartbeats see it (up, alive: disk heartbeat only, down: proven, lost: silent without proof, unknown), 1 for the current one', ['peer', 'state']);
  private readonly hbAge = this.g('hasvc_peer_heartbeat_age_seconds', 'seconds since this node last received a network heartbeat from the peer (absent when none is held)', ['peer']);
  private readonly appended = this.g('hasvc_events_appended', 'events this node appended to the log (its last per-origin sequence; the origin label is this node)', ['origin']);
  private readonly replicated = this.g('hasvc_events_replicated', 'events of a peer origin held in this node\'s log, received through the heartbeats (that origin\'s last sequence here)', ['origin']);
  private readonly streamLast = this.g('hasvc_stream_last_seq', 'the last sequence of this node\'s audit stream (absent when NATS does not answer)', ['stream']);
  private readonly projectionLast = this.g('hasvc_projection_last_seq', 'the last stream sequence the projections (svcmon, the web view) applied');
  private readonly natsUp = this.g('hasvc_nats_up', 'the NATS server holding the log answers (1) or not (0)');
  private readonly sse = this.g('hasvc_web_live_clients', 'web pages following the cluster live (server-sent events)');
  private readonly threadUp = this.g('hasvc_thread_running', 'a daemon thread (listener, monitor, scheduler, hb#N.rx...) running (1) or not (0)', ['thread']);
  private readonly decisions = new Counter({ name: 'hasvc_orchestrator_decisions_total', help: 'actions this node\'s orchestrator decided and started, by service and action', labelNames: ['svc', 'action'], registers: [this.registry] });
  private readonly actions = new Histogram({ name: 'hasvc_action_duration_seconds', help: 'how long the actions run on this node took, by action and result', labelNames: ['action', 'result'], buckets: ACTION_BUCKETS, registers: [this.registry] });

  constructor(private readonly o: MetricsInputs) {
    this.now = o.now ?? Date.now;
    // the event-loop lag sampled once a second, not prom-client's every 10 ms: 100 wake-ups a second were most of an idle daemon's CPU
    collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 1000 });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /**
   * Events applied by the projections, in order. `live`: applied since this
   * daemon started (counted); otherwise the recent window replayed at start,
   * which only tells the last durations.
   */
  observe(events: readonly StoredEvent[], self: string, live: boolean): void {
    for (const { event: e } of events) {
      if (e.type === 'ActionFinished' && e.svc !== undefined) {
        this.lastDuration.set(`${e.svc}\u0000${e.origin}`, { action: e.data.action, seconds: e.data.durationMs / 1000 });
        if (live && e.origin === self) this.actions.observe({ action: e.data.action, result: e.data.result }, e.data.durationMs / 1000);
      } else if (live && e.type === 'ActionStarted' && e.origin === self && e.svc !== undefined && e.data.user === 'orchestrator') {
        this.decisions.inc({ svc: e.svc, action: e.data.action });
      }
    }
  }

  /** The exposition text; concurrent scrapes share one collection. */
  scrape(): Promise<string> {
    this.scraping ??= this.collect().finally(() => (this.scraping = undefined));
    return this.scraping;
  }

  private async collect(): Promise<string> {
    const s = this.o.status();
    for (const g of [this.info, this.serviceAvail, this.serviceOverall, this.serviceFrozen, this.serviceInfo, this.instanceAvail, this.instanceOverall, this.instanceFrozen, this.lastActionOk, this.lastActionTime, this.lastActionDuration, this.nodeFrozen, this.peerState, this.hbAge, this.appended, this.replicated, this.threadUp, this.streamLast]) g.reset();
    this.info.set({ node: s.node, cluster: s.cluster, version: s.version }, 1);
    for (const svc of s.services) {
      for (const a of AVAILS) {
        this.serviceAvail.set({ svc: svc.name, status: a }, svc.avail === a ? 1 : 0);
        this.serviceOverall.set({ svc: svc.name, status: a }, svc.overall === a ? 1 : 0);
      }
      this.serviceFrozen.set({ svc: svc.name }, svc.frozen === 'frozen' ? 1 : 0);
      this.serviceInfo.set({ svc: svc.name, topology: svc.topology, orchestrate: svc.orchestrate }, 1);
      for (const i of svc.instances) {
        const l = { svc: svc.name, node: i.node };
        for (const a of AVAILS) {
          this.instanceAvail.set({ ...l, status: a }, i.avail === a ? 1 : 0);
          this.instanceOverall.set({ ...l, status: a }, i.overall === a ? 1 : 0);
        }
        this.instanceFrozen.set(l, i.frozen ? 1 : 0);
        const last = this.o.lastAction(svc.name, i.node);
        if (last) {
          this.lastActionOk.set({ ...l, action: last.action }, last.result === 'ok' ? 1 : 0);
          const t = Date.parse(last.at);
          if (Number.isFinite(t)) this.lastActionTime.set({ ...l, action: last.action }, t / 1000);
          const d = this.lastDuration.get(`${svc.name}\u0000${i.node}`);
          if (d && d.action === last.action) this.lastActionDuration.set({ ...l, action: last.action }, d.seconds);
        }
      }
    }
    for (const t of s.threads) this.threadUp.set({ thread: t.name }, t.state === 'running' ? 1 : 0);
    const peers = s.nodes.filter((n) => !n.local);
    for (const n of s.nodes) this.nodeFrozen.set({ node: n.name }, n.frozen ? 1 : 0);
    for (const p of peers) for (const st of PEER_STATES) this.peerState.set({ peer: p.name, state: st }, (p.state ?? 'unknown') === st ? 1 : 0);
    this.projectionLast.set(s.lastSeq);
    this.sse.set(this.o.sseClients());
    const probes = this.o.probes;
    const up = await probes.natsUp();
    this.natsUp.set(up ? 1 : 0);
    if (up) {
      // what the server cannot tell now is left out of this scrape, never reported as 0
      const ask = async <T>(p: Promise<T>, use: (v: T) => void) => {
        try {
          use(await p);
        } catch {
          /* absent this time */
        }
      };
      const now = this.now();
      await Promise.all([
        ask(probes.streamLastSeq(), (v) => this.streamLast.set({ stream: 'audit' }, v)),
        ask(probes.originLastSeq(s.node), (v) => this.appended.set({ origin: s.node }, v)),
        ...peers.map((p) => ask(probes.originLastSeq(p.name), (v) => this.replicated.set({ origin: p.name }, v))),
        ...peers.map((p) =>
          ask(probes.lastHeartbeatAt(p.name), (at) => {
            if (at !== undefined) this.hbAge.set({ peer: p.name }, Math.max(0, (now - at) / 1000));
          }),
        ),
      ]);
    }
    return this.registry.metrics();
  }
}
