import { refuseTarget, targetText } from '../../domain/orchestration/decide.js';
import type { ClusterFacts, ServiceFacts } from '../../domain/orchestration/decide.js';
import type { EventSink } from '../events/sink.js';
import type { TargetBody } from './api.js';

export interface TargetDeps {
  readonly sink: EventSink;
  /** the orchestrator's view of the service and the cluster, read your writes (the projections caught up) */
  readonly view: (svc: string) => Promise<{ readonly cluster: ClusterFacts; readonly service: ServiceFacts } | { readonly error: string }>;
  /** the last stream sequence the projections applied: a client following the log from there sees the target end */
  readonly lastSeq: () => number;
  /** decide again now */
  readonly poke: () => void;
}

/** What POST /services/<svc>/target answers: the request recorded, or why not. */
export interface TargetAnswer {
  readonly status: number;
  readonly body: { readonly error: string } | { readonly id: string; readonly target: string; readonly since: number; readonly replaced?: string; /** the request's event time: a request on another node replaces it only when newer (projections/targets.ts) */ readonly at?: string };
}

/**
 * An operator's target (svcmgr start, stop, switch, takeover, giveback) is
 * checked against what this node knows of the cluster, then recorded: every
 * node's orchestrator drives its own instance toward it. An abort records
 * the end of the current one. Refusals are one line, for the terminal.
 */
export async function requestTarget(d: TargetDeps, svc: string, req: TargetBody): Promise<TargetAnswer> {
  const v = await d.view(svc);
  if ('error' in v) return { status: 404, body: { error: v.error } };
  const since = d.lastSeq();
  const current = v.service.target;
  if (req.target === 'aborted') {
    if (current === undefined) return { status: 409, body: { error: `${svc} has no target to abort` } };
    const e = await d.sink.append({ type: 'ServiceTargetAborted', svc, causation: current.id, data: { of: current.id, target: targetText(current), by: req.by } });
    d.poke();
    return { status: 200, body: { id: e.id, target: targetText(current), since } };
  }
  const t = { target: req.target, node: req.node };
  const refused = refuseTarget(v.cluster, v.service, t);
  if (refused !== undefined) return { status: 409, body: { error: refused } };
  const e = await d.sink.append({ type: 'ServiceTargetRequested', svc, ...(req.causation !== undefined ? { causation: req.causation } : {}), data: { target: req.target, ...(req.node !== undefined ? { node: req.node } : {}), action: req.action, by: req.by } });
  d.poke();
  return { status: 200, body: { id: e.id, target: targetText(t), since, at: e.time, ...(current !== undefined ? { replaced: targetText(current) } : {}) } };
}
