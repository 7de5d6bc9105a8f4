import type { EventType } from '../domain/events.js';
import { CatchUp, catchUpTypes } from './catchUp.js';
import type { NodeStates } from './catchUp.js';
import type { Applied, InstancesProjection } from './instances.js';
import { NODE_FACT_TYPES, evolveNodeFacts, nodeFactsOf } from './nodeFacts.js';
import type { NodesFacts } from './nodeFacts.js';
import type { PeerState } from '../domain/orchestration/decide.js';
import { LoggedConfigs } from './serviceConfigs.js';

/** The event types ClusterAsOf reads. */
export const AS_OF_TYPES: ReadonlySet<string> = new Set<string>([...catchUpTypes({ history: false, recent: 0 }), ...NODE_FACT_TYPES, ...LoggedConfigs.types, ...(['NodeJoined'] satisfies EventType[])]);

/**
 * The read models as they were at a point of the log (svcmon --at, print
 * status --at): the instances and node states the daemon would have held,
 * the peers as each node's heartbeats reported them, the nodes heard of,
 * each node's config of each service as its records then carried it.
 * Fed the log's events up to that point, in order.
 */
export class ClusterAsOf {
  private readonly models = new CatchUp({ history: false, recent: 0 });
  private facts: NodesFacts = {};
  private readonly known = new Set<string>();
  /** the services' configs as the log held them then */
  readonly configs = new LoggedConfigs();
  private lastApplied: Applied | undefined;

  apply(a: Applied): void {
    this.models.apply(a);
    this.facts = evolveNodeFacts(this.facts, a.event);
    this.configs.apply(a.event);
    this.known.add(a.event.origin);
    if (a.event.type === 'NodeJoined') this.known.add(a.event.data.node);
    this.lastApplied = a;
  }

  get instances(): InstancesProjection {
    return this.models.instances;
  }

  get nodeStates(): NodeStates {
    return this.models.state().nodes;
  }

  /** every node the log names up to here, sorted */
  get nodes(): string[] {
    return [...this.known].sort();
  }

  /** the last event applied: where "as of" is */
  get last(): Applied | undefined {
    return this.lastApplied;
  }

  /**
   * A peer as `observer`'s heartbeats reported it: unknown when its daemon
   * started since and has not reported it (as that daemon would show it);
   * undefined when the log holds no start of that daemon (nothing to say).
   */
  peerAsSeenBy(observer: string, peer: string): { readonly state: PeerState; readonly why: string } | undefined {
    const f = nodeFactsOf(this.facts, observer);
    const p = f.peers[peer];
    if (p) return { state: p.state, why: p.why };
    return f.daemonStarted !== undefined ? { state: 'unknown', why: 'not heard from yet' } : undefined;
  }

  stop(): void {
    this.models.stop();
  }
}
