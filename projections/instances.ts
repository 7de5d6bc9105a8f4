import { createActor } from 'xstate';
import type { Actor, Snapshot } from 'xstate';
import type { AnyEvent, EventType } from '../domain/events.js';
import { instanceMachine } from '../domain/instance/machine.js';
import { UNKNOWN_AVAIL, evolveAvail, evolveResources } from '../domain/instance/resources.js';
import type { InstanceAvail, ResourceModels } from '../domain/instance/resources.js';
import type { InstanceContext, InstanceMachine } from '../domain/instance/machine.js';

export interface Applied {
  readonly streamSeq: number;
  readonly event: AnyEvent;
}

export interface InstanceState extends InstanceContext, InstanceAvail {
  readonly monitorState: string;
  readonly frozen: boolean;
  readonly resources: ResourceModels;
}

export interface InstancesCheckpoint {
  readonly lastSeq: number;
  readonly instances: readonly { readonly svc: string; readonly node: string; readonly snapshot: unknown; readonly resources: ResourceModels; readonly avail?: InstanceAvail }[];
}

const key = (svc: string, node: string) => `${svc}\u0000${node}`;

/** The event types the instance machine reacts to; others never reach an actor (replay speed). */
const MACHINE_EVENTS: ReadonlySet<string> = new Set<EventType>([
  'ServiceDeleted',
  'ServiceCreated',
  'ActionStarted',
  'ActionFinished',
  'ActionInterrupted',
  'InstanceFrozen',
  'InstanceThawed',
  'InstanceCleared',
  'ServiceTargetRequested',
  'ServiceTargetReached',
  'ServiceTargetFailed',
  'ServiceTargetAborted',
]);

/** What one instance is made of in the projection: its machine, and the data reduced beside it. */
interface Instance {
  readonly actor: Actor<InstanceMachine>;
  resources: ResourceModels;
  avail: InstanceAvail;
}

/** What the subject of an event this projection does not read says, enough to know its instance. */
export interface AppliedHeader {
  readonly origin: string;
  readonly svc: string | undefined;
}

/**
 * Every service instance's machine, fed from the log. Replay goes through
 * actors (an actor's send is ~4x faster here than the pure transition()).
 * Records the last stream sequence applied; events at or below it are
 * ignored, so replaying the same log twice gives the same state.
 *
 * It reads the bodies of the types in `consumes` only. Any event of a
 * service makes its instance on the event's node known (svcmon lists it),
 * and that needs nothing but the subject: a replay hands the others to
 * skip() undecoded, and apply() treats them the same way.
 */
export class InstancesProjection {
  static readonly consumes: ReadonlySet<string> = new Set<EventType>([...(MACHINE_EVENTS as ReadonlySet<EventType>), 'ResourceStatusChanged', 'InstanceStatusChanged', 'DaemonStarted']);

  private readonly instances = new Map<string, Instance>();
  private cached: { readonly svc: string; readonly node: string; readonly instance: Instance } | undefined;
  private last = 0;

  get lastSeq(): number {
    return this.last;
  }

  apply(a: Applied): void {
    if (a.streamSeq <= this.last) return;
    this.last = a.streamSeq;
    const e = a.event;
    if (e.type === 'DaemonStarted') {
      // what each instance of that node was last recorded as is from before the start: unchecked until its next status
      // and an action in progress there was the dead daemon's (its next daemon records it interrupted)
      for (const i of this.instances.values()) {
        if (i.actor.getSnapshot().context.node !== e.origin) continue;
        i.avail = evolveAvail(i.avail, e);
        i.actor.send(e);
      }
      return;
    }
    if (e.svc === undefined) return;
    const i = this.instance(e.svc, e.origin);
    if (!InstancesProjection.consumes.has(e.type)) return;
    if (MACHINE_EVENTS.has(e.type)) i.actor.send(e);
    i.resources = evolveResources(i.resources, e);
    if (e.type === 'InstanceStatusChanged') i.avail = evolveAvail(i.avail, e);
  }

  /** An event whose body this projection does not read (not in `consumes`). */
  skip(streamSeq: number, h: AppliedHeader): void {
    if (streamSeq <= this.last) return;
    this.last = streamSeq;
    if (h.svc !== undefined) this.instance(h.svc, h.origin);
  }

  private instance(svc: string, node: string, restored?: { snapshot: unknown; resources: ResourceModels; avail: InstanceAvail }): Instance {
    // a log's events come in runs of the same instance (an action's steps)
    const c = this.cached;
    if (c !== undefined && c.svc === svc && c.node === node) return c.instance;
    const k = key(svc, node);
    let i = this.instances.get(k);
    if (!i) {
      const actor = restored === undefined
        ? createActor(instanceMachine, { input: { svc, node } })
        : createActor(instanceMachine, { input: { svc, node }, snapshot: restored.snapshot as Snapshot<unknown> as never });
      actor.start();
      i = { actor, resources: restored?.resources ?? {}, avail: restored?.avail ?? UNKNOWN_AVAIL };
      this.instances.set(k, i);
    }
    this.cached = { svc, node, instance: i };
    return i;
  }

  get(svc: string, node: string): InstanceState | undefined {
    const i = this.instances.get(key(svc, node));
    if (!i) return undefined;
    const s = i.actor.getSnapshot();
    return { ...s.context, ...i.avail, monitorState: s.value, resources: i.resources };
  }

  services(): string[] {
    const out = new Set<string>();
    for (const i of this.instances.values()) {
      const c = i.actor.getSnapshot().context;
      if (!c.deleted) out.add(c.svc);
    }
    return [...out].sort();
  }

  nodesOf(svc: string): string[] {
    return [...this.instances.values()].map((i) => i.actor.getSnapshot().context).filter((c) => c.svc === svc && !c.deleted).map((c) => c.node).sort();
  }

  checkpoint(): InstancesCheckpoint {
    return {
      lastSeq: this.last,
      instances: [...this.instances.values()].map((i) => {
        const c = i.actor.getSnapshot().context;
        return { svc: c.svc, node: c.node, snapshot: i.actor.getPersistedSnapshot(), resources: i.resources, avail: i.avail };
      }),
    };
  }

  static restore(cp: InstancesCheckpoint): InstancesProjection {
    const p = new InstancesProjection();
    p.last = cp.lastSeq;
    for (const i of cp.instances) p.instance(i.svc, i.node, { snapshot: i.snapshot, resources: i.resources, avail: i.avail ?? UNKNOWN_AVAIL });
    return p;
  }

  stop(): void {
    for (const i of this.instances.values()) i.actor.stop();
    this.instances.clear();
    this.cached = undefined;
  }
}
