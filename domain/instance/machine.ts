import { assign, setup } from 'xstate';
import type { AnyEvent } from '../events.js';
import type { Avail } from './status.js';

/** What the instance machine remembers of each resource. */
export interface ResourceModel {
  readonly status: Avail;
  readonly label: string;
  /** `info:`/`warn:` lines of the last status evaluation */
  readonly log: readonly string[];
  /** the last lines an action printed for it */
  readonly lastLines: readonly string[];
}

export interface InstanceContext {
  readonly svc: string;
  readonly node: string;
  readonly avail: Avail;
  readonly overall: Avail;
  readonly expect: string | undefined;
  readonly resources: Readonly<Record<string, ResourceModel>>;
  /** id of the ActionStarted event of the action in progress */
  readonly actionId: string | undefined;
  readonly lastAction: { readonly action: string; readonly result: string; readonly at: string } | undefined;
  /** events that named a resource this instance has no status for yet */
  readonly unknownResourceEvents: number;
  readonly deleted: boolean;
}

/** Machine events are the log's events, as they are. */
export type InstanceEvent = AnyEvent;

const LAST_LINES = 20;

function blankResource(): ResourceModel {
  return { status: 'undef', label: '', log: [], lastLines: [] };
}

/**
 * One machine per service instance (service x node). Two regions:
 * the action in progress (idle, starting, stopping, start failed, stop failed)
 * and frozen/thawed. Pure: no side effects, all data comes from events.
 * A new instance is frozen, as a service created with OpenSVC is.
 */
export const instanceMachine = setup({
  types: {
    context: {} as InstanceContext,
    events: {} as InstanceEvent,
    input: {} as { svc: string; node: string },
  },
  actions: {
    beginAction: assign({
      actionId: ({ event }) => event.id,
    }),
    endAction: assign(({ event, context }) => {
      if (event.type !== 'ActionFinished') return {};
      const ok = event.data.result === 'ok';
      const expect = event.data.action === 'start' && ok ? 'started' : event.data.action === 'stop' && ok ? undefined : context.expect;
      return { actionId: undefined, expect, lastAction: { action: event.data.action, result: event.data.result, at: event.time } };
    }),
    clearAction: assign({ actionId: () => undefined }),
    resourceStatus: assign(({ event, context }) => {
      if (event.type !== 'ResourceStatusChanged' || event.rid === undefined) return {};
      const prev = context.resources[event.rid] ?? blankResource();
      return { resources: { ...context.resources, [event.rid]: { ...prev, status: event.data.status as Avail, label: event.data.label, log: event.data.log } } };
    }),
    resourceLine: assign(({ event, context }) => {
      if (event.type !== 'ResourceLogged' || event.rid === undefined) return {};
      const prev = context.resources[event.rid];
      if (prev === undefined) return { unknownResourceEvents: context.unknownResourceEvents + 1, resources: { ...context.resources, [event.rid]: { ...blankResource(), lastLines: [event.data.message] } } };
      return { resources: { ...context.resources, [event.rid]: { ...prev, lastLines: [...prev.lastLines, event.data.message].slice(-LAST_LINES) } } };
    }),
    instanceStatus: assign(({ event }) => (event.type === 'InstanceStatusChanged' ? { avail: event.data.avail as Avail, overall: event.data.overall as Avail } : {})),
    dropResources: assign(({ event, context }) => {
      if (event.type !== 'ServiceDeleted') return {};
      if (event.data.rids.length === 0) return { deleted: true, resources: {} };
      const kept = Object.fromEntries(Object.entries(context.resources).filter(([rid]) => !event.data.rids.includes(rid)));
      return { resources: kept };
    }),
    revive: assign({ deleted: () => false }),
  },
}).createMachine({
  id: 'instance',
  type: 'parallel',
  context: ({ input }) => ({
    svc: input.svc,
    node: input.node,
    avail: 'n/a',
    overall: 'n/a',
    expect: undefined,
    resources: {},
    actionId: undefined,
    lastAction: undefined,
    unknownResourceEvents: 0,
    deleted: false,
  }),
  on: {
    ResourceStatusChanged: { actions: 'resourceStatus' },
    ResourceLogged: { actions: 'resourceLine' },
    InstanceStatusChanged: { actions: 'instanceStatus' },
    ServiceDeleted: { actions: 'dropResources' },
    ServiceCreated: { actions: 'revive' },
  },
  states: {
    action: {
      initial: 'idle',
      states: {
        idle: {},
        starting: {},
        stopping: {},
        'start failed': {},
        'stop failed': {},
      },
      on: {
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
    },
    frozen: {
      initial: 'frozen',
      states: {
        frozen: { on: { InstanceThawed: 'thawed' } },
        thawed: { on: { InstanceFrozen: 'frozen' } },
      },
    },
  },
});

export type InstanceMachine = typeof instanceMachine;
