import type { ServiceConfig } from '../../domain/config/types.js';
import type { JobView } from './scheduler.js';
import { knownProvisioned } from '../../domain/instance/status.js';
import type { Avail, ResourceState } from '../../domain/instance/status.js';
import type { InstanceState, InstancesProjection } from '../../projections/instances.js';
import { serviceView, upOnMany } from '../../projections/statusView.js';
import { serviceTarget, targetLabel, targetOf } from '../../projections/targets.js';
import type { StoredEvent } from '../../adapters/nats/eventStore.js';
import type { InstanceView, ServiceStatusView } from '../../projections/statusView.js';
import type { ThreadView } from './threads.js';
import type { PeerLiveness } from '../../domain/heartbeat/peers.js';

/** One node as svcmon's `Nodes` section shows it. */
export interface NodeView {
  readonly name: string;
  /** 15 minutes load average; unknown for peers until heartbeats carry it */
  readonly load15m: number | undefined;
  readonly frozen: boolean;
  readonly local: boolean;
  /** a peer, as its heartbeats say (domain/heartbeat/peers.ts): up, alive (disk heartbeat only), down (proven), lost (silent, no proof), unknown (not heard yet) */
  readonly state?: PeerLiveness;
  /** why it is in that state */
  readonly why?: string;
}

/** One instance (service x node) as a svcmon cell shows it: the status tree's instance, without its resources. */
export type InstanceSummary = Pick<InstanceView, 'node' | 'avail' | 'overall' | 'frozen' | 'monitorState' | 'expect'>;

export interface ServiceSummary {
  readonly name: string;
  readonly topology: string;
  readonly orchestrate: string;
  readonly avail: Avail;
  readonly overall: Avail;
  /** frozen on every instance, none, or some */
  readonly frozen: 'frozen' | 'thawed' | 'mixed';
  readonly nodes: readonly string[];
  readonly instances: readonly InstanceSummary[];
  /** the local config can't be used: why */
  readonly error?: string;
  /** what this node's orchestrator last decided for it, in its words */
  readonly decision?: string;
  /** an operator's target not reached yet (svcmgr start, stop, switch...): started, stopped, placed@node2 */
  readonly target?: string;
}

/** GET /daemon/status: the svcmon read model. */
export interface DaemonStatus {
  readonly node: string;
  readonly cluster: string;
  readonly pid: number;
  readonly version: string;
  /** the last stream sequence the projections applied */
  readonly lastSeq: number;
  readonly threads: readonly ThreadView[];
  /** the scheduler's jobs, every run counted (the log records only changes of result) */
  readonly jobs: readonly JobView[];
  readonly nodes: readonly NodeView[];
  readonly services: readonly ServiceSummary[];
  /** what an operator should know: a cluster that cannot prove a node down, a service not taken over and why */
  readonly warnings?: readonly string[];
  /** the beats this node's heartbeat receivers read since the daemon started: in all and per sender (headers and bodies as sent) */
  readonly heartbeats?: HeartbeatTraffic;
}

export interface HeartbeatTraffic {
  readonly beats: number;
  readonly bytes: number;
  readonly from: Readonly<Record<string, { readonly beats: number; readonly bytes: number }>>;
}

/**
 * Each node's config of a service as the log holds it (projections/serviceConfigs.ts):
 * what lets every node show a service alike, with its config or without.
 */
export interface LoggedConfigView {
  /** the config `node` last recorded of the service */
  of(svc: string, node: string): ServiceConfig | undefined;
  /** the newest recorded on any node: the service's topology and nodes */
  newest(svc: string): ServiceConfig | undefined;
}

export interface LocalConfig {
  readonly config: ServiceConfig | undefined;
  readonly error: string | undefined;
}

function union(...lists: readonly (readonly string[])[]): string[] {
  const out: string[] = [];
  for (const l of lists) for (const x of l) if (!out.includes(x)) out.push(x);
  return out;
}

function summary(s: InstanceState): InstanceSummary {
  return { node: s.node, avail: s.avail, overall: s.overall, frozen: s.frozen, monitorState: s.monitorState, expect: s.expect };
}

