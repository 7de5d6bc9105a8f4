import { assign, setup } from 'xstate';
import type { AnyEvent, Envelope } from '../events.js';

export interface InstanceContext {
  readonly svc: string;
  readonly node: string;
  readonly expect: string | undefined;
  /** id of the ActionStarted event of the action in progress */
  readonly actionId: string | undefined;
  /** rids: the resources the action was to act on (an interrupted one's: what a rollback looks at) */
  readonly lastAction: { readonly action: string; readonly result: string; readonly at: string; readonly relocation: boolean; readonly by: string | undefined; readonly rids?: readonly string[] } | undefined;
  /** the resources the action in progress acts on (its ActionStarted's rids) */
  readonly actionRids?: readonly string[];
  /**
   * the node's daemon started again while the action was in progress: the
   * process running it is gone (its next daemon records it interrupted), so
   * its `starting` says nothing of what runs there
   */
  readonly actionOrphaned?: boolean;
  /** the orchestrator ran the action in progress to relocate the service */
  readonly relocating: boolean;
  /** who runs the action in progress (ActionStarted's user: `orchestrator` for the daemon's own) */
  readonly actionBy: string | undefined;
  readonly deleted: boolean;
  /** frozen: the orchestrator leaves the instance alone (a new instance starts frozen) */
  readonly frozen: boolean;
  /**
   * What makes the node a later choice for the orchestrator: its failed
   * starts (an abort on a conflict is none) and relocations away, oldest
   * first, the last PENALTIES_KEPT of them. Emptied by a clear.
   */
  readonly penalties: readonly Penalty[];
  /** the starts aborted in a row on a conflict (the resource answers elsewhere): how many, the last one's time and rid */
  readonly conflict: { readonly at: string; readonly count: number; readonly rid: string } | undefined;
  /** when an operator last cleared the instance (InstanceCleared) */
  readonly clearedAt: string | undefined;
  /** per rid, the in-place restarts the orchestrator ran since the last other action (a start, stop, relocation) */
  readonly restarts: Readonly<Record<string, number>>;
  /** the last target an operator requested on this node (ServiceTargetRequested); the service's is the newest of every node's not ended */
  readonly target?: TargetRequest;
  /** ids of the targets this node recorded as reached, failed or aborted, the last TARGETS_ENDED_KEPT */
  readonly targetsEnded?: readonly string[];
}

/** A target state requested for the service, as OpenSVC's global expect: started, stopped, or placed on a node. */
export interface TargetRequest {
  /** the ServiceTargetRequested event's id */
  readonly id: string;
  readonly target: 'started' | 'stopped' | 'placed';
  /** placed: the node it is placed on */
  readonly node: string | undefined;
  /** the command that asked for it: start, stop, switch, takeover, giveback */
  readonly action: string;
  readonly by: string;
  /** the event's time */
  readonly at: string;
}

const TARGETS: ReadonlySet<string> = new Set<TargetRequest['target']>(['started', 'stopped', 'placed']);

/** enough for the targets of every node ever in flight together */
const TARGETS_ENDED_KEPT = 16;

export interface Penalty {
  readonly at: string;
  readonly why: 'start failed' | 'relocation';
}

/** enough to count the failures of any sane failure_timeout: the orchestrator's backoff doubles with each */
const PENALTIES_KEPT = 16;

const withPenalty = (list: readonly Penalty[], p: Penalty): readonly Penalty[] => [...list, p].slice(-PENALTIES_KEPT);

/** What a finished action leaves for the orchestrator: a penalty, a conflict counted, or a conflict run ended. */
function penaltiesAfter(c: InstanceContext, e: Envelope<'ActionFinished'>): Partial<Pick<InstanceContext, 'penalties' | 'conflict'>> {
  const ok = e.data.result === 'ok';
  if (e.data.action === 'start') {
    if (!ok && e.data.conflict !== undefined) return { conflict: { at: e.time, count: (c.conflict?.count ?? 0) + 1, rid: e.data.conflict } };
    return ok ? { conflict: undefined } : { conflict: undefined, penalties: withPenalty(c.penalties, { at: e.time, why: 'start failed' }) };
  }
  return e.data.action === 'stop' && ok && c.relocating ? { penalties: withPenalty(c.penalties, { at: e.time, why: 'relocation' }) } : {};
}

/** One more in-place restart of each rid (a context restored from an older snapshot has none counted). */
function countRestarts(was: Readonly<Record<string, number>>, rids: readonly string[]): Record<string, number> {
  const out = { ...was };
  for (const r of rids) out[r] = (out[r] ?? 0) + 1;
  return out;
}

/** Machine events are the log's events, as they are. */
export type InstanceEvent = AnyEvent;

/**
 * One machine per service instance (service x node). Its states are the
 * action in progress: idle, starting, stopping, start failed, stop failed.
 * Frozen/thawed is context it reduces from InstanceFrozen/InstanceThawed,
 * not a parallel region: a parallel machine costs ~40% more per event, and
 * every action of the log goes through here on a replay.
 * Pure: no side effects, all data comes from events. Per-resource details and
 * the aggregated availability are data, reduced beside it (resources.ts).
 * A new instance is frozen, as a service created with OpenSVC is.
 */
