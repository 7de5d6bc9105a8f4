import type { EventType } from '../domain/events.js';
import { CatchUp, catchUpTypes } from './catchUp.js';
import type { NodeStates } from './catchUp.js';
import type { Applied, InstancesCheckpoint, InstancesProjection } from './instances.js';
import { NODE_FACT_TYPES, evolveNodeFacts, nodeFactsOf } from './nodeFacts.js';
import type { NodesFacts } from './nodeFacts.js';
import type { PeerState } from '../domain/orchestration/decide.js';
import { LoggedConfigs } from './serviceConfigs.js';
import type { LoggedConfigsCheckpoint } from './serviceConfigs.js';

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
  private readonly models: CatchUp;
  private facts: NodesFacts;
  private readonly known: Set<string>;
  /** the services' configs as the log held them then */
  readonly configs: LoggedConfigs;
  private lastApplied: Applied | undefined;
  /** per origin, the highest sequence of its events applied */
  private readonly heads: Record<string, number>;
  /** the latest event time applied (ms), -Infinity before any */
  private maxTime: number;

  constructor(from?: AsOfState) {
    this.models = new CatchUp({ history: false, recent: 0 }, from && { instances: from.instances, nodes: from.nodes, lastId: from.last?.event.id });
    this.facts = from?.facts ?? {};
    this.known = new Set(from?.known ?? []);
    this.configs = from ? LoggedConfigs.restore(from.configs) : new LoggedConfigs();
    this.lastApplied = from?.last;
    this.heads = { ...from?.heads };
    this.maxTime = from?.maxTime ?? -Infinity;
  }

  apply(a: Applied): void {
    this.models.apply(a);
    this.facts = evolveNodeFacts(this.facts, a.event);
    this.configs.apply(a.event);
    this.known.add(a.event.origin);
    if (a.event.type === 'NodeJoined') this.known.add(a.event.data.node);
    this.lastApplied = a;
    const e = a.event;
    if (e.seq > (this.heads[e.origin] ?? 0)) this.heads[e.origin] = e.seq;
    const t = Date.parse(e.time);
    if (t > this.maxTime) this.maxTime = t;
  }

  /** The state to resume from (JSON-able): what a checkpoint keeps. */
  state(): AsOfState {
    const s = this.models.state();
    return {
      instances: s.instances.checkpoint(),
      nodes: s.nodes,
      facts: this.facts,
      configs: this.configs.checkpoint(),
      known: [...this.known].sort(),
      last: this.lastApplied,
      heads: { ...this.heads },
      maxTime: this.maxTime === -Infinity ? null : this.maxTime,
    };
  }

  /** per origin, the highest sequence of its events applied (a spooled event at or below it is in the log already) */
  get originHeads(): Readonly<Record<string, number>> {
    return this.heads;
  }

  /** the latest time of the events applied (ms), undefined before any */
  get latestTime(): number | undefined {
    return this.maxTime === -Infinity ? undefined : this.maxTime;
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

/** ClusterAsOf's state, JSON-able: kept in a checkpoint, resumed from. */
export interface AsOfState {
  readonly instances: InstancesCheckpoint;
  readonly nodes: NodeStates;
  readonly facts: NodesFacts;
  readonly configs: LoggedConfigsCheckpoint;
  readonly known: readonly string[];
  readonly last: Applied | undefined;
  readonly heads: Readonly<Record<string, number>>;
  /** the latest event time applied (ms), null before any */
  readonly maxTime: number | null;
}

/**
 * The models as they were after every record up to stream sequence `seq`
 * (the types AS_OF_TYPES reads), and what a time-bounded view needs to know
 * of the records since the checkpoint before it (`from`): the earliest
 * time among them. A chain of checkpoints, each `from` the one before,
 * lets --at skip whole stretches of a long log.
 */
export interface AsOfCheckpoint {
  readonly v: 1;
  readonly seq: number;
  /** the seq of the checkpoint before it, 0 for the first */
  readonly from: number;
  /** the earliest event time (ms) applied in (from, seq], null when none */
  readonly segmentMinTime: number | null;
  readonly state: AsOfState;
}

/** What the plan reads of a checkpoint. */
export type AsOfCheckpointMeta = Pick<AsOfCheckpoint, 'seq' | 'from' | 'segmentMinTime'> & { readonly maxTime: number | null };

export const metaOf = (c: AsOfCheckpoint): AsOfCheckpointMeta => ({ seq: c.seq, from: c.from, segmentMinTime: c.segmentMinTime, maxTime: c.state.maxTime });

/**
 * Feeds a ClusterAsOf the whole log in order (no bound) and hands back a
 * checkpoint at each multiple of `every` stream sequences it passes:
 * checkpoints cut at the same places whoever builds them.
 */
export class AsOfCheckpointer {
  readonly model: ClusterAsOf;
  private next: number;
  private from: number;
  private segmentMin = Infinity;

  constructor(
    private readonly every: number,
    private readonly emit: (c: AsOfCheckpoint) => void,
    resume?: AsOfCheckpoint,
  ) {
    this.model = new ClusterAsOf(resume?.state);
    this.from = resume?.seq ?? 0;
    this.next = (Math.floor(this.from / every) + 1) * every;
  }

  apply(a: Applied): void {
    this.passTo(a.streamSeq - 1);
    this.model.apply(a);
    const t = Date.parse(a.event.time);
    if (t < this.segmentMin) this.segmentMin = t;
  }

  /** Every record up to `seq` has been read (the end of a replay): the checkpoints up to there are cut. */
  passTo(seq: number): void {
    while (seq >= this.next) {
      this.emit({ v: 1, seq: this.next, from: this.from, segmentMinTime: this.segmentMin === Infinity ? null : this.segmentMin, state: this.model.state() });
      this.from = this.next;
      this.next += this.every;
      this.segmentMin = Infinity;
    }
  }
}

/** A point of the log: events up to a stream sequence, or those that happened at or before a time (ms). */
export type AsOfBound = { readonly seq: number } | { readonly time: number };

export interface AsOfPlan {
  /** the checkpoint to start from, undefined: from the start of the log */
  readonly base: AsOfCheckpointMeta | undefined;
  /** the stream ranges to read after it, in order; `to` undefined: to the end */
  readonly ranges: readonly { readonly from: number; readonly to: number | undefined }[];
}

/**
 * Where to start and what to read for a view at `bound`, given a chain of
 * checkpoints (sorted by seq, each `from` the one before). For a sequence:
 * the last checkpoint at or before it, then the records up to it. For a
 * time (an event counts from when it happened, wherever it was stored): the
 * last checkpoint whose every event happened by then, then each stretch
 * after it holding an event that happened by then (one stored late, a
 * spool drained after a partition, is not missed), and the log's tail
 * after the last checkpoint.
 */
export function planAsOf(chain: readonly AsOfCheckpointMeta[], bound: AsOfBound): AsOfPlan {
  if ('seq' in bound) {
    const base = chain.filter((c) => c.seq <= bound.seq).at(-1);
    return { base, ranges: (base?.seq ?? 0) < bound.seq ? [{ from: (base?.seq ?? 0) + 1, to: bound.seq }] : [] };
  }
  let b = -1;
  for (let i = 0; i < chain.length && (chain[i]!.maxTime ?? -Infinity) <= bound.time; i++) b = i;
  const base = b >= 0 ? chain[b] : undefined;
  const ranges: { from: number; to: number | undefined }[] = [];
  const add = (from: number, to: number | undefined) => {
    const prev = ranges.at(-1);
    if (prev !== undefined && prev.to !== undefined && prev.to + 1 === from) ranges[ranges.length - 1] = { from: prev.from, to };
    else ranges.push({ from, to });
  };
  for (let i = b + 1; i < chain.length; i++) {
    const c = chain[i]!;
    if (c.segmentMinTime !== null && c.segmentMinTime <= bound.time) add(c.from + 1, c.seq);
  }
  add((chain.at(-1)?.seq ?? 0) + 1, undefined);
  return { base, ranges };
}

/** The longest chain from the start among checkpoints (sorted by seq): each `from` the one before. */
export function chainOf<T extends Pick<AsOfCheckpointMeta, 'seq' | 'from'>>(sorted: readonly T[]): T[] {
  const chain: T[] = [];
  for (const c of sorted) {
    if (c.from !== (chain.at(-1)?.seq ?? 0)) break;
    chain.push(c);
  }
  return chain;
}