function asView(i: InstanceSummary, resources: readonly ResourceState[]): InstanceView {
  return { node: i.node, avail: i.avail, overall: i.overall, frozen: i.frozen, monitorState: i.monitorState, expect: i.expect, daemonDown: false, resources };
}

export interface StatusInputs {
  readonly node: string;
  readonly cluster: string;
  readonly pid: number;
  readonly version: string;
  readonly threads: readonly ThreadView[];
  readonly jobs?: readonly JobView[];
  readonly clusterNodes: readonly string[];
  readonly load15m: number;
  readonly nodeFrozen: (node: string) => boolean;
  readonly projection: InstancesProjection;
  /** services configured on this node */
  readonly localServices: readonly string[];
  readonly localConfig: (svc: string) => LocalConfig | undefined;
  /** this node's orchestrator's last reason per service */
  readonly decisions?: Readonly<Record<string, string>>;
  /** cluster-wide warnings, computed by the daemon from its config */
  readonly warnings?: readonly string[];
  /** what the heartbeats know of a peer */
  readonly peer?: (node: string) => { readonly load15m: number | undefined; readonly state: PeerLiveness; readonly why?: string } | undefined;
  /** the services' configs as the log holds them */
  readonly logged?: LoggedConfigView;
  readonly heartbeats?: HeartbeatTraffic;
  /**
   * The services the projection's events touched after `seq`
   * (changedServices over the monitor's recent events); undefined when
   * that is not known. Given, each service's summary is computed again
   * only when it changed: the status is kept up to date from the events.
   */
  readonly changedSince?: (seq: number) => ReadonlySet<string> | undefined;
}

/** A peer's instance that the heartbeats no longer vouch for: shown as unknown, never as its last state. */
const unknownInstance = (i: InstanceSummary): InstanceSummary => ({ ...i, avail: 'undef', overall: 'undef', monitorState: 'idle' });

/**
 * A service as svcmon shows it. Its topology, orchestrate and nodes come
 * from the log (the newest config recorded on any node), this node's own
 * config only when the log holds none: every node shows it alike.
 */
export function serviceSummary(name: string, projection: InstancesProjection, local: LocalConfig | undefined, stale: (node: string) => boolean = () => false, logged?: LoggedConfigView): ServiceSummary {
  const cfg = logged?.newest(name) ?? local?.config;
  const nodes = union(cfg?.nodes ?? [], projection.nodesOf(name));
  const states = nodes.map((n) => projection.get(name, n)).filter((s): s is InstanceState => s !== undefined);
  const instances = states
    .map(summary)
    .map((i) => (stale(i.node) ? unknownInstance(i) : i));
  const topology = cfg?.topology ?? 'failover';
  const orchestrate = cfg?.orchestrate ?? 'no';
  const v = serviceView(name, topology, orchestrate, instances.map((i) => asView(i, [])));
  const frozenCount = instances.filter((i) => i.frozen).length;
  return {
    name,
    topology,
    orchestrate,
    avail: instances.length === 0 ? 'n/a' : v.avail,
    overall: instances.length === 0 ? 'n/a' : v.overall,
    // frozen only when every node of the service has a frozen instance: the tutorial's svc1, frozen on node1 and unknown on node2, is not
    frozen: instances.length === nodes.length && frozenCount === instances.length && nodes.length > 0 ? 'frozen' : frozenCount === 0 ? 'thawed' : 'mixed',
    nodes,
    instances,
    ...(local?.error !== undefined ? { error: local.error } : {}),
    // the instances just read: asking the projection again for each node of the service is most of a status's cost
    ...targetFrom(serviceTarget(states)),
  };
}

function targetFrom(t: ReturnType<typeof serviceTarget>): { target?: string } {
  return t === undefined ? {} : { target: targetLabel(t) };
}

/** The service's target (OpenSVC's global expect) as svcmon and print status show it: started, stopped, placed@node2. */
function targetField(projection: InstancesProjection, svc: string): { target?: string } {
  const t = targetOf(projection, svc);
  return t === undefined ? {} : { target: targetLabel(t) };
}

