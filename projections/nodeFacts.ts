import type { AnyEvent, EventType } from '../domain/events.js';
import type { PeerState } from '../domain/orchestration/decide.js';

/** A peer as one node's heartbeats last reported it (its PeerStateChanged). */
export interface PeerSeen {
  readonly state: PeerState;
  readonly why: string;
  /** the PeerStateChanged that said so */
  readonly id: string;
  readonly time: string;
}

/** What the log says one node knew and was, as its own events record it. */
export interface NodeFacts {
  /** the id of its last DaemonStarted: the peers it has not reported since are unknown to it */
  readonly daemonStarted: string | undefined;
  /** its time (ISO 8601): rule 12's rejoin grace counts from it */
  readonly daemonStartedAt?: string;
  readonly peers: Readonly<Record<string, PeerSeen>>;
  /** the peers it reported up or alive since its daemon started (rule 12: heard since) */
  readonly joined?: readonly string[];
  readonly frozen: boolean;
}

export type NodesFacts = Readonly<Record<string, NodeFacts>>;

/** The event types evolveNodeFacts reads. */
export const NODE_FACT_TYPES: ReadonlySet<string> = new Set<EventType>(['DaemonStarted', 'PeerStateChanged', 'NodeFrozen', 'NodeThawed']);

const PEER_STATES: ReadonlySet<string> = new Set<PeerState>(['up', 'alive', 'down', 'lost', 'unknown']);

const NONE: NodeFacts = { daemonStarted: undefined, peers: {}, frozen: false };

export function nodeFactsOf(m: NodesFacts, node: string): NodeFacts {
  return m[node] ?? NONE;
}

/**
 * Each node's view of its peers and its frozen state, from its own events.
 * A daemon start forgets the peers: the daemon hears them again (the
 * orchestrator treats a peer not heard since as unknown).
 */
export function evolveNodeFacts(m: NodesFacts, e: AnyEvent): NodesFacts {
  const was = nodeFactsOf(m, e.origin);
  switch (e.type) {
    case 'DaemonStarted':
      return { ...m, [e.origin]: { ...was, daemonStarted: e.id, daemonStartedAt: e.time, peers: {}, joined: [] } };
    case 'PeerStateChanged': {
      const state = PEER_STATES.has(e.data.to) ? (e.data.to as PeerState) : 'unknown';
      const heard = (state === 'up' || state === 'alive') && !(was.joined ?? []).includes(e.data.node);
      return { ...m, [e.origin]: { ...was, peers: { ...was.peers, [e.data.node]: { state, why: e.data.why, id: e.id, time: e.time } }, ...(heard ? { joined: [...(was.joined ?? []), e.data.node] } : {}) } };
    }
    case 'NodeFrozen':
    case 'NodeThawed':
      return { ...m, [e.origin]: { ...was, frozen: e.type === 'NodeFrozen' } };
    default:
      return m;
  }
}
