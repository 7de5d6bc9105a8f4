import type { ServiceConfig } from '../domain/config/types.js';
import type { InstanceFacts, ServiceFacts } from '../domain/orchestration/decide.js';
import type { InstancesProjection, InstanceState } from './instances.js';

/** What the orchestrator needs of one instance, from its projected state. */
export function instanceFacts(s: InstanceState, monitored: ReadonlySet<string>): InstanceFacts {
  const monitoredDown = Object.entries(s.resources)
    .filter(([rid, r]) => monitored.has(rid) && (r.status === 'down' || r.status === 'warn'))
    .map(([rid]) => rid)
    .sort();
  return {
    avail: s.avail,
    frozen: s.frozen,
    monitorState: s.monitorState,
    expect: s.expect,
    monitoredDown,
    lastAction: s.lastAction ? { action: s.lastAction.action, result: s.lastAction.result, relocation: s.lastAction.relocation, byOrchestrator: s.lastAction.by === 'orchestrator' } : undefined,
  };
}

/**
 * A service as the orchestrator sees it: its config (this node's copy)
 * and every instance the log knows of. The local instance exists as soon as
 * the config does, frozen until a thaw is recorded, as a new service is.
 */
export function serviceFacts(cfg: ServiceConfig, node: string, projection: InstancesProjection): ServiceFacts {
  const monitored = new Set(cfg.resources.filter((r) => r.monitor).map((r) => r.rid));
  const instances: Record<string, InstanceFacts> = {};
  for (const n of new Set([...cfg.nodes, ...projection.nodesOf(cfg.name)])) {
    const s = projection.get(cfg.name, n);
    if (s) instances[n] = instanceFacts(s, monitored);
  }
  instances[node] ??= { avail: 'n/a', frozen: true, monitorState: 'idle', expect: undefined, monitoredDown: [], lastAction: undefined };
  return { name: cfg.name, orchestrate: cfg.orchestrate, topology: cfg.topology, nodes: [...cfg.nodes], instances };
}
