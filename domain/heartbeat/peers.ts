/**
 * What a node knows of a peer's life, from every heartbeat path at once,
 * and what it may do about it. A service that may run on a peer is taken
 * over only with proof that the peer is gone, never on silence alone:
 *
 *   up       a network heartbeat hears it: its status and events are current
 *   alive    only a disk heartbeat sees it beating: it lives, the network
 *            to it is cut (its status is as last heard); or its heartbeats
 *            stopped but its host's kernel still answers on its address (a
 *            connection refused or accepted on the heartbeat port): its
 *            daemon died, not the node, and what it ran may still run
 *   down     proven gone: a disk heartbeat that reads well saw its beat
 *            stop, or it fell silent while this side holds the quorum
 *   lost     silent on the network, and nothing proves it down: it may
 *            still run what it ran (a partition looks the same as a death)
 *   unknown  not heard since this daemon started, within the timeout
 */
export type PeerLiveness = 'up' | 'alive' | 'down' | 'lost' | 'unknown';

export interface PathReading {
  readonly rid: string;
  readonly kind: 'net' | 'disk';
  /** up: beating within the timeout; down: silent for the timeout (a disk path only says so when it reads well); unknown: cannot say yet */
  readonly state: 'up' | 'down' | 'unknown';
}

export interface Liveness {
  readonly state: PeerLiveness;
  /** in the words svcmon, print status and the PeerStateChanged event use */
  readonly why: string;
}

const rids = (ps: readonly PathReading[]) => ps.map((p) => p.rid).join(', ');

/**
 * A peer's liveness from its paths (no path at all: unknown). A peer whose
 * daemon said it was stopping (its last beat) is never proven down by its
 * silence: its services may run on while the daemon is away (an upgrade,
 * a restart), and the disk beat stops with the daemon.
 */
export function peerLiveness(paths: readonly PathReading[], o: { readonly daemonStopped?: boolean; readonly hostAnswers?: string } = {}): Liveness {
  const net = paths.filter((p) => p.kind === 'net');
  const disk = paths.filter((p) => p.kind === 'disk');
  const netUp = net.filter((p) => p.state === 'up');
  if (netUp.length > 0) return { state: 'up', why: `beating on ${rids(netUp)}` };
  const diskUp = disk.filter((p) => p.state === 'up');
  if (diskUp.length > 0) return { state: 'alive', why: `beating on ${rids(diskUp)} (disk) only: the network to it is cut` };
  // the disk beat stops with the daemon: a host that answers is no dead node
  if (o.hostAnswers !== undefined) return { state: 'alive', why: `its heartbeats stopped but its host answers (${o.hostAnswers}): its daemon is down, not the node` };
  const diskDown = disk.filter((p) => p.state === 'down');
  if (o.daemonStopped === true && (net.length === 0 || net.every((p) => p.state === 'down'))) return { state: 'lost', why: 'its daemon stopped (its services may still run): no proof it is down' };
  if (diskDown.length > 0) return { state: 'down', why: `no beat on ${rids(diskDown)} (disk)${net.length > 0 ? ` nor ${rids(net)}` : ''}: proven down` };
  const netDown = net.filter((p) => p.state === 'down');
  if (net.length > 0 && netDown.length === net.length) {
    const noProof = disk.length === 0 ? 'no disk heartbeat or quorum to prove it down' : `${rids(disk)} (disk) cannot tell`;
    return { state: 'lost', why: `silent on ${rids(net)}, ${noProof}` };
  }
  return { state: 'unknown', why: paths.length === 0 ? 'no heartbeat configured' : 'not heard from yet' };
}

export interface QuorumView {
  /** cluster.quorum */
  readonly enabled: boolean;
  /** votes this side holds: this node, the peers up or alive, the arbitrators it reaches */
  readonly votes: number;
  /** every node and arbitrator */
  readonly total: number;
  readonly has: boolean;
}

/**
 * Votes as OpenSVC counts them: one per node of cluster.nodes and per
 * arbitrator; a side holds the quorum with more than half. With the quorum
 * on, a silent peer is down when this side holds it (the other side, without
 * it, runs its split action), and a side without it must run its own.
 */
export function quorum(enabled: boolean, peers: Readonly<Record<string, Liveness>>, arbitrators: { readonly total: number; readonly reached: number }): QuorumView {
  const live = Object.values(peers).filter((p) => p.state === 'up' || p.state === 'alive').length;
  const votes = 1 + live + arbitrators.reached;
  const total = 1 + Object.keys(peers).length + arbitrators.total;
  return { enabled, votes, total, has: 2 * votes > total };
}

/** The peers as the orchestrator takes them: with the quorum on and held, a lost peer is down. */
export function withQuorum(peers: Readonly<Record<string, Liveness>>, q: QuorumView): Record<string, Liveness> {
  const out: Record<string, Liveness> = {};
  for (const [n, l] of Object.entries(peers)) {
    out[n] = q.enabled && q.has && l.state === 'lost' ? { state: 'down', why: `silent, and this side holds the quorum (${q.votes} of ${q.total} votes): proven down` } : l;
  }
  return out;
}
