/**
 * The orchestrator: a pure function from what the node knows of the cluster
 * to what it intends to do on its own instances, each with its reason.
 * Given the same view it takes the same decisions, so a recorded log replays
 * into the same decisions. It never runs anything: the daemon does.
 *
 * Rules for a failover service with `orchestrate = ha` (or `start`, which
 * places the service but never relocates it):
 *  1. nothing happens on a frozen node or a frozen instance, nor while an
 *     action runs on the instance, nor after a failed stop (an operator
 *     has to look: stopping again would fail the same way);
 *  2. ha: an instance that was started and has a monitored resource down is
 *     stopped, so another node takes the service over (relocation);
 *  3. when no instance is up or starting on a live node, the first node of
 *     the service's `nodes` that is alive, not frozen, whose instance is not
 *     frozen, did not fail an orchestrated start (a failed manual start, such
 *     as the tutorial's ip conflict abort, blocks nothing) and was not just
 *     relocated away from,
 *     starts it. It is this node's business only when it is that first node;
 *  4. a peer never heard from since the daemon started makes the decision
 *     wait (it may run the service): only a peer seen and then lost counts
 *     as down. A peer that is up decides for itself.
 */
export type PeerState = 'up' | 'down' | 'unknown';

export interface InstanceFacts {
  readonly avail: string;
  readonly frozen: boolean;
  /** idle, starting, stopping, start failed, stop failed */
  readonly monitorState: string;
  readonly expect: string | undefined;
  /** rids of resources with monitor = true whose status is down or warn */
  readonly monitoredDown: readonly string[];
  /** the last finished action: whether the orchestrator ran it, and to relocate */
  readonly lastAction: { readonly action: string; readonly result: string; readonly relocation: boolean; readonly byOrchestrator: boolean } | undefined;
}

export interface ServiceFacts {
  readonly name: string;
  readonly orchestrate: 'no' | 'start' | 'ha';
  readonly topology: 'failover' | 'flex';
  /** candidate nodes, in placement order */
  readonly nodes: readonly string[];
  /** per node; a node without an instance there is absent */
  readonly instances: Readonly<Record<string, InstanceFacts>>;
}

export interface ClusterFacts {
  readonly node: string;
  readonly nodeFrozen: boolean;
  /** peers' liveness, from heartbeats; the local node is always up */
  readonly peers: Readonly<Record<string, PeerState>>;
  readonly services: readonly ServiceFacts[];
}

export type Intent =
  | { readonly kind: 'RunAction'; readonly svc: string; readonly action: 'start' | 'stop'; readonly relocation: boolean; readonly reason: string }
  | { readonly kind: 'Ignore'; readonly svc: string; readonly reason: string };

const running = (i: InstanceFacts | undefined) => i !== undefined && (i.avail === 'up' || i.avail === 'warn' || i.monitorState === 'starting');

function peerState(c: ClusterFacts, n: string): PeerState {
  return n === c.node ? 'up' : (c.peers[n] ?? 'unknown');
}

export function decideService(c: ClusterFacts, s: ServiceFacts): Intent {
  const ignore = (reason: string): Intent => ({ kind: 'Ignore', svc: s.name, reason });
  if (s.orchestrate === 'no') return ignore('orchestrate = no');
  if (s.topology !== 'failover') return ignore(`topology ${s.topology} is not orchestrated`);
  if (!s.nodes.includes(c.node)) return ignore(`${c.node} is not in the service's nodes`);
  const local = s.instances[c.node];
  if (c.nodeFrozen) return ignore('node frozen');
  if (local?.frozen ?? true) return ignore('instance frozen');
  if (local!.monitorState === 'starting' || local!.monitorState === 'stopping') return ignore(`${local!.monitorState} in progress`);
  if (local!.monitorState === 'stop failed') return ignore('stop failed: waiting for an operator');

  if (s.orchestrate === 'ha' && local!.expect === 'started' && local!.monitoredDown.length > 0) {
    return { kind: 'RunAction', svc: s.name, action: 'stop', relocation: true, reason: `monitored resource ${local!.monitoredDown.join(', ')} down: stopping to relocate` };
  }

  const elsewhere = s.nodes.filter((n) => n !== c.node && peerState(c, n) === 'up' && running(s.instances[n]));
  if (running(local) || elsewhere.length > 0) return ignore(running(local) ? 'running here' : `running on ${elsewhere.join(', ')}`);
  const unknown = s.nodes.filter((n) => peerState(c, n) === 'unknown');
  if (unknown.length > 0) return ignore(`waiting for heartbeats from ${unknown.join(', ')}`);

  const eligible = (n: string, strict: boolean) => {
    if (peerState(c, n) !== 'up') return false;
    const i = s.instances[n];
    if (i === undefined) return n !== c.node ? false : true;
    if (i.frozen || i.monitorState === 'stop failed') return false;
    if (i.monitorState === 'start failed' && i.lastAction?.byOrchestrator !== false) return false;
    return !(strict && i.lastAction?.action === 'stop' && i.lastAction.relocation);
  };
  // a node the service was just relocated away from is the last resort, not a candidate
  let candidates = s.nodes.filter((n) => eligible(n, true));
  if (candidates.length === 0 && s.orchestrate === 'start') candidates = s.nodes.filter((n) => eligible(n, false));
  if (candidates.length === 0) return ignore('no node can start it');
  if (candidates[0] !== c.node) return ignore(`${candidates[0]} comes first in placement`);
  return { kind: 'RunAction', svc: s.name, action: 'start', relocation: false, reason: `not running on any live node: ${c.node} is first of ${candidates.join(', ')}` };
}

export function decide(c: ClusterFacts): Intent[] {
  return c.services.map((s) => decideService(c, s));
}