/**
 * The services the events after `seq` touched, from a page of the recent
 * events; undefined when the page cannot tell (events missing from it, or
 * an event of no service: a node's start changes all its instances).
 */
export function changedServices(page: { readonly events: readonly StoredEvent[]; readonly more: boolean; readonly truncated: unknown }, seq: number, lastSeq: number): ReadonlySet<string> | undefined {
  if (page.more || page.truncated !== false) return undefined;
  const out = new Set<string>();
  let last = seq;
  for (const e of page.events) {
    if (e.event.svc === undefined) return undefined;
    out.add(e.event.svc);
    last = e.streamSeq;
  }
  // the projection went further than the events held: not known
  return last >= lastSeq ? out : undefined;
}

/** A service's summary as last computed, with what it was computed from. */
interface MemoEntry {
  readonly summary: ServiceSummary;
  readonly local: LocalConfig | undefined;
  /** the nodes of the service shown as unknown (their heartbeats stopped) */
  readonly stale: string;
}

/** The status's per-service part as of a projection's lastSeq: one per projection (a new one after a restore). */
interface StatusMemo {
  seq: number;
  readonly entries: Map<string, MemoEntry>;
}

const memos = new WeakMap<InstancesProjection, StatusMemo>();

/**
 * Each service's summary: from the memo when no event touched the service
 * since (the logged configs change with the service's events only), and
 * its local config and its stale nodes are the same as then; computed
 * again otherwise. Without changedSince, every summary is computed.
 */
function summaries(i: StatusInputs, names: readonly string[], stale: (n: string) => boolean): ServiceSummary[] {
  if (i.changedSince === undefined) return names.map((n) => serviceSummary(n, i.projection, i.localConfig(n), stale, i.logged));
  let memo = memos.get(i.projection);
  const seq = i.projection.lastSeq;
  const changed = memo === undefined ? undefined : memo.seq === seq ? new Set<string>() : i.changedSince(memo.seq);
  if (memo === undefined || changed === undefined) {
    memo = { seq, entries: new Map() };
    memos.set(i.projection, memo);
  }
  memo.seq = seq;
  const entries = memo.entries;
  for (const n of changed ?? []) entries.delete(n);
  const kept = new Set(names);
  for (const n of entries.keys()) if (!kept.has(n)) entries.delete(n);
  return names.map((n) => {
    const local = i.localConfig(n);
    const had = entries.get(n);
    if (had !== undefined && had.local === local && had.stale === had.summary.nodes.filter(stale).join(',')) return had.summary;
    const summary = serviceSummary(n, i.projection, local, stale, i.logged);
    entries.set(n, { summary, local, stale: summary.nodes.filter(stale).join(',') });
    return summary;
  });
}

export function daemonStatus(i: StatusInputs): DaemonStatus {
  const names = union(i.localServices, i.projection.services()).sort();
  const stale = (n: string) => {
    if (n === i.node) return false;
    const st = i.peer?.(n)?.state;
    return st !== undefined && st !== 'up';
  };
  const services = summaries(i, names, stale).map((s) => {
    const n = s.name;
    const d = i.decisions?.[n];
    return d === undefined ? s : { ...s, decision: d };
  });
  // a decision that leaves a service down with a peer that may run it: said where the operator looks
  const notTaken = services.filter((s) => s.decision !== undefined && /not taking over|it may start it on its side/.test(s.decision)).map((s) => `${s.name}: ${s.decision}`);
  const twice = services.flatMap((s) => {
    const on = upOnMany({ topology: s.topology, instances: s.instances.map((x) => asView(x, [])) });
    return on.length > 0 ? [`${s.name}: a failover service up on ${on.join(', ')} at once`] : [];
  });
  const warnings = [...(i.warnings ?? []), ...twice, ...notTaken];
  const nodeNames = union(i.clusterNodes.includes(i.node) ? i.clusterNodes : [i.node, ...i.clusterNodes]);
  const nodes = nodeNames.map((n): NodeView => {
    const peer = n === i.node ? undefined : i.peer?.(n);
    const load = n === i.node ? i.load15m : peer?.load15m;
    return { name: n, load15m: load === undefined ? undefined : Math.round(load * 100) / 100, frozen: i.nodeFrozen(n), local: n === i.node, ...(peer ? { state: peer.state, ...(peer.why !== undefined ? { why: peer.why } : {}) } : {}) };
  });
  return { node: i.node, cluster: i.cluster, pid: i.pid, version: i.version, lastSeq: i.projection.lastSeq, threads: i.threads, jobs: i.jobs ?? [], nodes, services, ...(warnings.length > 0 ? { warnings } : {}), ...(i.heartbeats ? { heartbeats: i.heartbeats } : {}) };
}

