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
 *     every other node is known down or just relocated the service away
 *     (penalised, it defers to this node); when every node is penalised it waits
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
 *     healed) is stopped at once on the node placement prefers less; a
 *     start in progress on the peer is no such copy (it ends up, or aborts
 *     on the address this node holds);
 *  8. a started instance's resource that is down and has a `restart` count
 *     is restarted in place that many times (since the instance was last
 *     started whole) before rule 2 relocates the service;
 *  9. a node frozen (nodemgr freeze, drain) is no candidate for a start;
 * 10. an instance's status recorded before its node's daemon last started
 *     is what ran before (a power loss, a crash), not what runs: its node
 *     decides nothing for it until its first status check since, and a peer
 *     never stops a copy by rule 7 on the strength of it (it may run
 *     nothing), nor on a peer's status while that peer holds events of its
 *     own this node has not stored yet (its first beat after a restart
 *     says so before its events follow); it still counts as running where
 *     a start would duplicate it.
 *     An instance found down by that first check expects nothing (what it
 *     was started for went with the node): it is not stopped to relocate.
 *     Nor does a start it had in progress count as running once its daemon
 *     started again (the process running it is gone): a peer that took the
 *     service over does not stop its copy for it by rule 7;
 * 11. a start whose process died (its daemon killed mid-start: the log says
 *     ActionInterrupted) and left some of its resources up, others down, has
 *     those it left up stopped here, as a failed start rolls back; the node
 *     is penalised as for a failed start, so another node comes first. Its
 *     peers wait for that stop: the half-started instance holds the address
 *     and the vg;
 * 12. for `node.rejoin_grace_period` after this node's daemon started, a
 *     service running on no live node is neither started nor taken over
 *     here while one of its nodes has not been heard (up, or alive on the
 *     disk heartbeat) since: nodes powered on together place their services
 *     as placement says, not where the first daemon up finds itself alone,
 *     and a peer still booting (its disk beat stale: proven down) is not
 *     taken over from. Once all are heard, or the period is over, rules 3
 *     to 6 decide. A target (an operator's) does not wait.
 *
 * A target requested by an operator (OpenSVC's global expect: svcmgr start,
 * stop, switch, takeover, giveback) replaces these rules for its service
 * until it is reached, fails or is aborted, on every node, orchestrate = no
 * included; each node acts on its own instance only (decideTarget):
 *  - stopped: every live instance frozen first (so none starts it again),
 *    then stopped where it runs; reached once stopped and frozen everywhere
 *    live: it stays stopped;
 *  - started: every live instance thawed, then started as rules 3 to 6
 *    place it (ready_period, penalties, proof); reached once it runs; where
 *    it runs degraded (warn: a resource down that nothing restarts), started
 *    there once more first (what is up stays up, what is down starts);
 *  - placed@N (switch, takeover, giveback): thawed, stopped on every other
 *    node, then started on N once it runs nowhere else (a node proven down
 *    is taken over from); reached once it runs on N only.
 * A failed stop (anywhere live) or a failed start on the node that had to
 * start it fails the target; N down or frozen fails a placement. The node
 * that requested the target records its end (the first live node of the
 * service when that node is gone; N for a placement, while N is up: it sees
 * its own stop for an older target before it takes the service for placed):
 * ServiceTargetReached, ServiceTargetFailed.
 */
import type { NewEvent } from '../events.js';

/** Liveness of a peer, every heartbeat path and the quorum considered: domain/heartbeat/peers.ts. */
export type PeerState = 'up' | 'alive' | 'down' | 'lost' | 'unknown';

export interface Penalty {
  /** ms since the epoch */
  readonly at: number;
  readonly why: 'start failed' | 'relocation';
}

export interface InstanceFacts {
  readonly avail: string;
  /**
   * avail was recorded before its node's daemon last started and has not
   * been checked since (a node back from a power loss: what ran before it)
   */
  readonly unchecked?: boolean;
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
  /** the last action finished (or interrupted): what, its result, when (ms) */
  readonly lastAction?: { readonly action: string; readonly result: string; readonly at: number };
  /** rule 11: the resources an interrupted start left up while others of it are down (what its rollback stops) */
  readonly interruptedLeftUp?: readonly string[];
  /** its node's daemon started again during the action in progress: that action's process is gone, its `starting` runs nothing */
  readonly actionOrphaned?: boolean;
}

/** A target requested by an operator (projections/targets.ts): the newest on any node, not ended. */
export interface ServiceTarget {
  /** the ServiceTargetRequested event */
  readonly id: string;
  readonly target: 'started' | 'stopped' | 'placed';
  /** placed: where */
  readonly node: string | undefined;
  /** the command: start, stop, switch, takeover, giveback */
  readonly action: string;
  readonly by: string;
  /** the node it was requested on */
  readonly origin: string;
  /** when (ms) */
  readonly at: number;
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
  /** an operator's target for the service, while it is not reached, failed nor aborted */
  readonly target?: ServiceTarget;
  /** DEFAULT.disable (svcmgr disable): left alone, a target included */
  readonly disabled?: boolean;
}

export interface ClusterFacts {
  readonly node: string;
  readonly nodeFrozen: boolean;
  /** the peers frozen (nodemgr freeze, drain): no candidates for a start */
  readonly frozenNodes?: readonly string[];
  /** peers' liveness, from heartbeats; the local node is always up */
  readonly peers: Readonly<Record<string, PeerState>>;
  /** why each peer is in its state, for the reasons given */
  readonly peerWhy?: Readonly<Record<string, string>>;
  /** the peers up whose last beat said they hold events of their own this node has not stored yet: what the log says of them is old */
  readonly peersBehind?: readonly string[];
  readonly services: readonly ServiceFacts[];
  /** node.ready_period, in ms */
  readonly readyPeriodMs: number;
  /** per service, since when (ms) starting it here has been the decision: what the last pass returned (pendingStarts) */
  readonly pending: Readonly<Record<string, number>>;
  /**
   * rule 12, node.rejoin_grace_period: until when (ms: the daemon's start
   * plus the period) the rules start nothing while a peer has not been heard
   * (up or alive) since this daemon started, and the peers heard since
   */
  readonly rejoin?: { readonly until: number; readonly joined: readonly string[] };
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
  | { readonly kind: 'Ignore'; readonly svc: string; readonly reason: string; readonly pending?: { readonly since: number; readonly until: number } }
  /** an event to record, nothing run: the local instance frozen or thawed for a target, a target's end */
  | { readonly kind: 'Publish'; readonly svc: string; readonly reason: string; readonly event: PublishedEvent };

export type PublishedEvent = NewEvent<'InstanceFrozen'> | NewEvent<'InstanceThawed'> | NewEvent<'ServiceTargetReached'> | NewEvent<'ServiceTargetFailed'>;

// a start in progress counts, unless its daemon died since (rule 10: what a restarted node ran before is not what runs)
const running = (i: InstanceFacts | undefined) => i !== undefined && (i.avail === 'up' || i.avail === 'warn' || (i.monitorState === 'starting' && i.actionOrphaned !== true));

/** Rule 11: an interrupted start left some of its resources up and others down. */
const halfStarted = (i: InstanceFacts | undefined): i is InstanceFacts & { readonly interruptedLeftUp: readonly string[] } =>
  i !== undefined && i.monitorState === 'start failed' && (i.interruptedLeftUp?.length ?? 0) > 0;

const rollBackReason = (i: InstanceFacts & { readonly interruptedLeftUp: readonly string[] }) =>
  `start interrupted (the process running it died), ${i.interruptedLeftUp.join(' ')} left up: stopping them, as a failed start rolls back`;

function peerState(c: ClusterFacts, n: string): PeerState {
  return n === c.node ? 'up' : (c.peers[n] ?? 'unknown');
}

/** whole seconds, rounded up: "3s left" until the last millisecond */
const secs = (ms: number) => Math.max(0, Math.ceil(ms / 1000));

export function decideService(c: ClusterFacts, s: ServiceFacts, now: number): Intent {
  const ignore = (reason: string): Intent => ({ kind: 'Ignore', svc: s.name, reason });
  if (s.disabled === true) return ignore('disabled');
  if (s.orchestrate === 'no' && s.target === undefined) return ignore('orchestrate = no');
  if (s.topology !== 'failover') return ignore(`topology ${s.topology} is not orchestrated`);
  if (!s.nodes.includes(c.node)) return ignore(`${c.node} is not in the service's nodes`);
  const local = s.instances[c.node];
  if (local?.unchecked === true) return ignore('waiting for the first status check since the daemon started');
  if (s.target !== undefined && local !== undefined) return decideTarget(c, s, s.target, local, now);
  if (c.nodeFrozen) return ignore('node frozen');
  if (local === undefined || local.frozen) return ignore('instance frozen');
  if (local.monitorState === 'starting' || local.monitorState === 'stopping') return ignore(`${local.monitorState} in progress`);
  if (local.monitorState === 'stop failed') return ignore('stop failed: waiting for an operator (clear)');
  if (halfStarted(local)) return { kind: 'RunAction', svc: s.name, action: 'stop', relocation: false, rids: local.interruptedLeftUp, reason: rollBackReason(local) };

  const duplicate = stopDuplicate(c, s, local);
  if (duplicate !== undefined) return duplicate;

  // restart in place first, as many times as the resource's `restart` says; a monitored one relocates after
  const again = (local.restartableDown ?? []).filter((rid) => (local.restarts?.[rid] ?? 0) < (s.restartLimits?.[rid] ?? 0));
  if (local.expect === 'started' && again.length > 0) {
    const rid = again[0]!;
    return { kind: 'RunAction', svc: s.name, action: 'start', relocation: false, rids: [rid], restart: true, reason: `${rid} down: restart ${(local.restarts?.[rid] ?? 0) + 1} of ${s.restartLimits?.[rid] ?? 0} in place` };
  }

  if (s.orchestrate === 'ha' && local.expect === 'started' && local.monitoredDown.length > 0) {
    // relocating needs a node that can be told and can take it: one that is up, not frozen, not failed.
    // Without one (alone, or every peer cut off or lost) the service is started again here: a relocation
    // stop would leave it down everywhere, the node penalised for a move nobody can make
    const takers = s.nodes.filter((n) => n !== c.node && peerState(c, n) === 'up' && s.instances[n] !== undefined && !s.instances[n]!.frozen && s.instances[n]!.monitorState !== 'stop failed');
    if (takers.length === 0) {
      // a start that keeps failing here is tried again after a wait that doubles with each failure
      const clearedAt = Math.max(-Infinity, ...Object.values(s.instances).map((i) => i.clearedAt ?? -Infinity));
      const fails = local.penalties.filter((p) => p.why === 'start failed' && p.at > clearedAt && now - p.at < s.failureTimeoutMs);
      const last = fails.at(-1);
      const base = Math.max(c.readyPeriodMs, 1000);
      const until = last === undefined ? now : last.at + Math.min(Math.max(s.failureTimeoutMs, base), base * 2 ** (fails.length - 1));
      if (now < until) return { kind: 'Ignore', svc: s.name, reason: `monitored resource ${local.monitoredDown.join(', ')} down, no live node to relocate to: starting again here in ${secs(until - now)}s (${fails.length} failed)`, pending: { since: now, until } };
      return { kind: 'RunAction', svc: s.name, action: 'start', relocation: false, reason: `monitored resource ${local.monitoredDown.join(', ')} down, no live node to relocate to: starting again here` };
    }
    return { kind: 'RunAction', svc: s.name, action: 'stop', relocation: true, reason: `monitored resource ${local.monitoredDown.join(', ')} down: stopping to relocate` };
  }

  if (running(local)) return ignore('running here');
  const elsewhere = s.nodes.filter((n) => n !== c.node && peerState(c, n) === 'up' && running(s.instances[n]));
  if (elsewhere.length > 0) {
    const unchecked = elsewhere.filter((n) => s.instances[n]!.unchecked === true);
    if (unchecked.length === elsewhere.length) return ignore(`running on ${elsewhere.join(', ')} as recorded before its daemon started: waiting for its first status check`);
    return ignore(`running on ${elsewhere.filter((n) => !unchecked.includes(n)).join(', ')}`);
  }
  const r = placeStart(c, s, now, { why: 'not running on any live node', candidate: (n, i) => !i.frozen && i.monitorState !== 'stop failed', rejoin: true });
  return r.kind === 'none' ? ignore('no node can start it') : r.intent;
}

const isUp = (i: InstanceFacts | undefined) => i !== undefined && (i.avail === 'up' || i.avail === 'warn');

/**
 * Rule 7: up here and up on a peer that is up: stopped here when placement
 * prefers the peer. A start in progress on the peer is no copy to stop ours
 * for: it may be one its node lost power in (what the log says until its
 * daemon's return reaches us), and one that runs ends up, or aborts on the
 * address ours holds.
 */
function stopDuplicate(c: ClusterFacts, s: ServiceFacts, local: InstanceFacts): Intent | undefined {
  const runsHere = isUp(local);
  const alsoUp = s.nodes.filter((n) => n !== c.node && peerState(c, n) === 'up' && isUp(s.instances[n]) && s.instances[n]!.unchecked !== true && !(c.peersBehind ?? []).includes(n));
  if (!runsHere || alsoUp.length === 0) return undefined;
  const preferred = s.nodes.find((n) => n === c.node || alsoUp.includes(n));
  if (preferred === c.node) return undefined;
  return { kind: 'RunAction', svc: s.name, action: 'stop', relocation: false, reason: `also running on ${alsoUp.join(', ')} (${preferred} preferred by placement): stopping here` };
}

const frozenNode = (c: ClusterFacts, n: string) => (n === c.node ? c.nodeFrozen : (c.frozenNodes ?? []).includes(n));

/**
 * Rules 3 to 6 for a service that runs on no live node: whether this node
 * starts it now, the wait before it does, or which node comes first and
 * why. `candidate` says which instances may start it besides liveness and
 * node freezes; none: no node can.
 */
function placeStart(c: ClusterFacts, s: ServiceFacts, now: number, o: { readonly why: string; readonly candidate: (n: string, i: InstanceFacts) => boolean; readonly rejoin?: boolean }): { kind: 'intent'; intent: Intent } | { kind: 'none' } {
  const ignore = (reason: string) => ({ kind: 'intent' as const, intent: { kind: 'Ignore' as const, svc: s.name, reason } });
  const why = (n: string) => c.peerWhy?.[n] ?? peerState(c, n);
  // a peer that may still run it as last heard: never started here without proof it is gone
  const unproven = s.nodes.filter((n) => n !== c.node && (peerState(c, n) === 'alive' || peerState(c, n) === 'lost') && running(s.instances[n]));
  if (unproven.length > 0) {
    const n = unproven[0]!;
    const what = peerState(c, n) === 'alive' ? `${n} alive but unreachable (${why(n)})` : `${n} lost, no proof it is down (${why(n)})`;
    return ignore(`running on ${n} as last heard; ${what}: not taking over ${s.name}`);
  }
  const unknown = s.nodes.filter((n) => peerState(c, n) === 'unknown');
  if (unknown.length > 0) return ignore(`waiting for heartbeats from ${unknown.join(', ')}`);
  // a peer whose daemon died during a start or stop and came back may hold part of it until it records it interrupted (rule 11 follows)
  const orphaned = s.nodes.filter((n) => n !== c.node && peerState(c, n) === 'up' && s.instances[n]?.actionOrphaned === true);
  if (orphaned.length > 0) return ignore(`waiting for ${orphaned.join(', ')} to record the ${orphaned.map((n) => (s.instances[n]!.monitorState === 'stopping' ? 'stop' : 'start')).join(', ')} its daemon died in`);
  // rule 12: a peer not heard since this daemon started may be booting: its place is kept for the grace period
  const r = c.rejoin;
  const absent = o.rejoin !== true || r === undefined || now >= r.until ? [] : s.nodes.filter((n) => n !== c.node && !r.joined.includes(n) && peerState(c, n) !== 'up' && peerState(c, n) !== 'alive');
  if (absent.length > 0 && r !== undefined) {
    return { kind: 'intent', intent: { kind: 'Ignore', svc: s.name, reason: `waiting for ${absent.join(', ')} to rejoin since this daemon started (${absent.map((n) => `${n}: ${why(n)}`).join(', ')}): rejoin_grace_period, ${secs(r.until - now)}s left`, pending: { since: c.pending[s.name] ?? now, until: r.until } } };
  }

  // a peer lost or cut off keeps its place: it may start the service on its side
  const canStart = (n: string) => {
    const i = s.instances[n];
    const st = peerState(c, n);
    return (st === 'up' || st === 'alive' || st === 'lost') && i !== undefined && !frozenNode(c, n) && o.candidate(n, i);
  };
  const candidates = s.nodes.filter(canStart);
  if (candidates.length === 0) return { kind: 'none' };

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
  const local = s.instances[c.node]!;
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
  // Nor one that just relocated the service away: it defers to this node by the same rules (it is
  // penalised, this node is not), so no beat in flight can say it starts it: a relocation is not slowed.
  const relocatedAway = (n: string) => lastPenalty(n)?.why === 'relocation';
  const others = s.nodes.filter((n) => n !== c.node && peerState(c, n) !== 'down');
  const allDeferred = others.length > 0 && lastPenalty(c.node) === undefined && others.every((n) => s.instances[n] !== undefined && relocatedAway(n));
  if (others.length > 0 && !allDeferred) waits.push({ until: since + c.readyPeriodMs, reason: (left) => `waiting ready_period (${left}s left)` });
  // the node last heard running it, proven down since: its vg is taken over from it
  const from = s.nodes.find((n) => n !== c.node && peerState(c, n) === 'down' && running(s.instances[n]));
  const wait = waits.reduce<(typeof waits)[number] | undefined>((w, x) => (w === undefined || x.until > w.until ? x : w), undefined);
  if (wait !== undefined && now < wait.until) return { kind: 'intent', intent: { kind: 'Ignore', svc: s.name, reason: wait.reason(secs(wait.until - now)), pending: { since, until: wait.until } } };
  if (from !== undefined) return { kind: 'intent', intent: { kind: 'RunAction', svc: s.name, action: 'start', relocation: false, takeover: from, reason: `${from} down (${why(from)}): taking over, ${c.node} is first of ${order.join(', ')}${penal}` } };
  return { kind: 'intent', intent: { kind: 'RunAction', svc: s.name, action: 'start', relocation: false, reason: `${o.why}: ${c.node} is first of ${order.join(', ')}${penal}` } };
}

/** started, stopped, placed@node2: a target as svcmon shows it. */
export function targetText(t: Pick<ServiceTarget, 'target' | 'node'>): string {
  return t.target === 'placed' ? `placed@${t.node ?? '?'}` : t.target;
}

/** The action of an instance, when it ran after the target was requested. */
function actedSince(i: InstanceFacts | undefined, t: ServiceTarget, action: string): { readonly ok: boolean } | undefined {
  const a = i?.lastAction;
  return a !== undefined && a.at >= t.at && a.action === action ? { ok: a.result === 'ok' } : undefined;
}

/**
 * A target's rules (see the header), on this node's instance. The first
 * step not done yet is the one taken: freeze or thaw here, wait for the
 * peers, stop or start here, record the end.
 */
function decideTarget(c: ClusterFacts, s: ServiceFacts, t: ServiceTarget, local: InstanceFacts, now: number): Intent {
  const label = targetText(t);
  const asked = `${label} (${t.action} by ${t.by} on ${t.origin})`;
  const ignore = (reason: string): Intent => ({ kind: 'Ignore', svc: s.name, reason: `target ${label}: ${reason}` });
  const publish = (event: PublishedEvent, reason: string): Intent => ({ kind: 'Publish', svc: s.name, reason: `target ${asked}: ${reason}`, event });
  const act = (action: 'start' | 'stop', reason: string, takeover?: string, rids?: readonly string[]): Intent => ({ kind: 'RunAction', svc: s.name, action, relocation: false, reason: `target ${asked}: ${reason}`, ...(takeover !== undefined ? { takeover } : {}), ...(rids !== undefined ? { rids } : {}) });
  const up = (n: string) => peerState(c, n) === 'up';
  const live = s.nodes.filter((n) => up(n) && s.instances[n] !== undefined);
  const inst = (n: string) => s.instances[n]!;
  // the node that asked records the end; the first live node of the service when it is gone. A placement's,
  // the node it places the service on: the only one that cannot take it for placed while that node still
  // stops it for an older target (a Flip: its stop not heard yet elsewhere)
  const placedOn = t.target === 'placed' && t.node !== undefined && s.nodes.includes(t.node) && up(t.node) ? t.node : undefined;
  const recorder = placedOn ?? (s.nodes.includes(t.origin) && up(t.origin) ? t.origin : live[0]);
  const end = (failure: string | undefined): Intent => {
    if (recorder !== c.node) return ignore(`${failure === undefined ? 'reached' : `failed (${failure})`}: ${recorder ?? 'a live node'} records it`);
    return failure === undefined
      ? publish({ type: 'ServiceTargetReached', svc: s.name, causation: t.id, data: { of: t.id, target: label } }, 'reached')
      : publish({ type: 'ServiceTargetFailed', svc: s.name, causation: t.id, data: { of: t.id, target: label, reason: failure } }, `failed: ${failure}`);
  };
  const list = (nodes: readonly string[]) => nodes.join(', ');

  const wantFrozen = t.target === 'stopped';
  if (local.frozen !== wantFrozen) {
    return publish({ type: wantFrozen ? 'InstanceFrozen' : 'InstanceThawed', svc: s.name, causation: t.id, data: {} }, wantFrozen ? `freezing ${c.node}'s instance, so no node starts it again` : `thawing ${c.node}'s instance`);
  }
  const busy = live.filter((n) => inst(n).monitorState === 'starting' || inst(n).monitorState === 'stopping');
  if (busy.length > 0) return ignore(`${list(busy.map((n) => `${n} ${inst(n).monitorState}`))} in progress`);
  // a failed stop leaves resources half up: stopping again would fail the same way
  const stuck = live.filter((n) => inst(n).monitorState === 'stop failed');
  if (stuck.length > 0) return end(`stop failed on ${list(stuck)}: svcmgr clear there once it is looked at`);
  // rule 11: what an interrupted start left up is stopped before anything else; a half-started instance is not running it
  if (halfStarted(local)) return act('stop', rollBackReason(local), undefined, local.interruptedLeftUp);
  const halves = live.filter((n) => halfStarted(inst(n)));
  if (halves.length > 0) return ignore(`waiting for ${list(halves)} to stop what an interrupted start left up`);
  const misfrozen = live.filter((n) => inst(n).frozen !== wantFrozen);
  const runs = live.filter((n) => running(inst(n)));

  switch (t.target) {
    case 'stopped': {
      if (running(local)) return misfrozen.length > 0 ? ignore(`waiting for ${list(misfrozen)} to freeze before stopping here`) : act('stop', `stopping ${c.node}`);
      if (runs.length > 0) return ignore(`waiting for ${list(runs)} to stop`);
      if (misfrozen.length > 0) return ignore(`waiting for ${list(misfrozen)} to freeze`);
      return end(undefined);
    }
    case 'started': {
      const duplicate = stopDuplicate(c, s, local);
      if (duplicate !== undefined) return duplicate;
      if (misfrozen.length > 0) return ignore(`waiting for ${list(misfrozen)} to thaw`);
      // running degraded (a resource down that nothing restarts: not monitored, no restart count): started once
      // more where it runs, as an operator's start of a running instance starts what is down; reached after that
      const degraded = runs.filter((n) => inst(n).avail === 'warn' && actedSince(inst(n), t, 'start') === undefined);
      if (degraded.includes(c.node)) return act('start', `${c.node} runs it degraded (warn): starting what is down here`);
      if (degraded.length > 0) return ignore(`waiting for ${list(degraded)} to start what is down there`);
      const failedAgain = runs.filter((n) => actedSince(inst(n), t, 'start')?.ok === false);
      if (failedAgain.length > 0) return end(`start failed on ${list(failedAgain)}`);
      if (runs.length > 0) return end(undefined);
      const failedAt = (n: string) => actedSince(s.instances[n], t, 'start')?.ok === false;
      const r = placeStart(c, s, now, { why: `target ${asked}`, candidate: (n) => !failedAt(n) });
      if (r.kind === 'intent') return r.intent;
      const failed = s.nodes.filter(failedAt);
      return end(failed.length > 0 ? `start failed on ${list(failed)}` : cannotRun(c, s));
    }
    case 'placed': {
      const n = t.node ?? '';
      if (!s.nodes.includes(n)) return end(`${n} is not one of ${s.name}'s nodes (${list(s.nodes)})`);
      if (peerState(c, n) === 'down') return end(`${n} is down`);
      if (frozenNode(c, n)) return end(`node ${n} is frozen`);
      if (!up(n)) return ignore(`waiting for ${n} (${c.peerWhy?.[n] ?? peerState(c, n)})`);
      if (s.instances[n] === undefined) return end(`${n} has no instance of ${s.name} (svcmgr -s ${s.name} sync nodes)`);
      const others = runs.filter((x) => x !== n);
      const started = actedSince(inst(n), t, 'start');
      if (c.node !== n) {
        if (running(local)) return act('stop', `stopping ${c.node} for ${n} to start it`);
        if (started?.ok === false) return end(`start failed on ${n}`);
        if (!running(inst(n)) || others.length > 0) return ignore(`waiting for ${others.length > 0 ? `${list(others)} to stop` : `${n} to start it`}`);
        return misfrozen.length > 0 ? ignore(`waiting for ${list(misfrozen)} to thaw`) : end(undefined);
      }
      if (others.length > 0) return ignore(`waiting for ${list(others)} to stop`);
      if (running(local)) return misfrozen.length > 0 ? ignore(`waiting for ${list(misfrozen)} to thaw`) : end(undefined);
      if (started?.ok === false) return end(`start failed on ${n}`);
      // a peer that may still run it as last heard is never started over; one proven down is taken over from
      const unproven = s.nodes.filter((x) => x !== c.node && (peerState(c, x) === 'alive' || peerState(c, x) === 'lost') && running(s.instances[x]));
      if (unproven.length > 0) return ignore(`running on ${list(unproven)} as last heard, no proof it is down: not starting here`);
      const from = s.nodes.find((x) => x !== c.node && peerState(c, x) === 'down' && running(s.instances[x]));
      return act('start', from !== undefined ? `${from} down (${c.peerWhy?.[from] ?? 'down'}): taking over on ${n}` : `starting ${n}`, from);
    }
    default: {
      const never: never = t.target;
      return ignore(`unknown target ${String(never)}`);
    }
  }
}

/** Why no node of the service can run it: each node's reason, in placement order. */
function cannotRun(c: ClusterFacts, s: ServiceFacts): string {
  const why = s.nodes.map((n) => {
    const i = s.instances[n];
    const st = peerState(c, n);
    if (st !== 'up' && st !== 'alive' && st !== 'lost') return `${n} ${st}`;
    if (frozenNode(c, n)) return `node ${n} frozen`;
    if (i === undefined) return `no instance on ${n}`;
    return `${n} ${i.monitorState}`;
  });
  return `no node can start it (${why.join(', ')})`;
}

/**
 * Whether a target can be requested now: undefined when it can, else why
 * not, in one line (the CLI says it and exits 1). Asked of the node the
 * operator is on, with what it knows of the cluster.
 */
export function refuseTarget(c: ClusterFacts, s: ServiceFacts, t: Pick<ServiceTarget, 'target' | 'node'>): string | undefined {
  if (s.disabled === true) return `${s.name} is disabled (svcmgr -s ${s.name} enable)`;
  if (s.topology !== 'failover') return `${s.name} is a ${s.topology} service: its instances are started and stopped on each node (--local)`;
  const stuck = s.nodes.filter((n) => s.instances[n]?.monitorState === 'stop failed' && peerState(c, n) === 'up');
  if (t.target !== 'stopped' && stuck.length > 0) return `${s.name}: stop failed on ${stuck.join(', ')}: look, then svcmgr -s ${s.name} clear there`;
  if (t.target === 'started') {
    const able = s.nodes.filter((n) => s.instances[n] !== undefined && peerState(c, n) === 'up' && !frozenNode(c, n));
    return able.length === 0 ? `${s.name}: ${cannotRun(c, s)}` : undefined;
  }
  if (t.target !== 'placed') return undefined;
  const n = t.node ?? '';
  if (!s.nodes.includes(n)) return `${n} is not one of ${s.name}'s nodes (${s.nodes.join(', ')})`;
  const st = peerState(c, n);
  if (st !== 'up') return `${n} cannot run ${s.name}: it is ${st}${c.peerWhy?.[n] !== undefined ? ` (${c.peerWhy[n]})` : ''}`;
  if (frozenNode(c, n)) return `${n} cannot run ${s.name}: the node is frozen (nodemgr thaw there)`;
  if (s.instances[n] === undefined) return `${n} cannot run ${s.name}: it has no instance of it yet (svcmgr -s ${s.name} sync nodes)`;
  return undefined;
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
