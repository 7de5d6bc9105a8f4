import type { EventType } from '../domain/events.js';
import { HISTORY_TYPES, emptyHistory, evolveHistory, skipHistory } from './history.js';
import type { HistoryModel } from './history.js';
import { InstancesProjection } from './instances.js';
import type { Applied, AppliedHeader, InstancesCheckpoint } from './instances.js';

/** Which read models a catch-up builds. */
export interface CatchUpSpec {
  /** the history of every service (print history); the daemon does not keep it */
  readonly history: boolean;
  /** how many of the last events to hand back as they are (the daemon's GET /events window) */
  readonly recent: number;
}

export type NodeStates = Readonly<Record<string, { readonly frozen: boolean }>>;

/** What a catch-up hands back; the instances projection is live, the caller's to stop. */
export interface CatchUpState {
  readonly instances: InstancesProjection;
  readonly history: HistoryModel | undefined;
  readonly nodes: NodeStates;
  /** the last events applied, oldest first, at most spec.recent, none skipped between them */
  readonly recent: readonly Applied[];
  /** the last event applied and its stream sequence (a snapshot names it) */
  readonly lastId: string | undefined;
  readonly lastIdSeq: number;
  /** records taken, applied or skipped */
  readonly count: number;
  /** events the instances projection could not apply (a bug, reported rather than fatal), the first 100 */
  readonly notApplied: readonly { readonly streamSeq: number; readonly id: string; readonly reason: string }[];
}

/** The event types a catch-up reads the bodies of; the others are only counted and make their instance known. */
export function catchUpTypes(spec: CatchUpSpec): ReadonlySet<string> {
  return new Set<string>([...InstancesProjection.consumes, ...(['NodeFrozen', 'NodeThawed'] satisfies EventType[]), ...(spec.history ? HISTORY_TYPES : [])]);
}

/**
 * The read models rebuilt from the log, together: the instances, the node
 * states, the recent events and, when asked, the history (of what is fed:
 * it does not start from a checkpoint). Pure: fed the records of a replay in
 * order.
 */
export class CatchUp {
  readonly instances: InstancesProjection;
  private history: HistoryModel | undefined;
  private readonly nodes: Record<string, { frozen: boolean }>;
  private recent: Applied[] = [];
  private lastId: string | undefined;
  private lastIdSeq: number;
  private count = 0;
  private historySkipped = 0;
  private readonly notApplied: { streamSeq: number; id: string; reason: string }[] = [];

  constructor(
    private readonly spec: CatchUpSpec,
    from?: { readonly instances: InstancesCheckpoint; readonly nodes: NodeStates; readonly lastId: string | undefined },
  ) {
    this.instances = from ? InstancesProjection.restore(from.instances) : new InstancesProjection();
    this.history = spec.history ? emptyHistory : undefined;
    this.nodes = from ? { ...from.nodes } : {};
    this.lastId = from?.lastId;
    this.lastIdSeq = from?.instances.lastSeq ?? 0;
  }

  apply(a: Applied): void {
    this.count++;
    if (a.streamSeq <= this.instances.lastSeq) return;
    try {
      this.instances.apply(a);
    } catch (err) {
      if (this.notApplied.length < 100) this.notApplied.push({ streamSeq: a.streamSeq, id: a.event.id, reason: (err as Error).message });
    }
    if (this.history) this.history = evolveHistory(this.history, a);
    const e = a.event;
    if (e.type === 'NodeFrozen' || e.type === 'NodeThawed') this.nodes[e.origin] = { frozen: e.type === 'NodeFrozen' };
    this.lastId = e.id;
    this.lastIdSeq = a.streamSeq;
    if (this.spec.recent > 0) {
      this.recent.push(a);
      if (this.recent.length >= 2 * this.spec.recent) this.recent = this.recent.slice(-this.spec.recent);
    }
  }

  skip(streamSeq: number, h: AppliedHeader): void {
    this.count++;
    // the recent events are the log's tail without a gap: a client reading them after a sequence must miss nothing
    if (this.recent.length > 0) this.recent = [];
    this.instances.skip(streamSeq, h);
    // a skip only moves the history's lastSeq: the next event applied or state() moves it past this one
    this.historySkipped = streamSeq;
  }

  state(): CatchUpState {
    return {
      instances: this.instances,
      history: this.history && skipHistory(this.history, this.historySkipped),
      nodes: { ...this.nodes },
      recent: this.recent.slice(-this.spec.recent),
      lastId: this.lastId,
      lastIdSeq: this.lastIdSeq,
      count: this.count,
      notApplied: [...this.notApplied],
    };
  }

  stop(): void {
    this.instances.stop();
  }
}
