/**
 * The orchestrator: a pure function from what the node knows of the cluster
 * and the time to what it intends to do on its own instances, each with its
 * reason. Given the same view and time it takes the same decisions, so a
 * recorded log replays into the same decisions. It never runs anything: the
 * daemon does.
 *
 * Rules for a failover service with `orchestrate = ha` (or `start`, which
 * places the service but never relocates it):
 *  1. nothing happens on a frozen node or a frozen instance, nor while an
 *     action runs on the instance, nor after a failed stop (an operator
 *     has to look, then `clear`: stopping again would fail the same way);
 *  2. ha: an instance that was started and has a monitored resource down is
 *     stopped, so another node takes the service over (relocation);
 *  3. when no instance is up or starting on a live node, a node that is
 *     alive, not frozen, whose instance is not frozen nor `stop failed`
 *     starts it: the first of the service's `nodes` without a penalty, else
 *     the least recently penalised one. A penalty is a failed start or a
 *     relocation away within `failure_timeout` and not cleared since: it
 *     makes the node a later choice, never an exclusion, so a service never
 *     stays down while some node could run it. A start aborted on a conflict
 *     (its ip answers elsewhere: the service runs there) is no failure of
 *     the node: the node tries again later, each time waiting twice as long;
 *  4. a start waits until the decision has held for `ready_period` (a
 *     peer's beat in flight may say it runs or starts the service), unless
 *     every other node is known down; when every node is penalised it waits
 *     too, twice as long with each failure (a service failing everywhere
 *     does not flap from node to node at full speed);
 *  5. a peer never heard from since the daemon started makes the decision
 *     wait (it may run the service). A peer that is up decides for itself;
 *  6. a service is taken over from a peer only with proof that the peer is
 *     gone (`down`: its disk heartbeat stopped, or this side holds the
 *     quorum); then its vg is taken over from it. A peer `lost` without
 *     proof, or `alive` on a disk heartbeat only (a partition), keeps what it
 *     ran as last heard, and keeps its place in the placement order: this
 *     node says why it does not start the service, and an operator decides;
 *  7. a failover service up here and on a peer that is up (a partition that
 *     healed) is stopped at once on the node placement prefers less;
 *  8. a started instance's resource that is down and has a `restart` count
 *     is restarted in place that many times (since the instance was last
 *     started whole) before rule 2 relocates the service.
 */
/** Liveness of a peer, every heartbeat path and the quorum considered: domain/heartbeat/peers.ts. */
export type PeerState = 'up' | 'alive' | 'down' | 'lost' | 'unknown';

export interface Penalty {
  /** ms since the epoch */
  readonly at: number;
  readonly why: 'start failed' | 'relocation';
}

export interface InstanceFacts {
  readonly avail: string;
  readonly frozen: boolean;
  /** idle, starting, stopping, start failed, stop failed */
  readonly monitorState: string;
  readonly expect: string | undefined;
  /** rids of resources with monitor = true whose status is down or warn */
  readonly monitoredDown: readonly string[];
  /** failed starts (an abort on a conflict is none) and relocations away, oldest first */
  readonly penalties: readonly Penalty[];
  /** the starts aborted in a row on a conflict: how many, the last one's time (ms) and rid */
  readonly conflict: { readonly at: number; readonly count: number; readonly rid: string } | undefined;
  /** when an operator last cleared the instance (ms): the penalties of every node before it are forgotten */
  readonly clearedAt: number | undefined;
  /** rids of resources with a restart count whose status is down or warn */
  readonly restartableDown?: readonly string[];
  /** per rid, the in-place restarts run since the instance was last started whole */
  readonly restarts?: Readonly<Record<string, number>>;
}

export interface ServiceFacts {
  readonly name: string;
  readonly orchestrate: 'no' | 'start' | 'ha';
  readonly topology: 'failover' | 'flex';
  /** candidate nodes, in placement order */
  readonly nodes: readonly string[];
  /** per node; a node without an instance there is absent */
  readonly instances: Readonly<Record<string, InstanceFacts>>;
  /** DEFAULT.failure_timeout, in ms: how long a penalty lasts */
  readonly failureTimeoutMs: number;
  /** per rid, its `restart` keyword: how many times it is restarted in place before it counts as failed */
  readonly restartLimits?: Readonly<Record<string, number>>;
}

export interface ClusterFacts {
  readonly node: string;
  readonly nodeFrozen: boolean;
  /** peers' liveness, from heartbeats; the local node is always up */
  readonly peers: Readonly<Record<string, PeerState>>;
  /** why each peer is in its state, for the reasons given */
  readonly peerWhy?: Readonly<Record<string, string>>;
  readonly services: readonly ServiceFacts[];
  /** node.ready_period, in ms */
  readonly readyPeriodMs: number;
  /** per service, since when (ms) starting it here has been the decision: what the last pass returned (pendingStarts) */
  readonly pending: Readonly<Record<string, number>>;
}