function resourcesOf(cfg: ServiceConfig | undefined, s: InstanceState | undefined): ResourceState[] {
  const known = s?.resources ?? {};
  if (cfg) {
    return cfg.resources.map((r) => {
      const m = known[r.rid];
      return {
        rid: r.rid,
        driver: r.driver,
        status: r.disable ? 'n/a' : (m?.status ?? 'undef'),
        optional: r.optional,
        disable: r.disable,
        standby: r.standby,
        monitor: r.monitor,
        provisioned: knownProvisioned(r.driver),
        label: m?.label ?? '',
        log: m?.log ?? [],
      };
    });
  }
  return Object.entries(known).map(([rid, m]) => {
    const driver = rid.split('#')[0] ?? '';
    return { rid, driver, status: m.status, optional: false, disable: false, standby: false, monitor: false, provisioned: knownProvisioned(driver), label: m.label, log: m.log };
  });
}

export interface ServiceStatusOptions {
  /** a peer beating: one the log knows no instance of is `not configured` there, not `daemon down` */
  readonly peerUp?: (node: string) => boolean;
  readonly logged?: LoggedConfigView;
}

/**
 * GET /services/<svc>/status: the `print status` tree from the projection.
 * The service's topology and nodes, and each instance's resources, are the
 * configs the log holds (this node's own for its instance, and when the log
 * has none), so every node prints the same tree. A node of the service the
 * log knows nothing about shows `undef  daemon down`, as the tutorial's node2
 * before it joined; a peer beating with no instance of it, `not configured`.
 */
export function serviceStatus(name: string, node: string, projection: InstancesProjection, local: LocalConfig | undefined, peerDown: (node: string) => boolean = () => false, o: ServiceStatusOptions = {}): ServiceStatusView | undefined {
  const cfg = o.logged?.newest(name) ?? local?.config;
  const nodes = union(cfg?.nodes ?? [], projection.nodesOf(name));
  if (!cfg && nodes.length === 0) return undefined;
  const configOf = (n: string) => (n === node ? local?.config : undefined) ?? o.logged?.of(name, n) ?? local?.config;
  const none = { frozen: false, monitorState: 'idle', expect: undefined, resources: [] } as const;
  const instances: InstanceView[] = nodes.map((n) => {
    const s = projection.get(name, n);
    // a peer whose heartbeats stopped: what the log last said of it may be stale
    if (n !== node && peerDown(n)) return { node: n, avail: 'undef', overall: 'undef', daemonDown: true, ...none };
    if (!s) {
      if (n === node && local?.config) return { node: n, avail: 'n/a', overall: 'n/a', frozen: false, monitorState: 'idle', expect: undefined, daemonDown: false, resources: resourcesOf(local.config, undefined) };
      if (n === node || o.peerUp?.(n) === true) return { node: n, avail: 'n/a', overall: 'n/a', daemonDown: false, notConfigured: true, ...none };
      return { node: n, avail: 'undef', overall: 'undef', daemonDown: true, ...none };
    }
    return asView(summary(s), resourcesOf(configOf(n), s));
  });
  // the local instance last, as print status shows it
  instances.sort((a, b) => Number(a.node === node) - Number(b.node === node));
  return { ...serviceView(name, cfg?.topology ?? 'failover', cfg?.orchestrate ?? 'no', instances), ...targetField(projection, name) };
}
