import { assign, setup } from 'xstate';
import type { AnyEvent } from '../events.js';

export interface InstanceContext {
  readonly svc: string;
  readonly node: string;
  readonly expect: string | undefined;
  /** id of the ActionStarted event of the action in progress */
  readonly actionId: string | undefined;
  readonly lastAction: { readonly action: string; readonly result: string; readonly at: string; readonly relocation: boolean; readonly by: string | undefined } | undefined;
  /** the orchestrator ran the action in progress to relocate the service */
  readonly relocating: boolean;
  /** who runs the action in progress (ActionStarted's user: `orchestrator` for the daemon's own) */
  readonly actionBy: string | undefined;
  readonly deleted: boolean;
  /** frozen: the orchestrator leaves the instance alone (a new instance starts frozen) */
  readonly frozen: boolean;
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
    beginAction: assign(({ event }) => ({
      actionId: event.id,
      relocating: event.type === 'ActionStarted' && event.data.relocation === true,
      actionBy: event.type === 'ActionStarted' ? event.data.user : undefined,
    })),
    endAction: assign(({ event, context }) => {
      if (event.type !== 'ActionFinished') return {};
      const ok = event.data.result === 'ok';
      const expect = event.data.action === 'start' && ok ? 'started' : event.data.action === 'stop' && ok ? undefined : context.expect;
      return {
        actionId: undefined,
        relocating: false,
        actionBy: undefined,
        expect,
        lastAction: { action: event.data.action, result: event.data.result, at: event.time, relocation: context.relocating, by: context.actionBy },
      };
    }),
    clearAction: assign({ actionId: () => undefined }),
    markDeleted: assign(({ event }) => (event.type === 'ServiceDeleted' && event.data.rids.length === 0 ? { deleted: true } : {})),
    revive: assign({ deleted: () => false }),
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
  }),
  on: {
    ServiceDeleted: { actions: 'markDeleted' },
    ServiceCreated: { actions: 'revive' },
    InstanceFrozen: { actions: 'freeze' },
    InstanceThawed: { actions: 'thaw' },
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
      { guard: ({ event }) => event.data.action === 'start', target: '.start failed', actions: 'clearAction' },
      { guard: ({ event }) => event.data.action === 'stop', target: '.stop failed', actions: 'clearAction' },
      { target: '.idle', actions: 'clearAction' },
    ],
  },
  states: {
    idle: {},
    starting: {},
    stopping: {},
    'start failed': {},
    'stop failed': {},
  },
});

export type InstanceMachine = typeof instanceMachine;