export type Intent =
  /** takeover: the node proven down the service is taken from (its vg tags are taken over) */
  | {
      readonly kind: 'RunAction';
      readonly svc: string;
      readonly action: 'start' | 'stop';
      readonly relocation: boolean;
      readonly reason: string;
      readonly takeover?: string;
      /** an in-place restart of these resources only */
      readonly rids?: readonly string[];
      readonly restart?: boolean;
    }
  /** pending: the decision is to start here once a wait is over: since when it has been, until when it waits (ms) */
  | { readonly kind: 'Ignore'; readonly svc: string; readonly reason: string; readonly pending?: { readonly since: number; readonly until: number } };

const running = (i: InstanceFacts | undefined) => i !== undefined && (i.avail === 'up' || i.avail === 'warn' || i.monitorState === 'starting');

function peerState(c: ClusterFacts, n: string): PeerState {
  return n === c.node ? 'up' : (c.peers[n] ?? 'unknown');
}

/** whole seconds, rounded up: "3s left" until the last millisecond */
const secs = (ms: number) => Math.max(0, Math.ceil(ms / 1000));

export function decideService(c: ClusterFacts, s: ServiceFacts, now: number): Intent {
  const ignore = (reason: string): Intent => ({ kind: 'Ignore', svc: s.name, reason });
  if (s.orchestrate === 'no') return ignore('orchestrate = no');
  if (s.topology !== 'failover') return ignore(`topology ${s.topology} is not orchestrated`);
  if (!s.nodes.includes(c.node)) return ignore(`${c.node} is not in the service's nodes`);
  const local = s.instances[c.node];
  if (c.nodeFrozen) return ignore('node frozen');
  if (local === undefined || local.frozen) return ignore('instance frozen');
  if (local.monitorState === 'starting' || local.monitorState === 'stopping') return ignore(`${local.monitorState} in progress`);
  if (local.monitorState === 'stop failed') return ignore('stop failed: waiting for an operator (clear)');

  const up = (n: string) => peerState(c, n) === 'up';
  const runsHere = local.avail === 'up' || local.avail === 'warn';
  const alsoUp = s.nodes.filter((n) => n !== c.node && up(n) && running(s.instances[n]));
  if (runsHere && alsoUp.length > 0) {
    const preferred = s.nodes.find((n) => n === c.node || alsoUp.includes(n));
    if (preferred !== c.node) return { kind: 'RunAction', svc: s.name, action: 'stop', relocation: false, reason: `also running on ${alsoUp.join(', ')} (${preferred} preferred by placement): stopping here` };
  }

  // restart in place first, as many times as the resource's `restart` says; a monitored one relocates after
  const again = (local.restartableDown ?? []).filter((rid) => (local.restarts?.[rid] ?? 0) < (s.restartLimits?.[rid] ?? 0));
  if (local.expect === 'started' && again.length > 0) {
    const rid = again[0]!;
    return { kind: 'RunAction', svc: s.name, action: 'start', relocation: false, rids: [rid], restart: true, reason: `${rid} down: restart ${(local.restarts?.[rid] ?? 0) + 1} of ${s.restartLimits?.[rid] ?? 0} in place` };
  }

  if (s.orchestrate === 'ha' && local.expect === 'started' && local.monitoredDown.length > 0) {
    return { kind: 'RunAction', svc: s.name, action: 'stop', relocation: true, reason: `monitored resource ${local.monitoredDown.join(', ')} down: stopping to relocate` };
  }

  const why = (n: string) => c.peerWhy?.[n] ?? peerState(c, n);
  if (running(local)) return ignore('running here');
  const elsewhere = s.nodes.filter((n) => n !== c.node && up(n) && running(s.instances[n]));
  if (elsewhere.length > 0) return ignore(`running on ${elsewhere.join(', ')}`);
  // a peer that may still run it as last heard: never started here without proof it is gone
  const unproven = s.nodes.filter((n) => n !== c.node && (peerState(c, n) === 'alive' || peerState(c, n) === 'lost') && running(s.instances[n]));
  if (unproven.length > 0) {
    const n = unproven[0]!;
    const what = peerState(c, n) === 'alive' ? `${n} alive but unreachable (${why(n)})` : `${n} lost, no proof it is down (${why(n)})`;
    return ignore(`running on ${n} as last heard; ${what}: not taking over ${s.name}`);
  }
  const unknown = s.nodes.filter((n) => peerState(c, n) === 'unknown');
  if (unknown.length > 0) return ignore(`waiting for heartbeats from ${unknown.join(', ')}`);

  // a peer lost or cut off keeps its place: it may start the service on its side
  const canStart = (n: string) => {
    const i = s.instances[n];
    const st = peerState(c, n);
    return (st === 'up' || st === 'alive' || st === 'lost') && i !== undefined && !i.frozen && i.monitorState !== 'stop failed';
  };
  const candidates = s.nodes.filter(canStart);
  if (candidates.length === 0) return ignore('no node can start it');

  const clearedAt = Math.max(-Infinity, ...Object.values(s.instances).map((i) => i.clearedAt ?? -Infinity));
  const penalties = (n: string) => (s.instances[n]?.penalties ?? []).filter((p) => p.at > clearedAt && now - p.at < s.failureTimeoutMs);
  const lastPenalty = (n: string) => penalties(n).at(-1);
  const fresh = candidates.filter((n) => lastPenalty(n) === undefined);
  const penalised = candidates.filter((n) => lastPenalty(n) !== undefined).sort((a, b) => lastPenalty(a)!.at - lastPenalty(b)!.at);
  const order = [...fresh, ...penalised];
  const list = penalised.map((n) => `${n} ${lastPenalty(n)!.why === 'relocation' ? 'relocated away' : 'start failed'} ${secs(now - lastPenalty(n)!.at)}s ago`).join(', ');
  const penal = penalised.length === 0 ? '' : ` (penalised: ${list})`;
  if (order[0] !== c.node) {
    const first = order[0]!;
    const st = peerState(c, first);
    const cut = st === 'up' ? '' : st === 'alive' ? ` (alive but unreachable: it may start it on its side)` : ` (lost, no proof it is down: it may start it on its side)`;
    return ignore(`${first} comes first in placement${cut}${penal}`);
  }

  // what the start waits for, if anything: the longest wait tells the reason
  const base = Math.max(c.readyPeriodMs, 1000);
  const backoff = (failures: number) => Math.min(Math.max(s.failureTimeoutMs, base), base * 2 ** Math.max(0, failures));
  const waits: { until: number; reason: (left: number) => string }[] = [];
  if (fresh.length === 0) {
    const all = candidates.flatMap(penalties);
    const latest = Math.max(...all.map((p) => p.at));
    waits.push({ until: latest + backoff(all.length - candidates.length), reason: (left) => `every node penalised (${list}): last resort ${c.node} in ${left}s` });
  }
  const cf = local.conflict;
  if (cf !== undefined && cf.at > clearedAt) {
    waits.push({ until: cf.at + backoff(cf.count - 1), reason: (left) => `start aborted on a ${cf.rid} conflict ${secs(now - cf.at)}s ago (it answers elsewhere): trying again in ${left}s` });
  }
  const since = c.pending[s.name] ?? now;
  // Only a peer known down cannot start it too. One seen frozen or without the
  // instance may be thawed this very moment (a cluster-wide thaw), seeing this
  // node frozen in turn: both would skip the wait and both start.
  if (s.nodes.some((n) => n !== c.node && peerState(c, n) !== 'down')) waits.push({ until: since + c.readyPeriodMs, reason: (left) => `waiting ready_period (${left}s left)` });
  // the node last heard running it, proven down since: its vg is taken over from it
  const from = s.nodes.find((n) => n !== c.node && peerState(c, n) === 'down' && running(s.instances[n]));
  const wait = waits.reduce<(typeof waits)[number] | undefined>((w, x) => (w === undefined || x.until > w.until ? x : w), undefined);
  if (wait !== undefined && now < wait.until) return { kind: 'Ignore', svc: s.name, reason: wait.reason(secs(wait.until - now)), pending: { since, until: wait.until } };
  if (from !== undefined) return { kind: 'RunAction', svc: s.name, action: 'start', relocation: false, takeover: from, reason: `${from} down (${why(from)}): taking over, ${c.node} is first of ${order.join(', ')}${penal}` };
  return { kind: 'RunAction', svc: s.name, action: 'start', relocation: false, reason: `not running on any live node: ${c.node} is first of ${order.join(', ')}${penal}` };
}

export function decide(c: ClusterFacts, now: number): Intent[] {
  return c.services.map((s) => decideService(c, s, now));
}

/** The starts still waiting after a pass, for the next pass's ClusterFacts.pending. */
export function pendingStarts(intents: readonly Intent[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const i of intents) if (i.kind === 'Ignore' && i.pending !== undefined) out[i.svc] = i.pending.since;
  return out;
}