export const instanceMachine = setup({
  types: {
    context: {} as InstanceContext,
    events: {} as InstanceEvent,
    input: {} as { svc: string; node: string },
  },
  actions: {
    beginAction: assign(({ event, context }) => ({
      actionId: event.id,
      actionOrphaned: false,
      actionRids: event.type === 'ActionStarted' ? event.data.rids : undefined,
      relocating: event.type === 'ActionStarted' && event.data.relocation === true,
      actionBy: event.type === 'ActionStarted' ? event.data.user : undefined,
      // any action but an in-place restart (a start, a stop, a relocation) begins the count anew
      restarts: event.type !== 'ActionStarted' ? (context.restarts ?? {}) : event.data.restart === true ? countRestarts(context.restarts ?? {}, event.data.rids) : {},
    })),
    endAction: assign(({ event, context }) => {
      if (event.type !== 'ActionFinished') return {};
      const ok = event.data.result === 'ok';
      const expect = event.data.action === 'start' && ok ? 'started' : event.data.action === 'stop' && ok ? undefined : context.expect;
      return {
        actionId: undefined,
        actionRids: undefined,
        actionOrphaned: false,
        relocating: false,
        actionBy: undefined,
        expect,
        lastAction: { action: event.data.action, result: event.data.result, at: event.time, relocation: context.relocating, by: context.actionBy },
        ...penaltiesAfter(context, event),
      };
    }),
    // the process running it died: the action ended, as a failure for what decides on it (a target waiting for it)
    interruptAction: assign(({ event, context }) => ({
      actionId: undefined,
      relocating: false,
      actionBy: undefined,
      actionRids: undefined,
      actionOrphaned: false,
      ...(event.type === 'ActionInterrupted' ? { lastAction: { action: event.data.action, result: 'interrupted', at: event.time, relocation: context.relocating, by: context.actionBy, ...(context.actionRids !== undefined ? { rids: context.actionRids } : {}) } } : {}),
      ...(event.type === 'ActionInterrupted' && event.data.action === 'start' ? { penalties: withPenalty(context.penalties, { at: event.time, why: 'start failed' }) } : {}),
    })),
    clear: assign(({ event }) => ({ penalties: [], conflict: undefined, clearedAt: event.time })),
    // the projection sends a node's DaemonStarted to each of its instances
    orphanAction: assign(({ context }) => ({ actionOrphaned: context.actionId !== undefined })),
    markDeleted: assign(({ event }) => (event.type === 'ServiceDeleted' && event.data.rids.length === 0 ? { deleted: true } : {})),
    revive: assign({ deleted: () => false }),
    // a target of a kind this version does not know is no target here
    requestTarget: assign(({ event, context }) =>
      event.type === 'ServiceTargetRequested' && TARGETS.has(event.data.target) && (event.data.target !== 'placed' || event.data.node !== undefined)
        ? { target: { id: event.id, target: event.data.target as TargetRequest['target'], node: event.data.node, action: event.data.action, by: event.data.by, at: event.time } }
        : { target: context.target },
    ),
    endTarget: assign(({ event, context }) =>
      event.type === 'ServiceTargetReached' || event.type === 'ServiceTargetFailed' || event.type === 'ServiceTargetAborted' ? { targetsEnded: [...(context.targetsEnded ?? []), event.data.of].slice(-TARGETS_ENDED_KEPT) } : {},
    ),
    freeze: assign({ frozen: () => true }),
    thaw: assign({ frozen: () => false }),
  },
}).createMachine({
  id: 'instance',
  initial: 'idle',
  context: ({ input }) => ({
    svc: input.svc,
    node: input.node,
    expect: undefined,
    actionId: undefined,
    lastAction: undefined,
    relocating: false,
    actionBy: undefined,
    deleted: false,
    frozen: true,
    penalties: [],
    conflict: undefined,
    clearedAt: undefined,
    restarts: {},
  }),
  on: {
    DaemonStarted: { actions: 'orphanAction' },
    ServiceDeleted: { actions: 'markDeleted' },
    ServiceCreated: { actions: 'revive' },
    InstanceFrozen: { actions: 'freeze' },
    InstanceThawed: { actions: 'thaw' },
    ServiceTargetRequested: { actions: 'requestTarget' },
    ServiceTargetReached: { actions: 'endTarget' },
    ServiceTargetFailed: { actions: 'endTarget' },
    ServiceTargetAborted: { actions: 'endTarget' },
    // during an action, or idle: only the penalties go (the failed states below go back to idle)
    InstanceCleared: { actions: 'clear' },
    ActionStarted: [
      { guard: ({ event }) => event.data.action === 'start', target: '.starting', actions: 'beginAction' },
      { guard: ({ event }) => event.data.action === 'stop', target: '.stopping', actions: 'beginAction' },
    ],
    ActionFinished: [
      { guard: ({ event }) => event.data.result === 'ok', target: '.idle', actions: 'endAction' },
      { guard: ({ event }) => event.data.action === 'start', target: '.start failed', actions: 'endAction' },
      { guard: ({ event }) => event.data.action === 'stop', target: '.stop failed', actions: 'endAction' },
      { target: '.idle', actions: 'endAction' },
    ],
    ActionInterrupted: [
      { guard: ({ event }) => event.data.action === 'start', target: '.start failed', actions: 'interruptAction' },
      { guard: ({ event }) => event.data.action === 'stop', target: '.stop failed', actions: 'interruptAction' },
      { target: '.idle', actions: 'interruptAction' },
    ],
  },
  states: {
    idle: {},
    starting: {},
    stopping: {},
    'start failed': { on: { InstanceCleared: { target: 'idle', actions: 'clear' } } },
    'stop failed': { on: { InstanceCleared: { target: 'idle', actions: 'clear' } } },
  },
});

export type InstanceMachine = typeof instanceMachine;
