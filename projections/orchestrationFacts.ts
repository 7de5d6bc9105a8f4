import type { ServiceConfig } from '../domain/config/types.js';
import type { InstanceFacts, Penalty, ServiceFacts } from '../domain/orchestration/decide.js';
import { placementOrder } from '../domain/orchestration/placement.js';
import type { InstancesProjection, InstanceState } from './instances.js';
import { serviceTarget } from './targets.js';

/** DEFAULT.failure_timeout's default, for a config typed before the keyword existed */
const DEFAULT_FAILURE_TIMEOUT_S = 300;

/** An event time as ms since the epoch; undefined when unreadable. */
function ms(iso: string | undefined): number | undefined {
  if (iso === undefined) return undefined;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? undefined : t;
}

/** What the orchestrator needs of one instance, from its projected state. */
export function instanceFacts(s: InstanceState, monitored: ReadonlySet<string>, restartable: ReadonlySet<string> = new Set()): InstanceFacts {
  const monitoredDown = Object.entries(s.resources)
    .filter(([rid, r]) => monitored.has(rid) && (r.status === 'down' || r.status === 'warn'))
    .map(([rid]) => rid)
    .sort();
  const penalties: Penalty[] = [];
  for (const p of s.penalties) {
    const at = ms(p.at);
    if (at !== undefined) penalties.push({ at, why: p.why });
  }
  const conflictAt = ms(s.conflict?.at);
  // rule 11: an interrupted start that left some of its resources up and others down
  const leftUp = interruptedLeftUp(s);
  const restartableDown = Object.entries(s.resources)
    .filter(([rid, r]) => restartable.has(rid) && (r.status === 'down' || r.status === 'warn'))
    .map(([rid]) => rid)
    .sort();
  return {
    avail: s.avail,
    ...(s.unchecked === true ? { unchecked: true } : {}),
    frozen: s.frozen,
    monitorState: s.monitorState,
    // what the last action left, unless the node lost it since (down at its first check after a start)
    expect: s.downSinceStart === true ? undefined : s.expect,
    monitoredDown,
    penalties,
    conflict: s.conflict !== undefined && conflictAt !== undefined ? { at: conflictAt, count: s.conflict.count, rid: s.conflict.rid } : undefined,
    clearedAt: ms(s.clearedAt),
    restartableDown,
    restarts: s.restarts ?? {},
    ...(s.lastAction !== undefined && ms(s.lastAction.at) !== undefined ? { lastAction: { action: s.lastAction.action, result: s.lastAction.result, at: ms(s.lastAction.at)! } } : {}),
    ...(leftUp.length > 0 ? { interruptedLeftUp: leftUp } : {}),
    ...(s.actionOrphaned === true ? { actionOrphaned: true } : {}),
  };
}

/**
 * The resources an interrupted start (its daemon killed) left up, when it
 * left others of its own down: what a rollback stops. None when it brought
 * all of them up (it ran to its end but for its record) or none.
 * A start recorded before its rids were kept: every resource of the instance.
 */
function interruptedLeftUp(s: InstanceState): string[] {
  const a = s.lastAction;
  if (s.monitorState !== 'start failed' || a?.action !== 'start' || a.result !== 'interrupted') return [];
  const rids = a.rids ?? Object.keys(s.resources);
  const up = rids.filter((r) => s.resources[r]?.status === 'up');
  const down = rids.filter((r) => s.resources[r]?.status === 'down');
  return down.length > 0 ? up.sort() : [];
}

/**
 * A service as the orchestrator sees it: its config (this node's copy)
 * and every instance the log knows of. The local instance exists as soon as
 * the config does, frozen until a thaw is recorded, as a new service is.
 */
export function serviceFacts(cfg: ServiceConfig, node: string, projection: InstancesProjection): ServiceFacts {
  const monitored = new Set(cfg.resources.filter((r) => r.monitor).map((r) => r.rid));
  const restartLimits = Object.fromEntries(cfg.resources.filter((r) => r.restart > 0 && !r.disable).map((r) => [r.rid, r.restart]));
  const restartable = new Set(Object.keys(restartLimits));
  const instances: Record<string, InstanceFacts> = {};
  const states: InstanceState[] = [];
  for (const n of new Set([...cfg.nodes, ...projection.nodesOf(cfg.name)])) {
    const s = projection.get(cfg.name, n);
    if (s) {
      instances[n] = instanceFacts(s, monitored, restartable);
      states.push(s);
    }
  }
  const t = serviceTarget(states);
  const at = ms(t?.at);
  instances[node] ??= { avail: 'n/a', frozen: true, monitorState: 'idle', expect: undefined, monitoredDown: [], penalties: [], conflict: undefined, clearedAt: undefined };
  const timeout = cfg.defaults.failure_timeout;
  return {
    name: cfg.name,
    orchestrate: cfg.orchestrate,
    topology: cfg.topology,
    nodes: placementOrder(cfg.name, cfg.placement, cfg.nodes),
    instances,
    failureTimeoutMs: (typeof timeout === 'number' ? timeout : DEFAULT_FAILURE_TIMEOUT_S) * 1000,
    restartLimits,
    ...(cfg.defaults.disable === true ? { disabled: true } : {}),
    ...(t !== undefined && at !== undefined ? { target: { id: t.id, target: t.target, node: t.node, action: t.action, by: t.by, origin: t.origin, at } } : {}),
  };
}
