import type { TargetRequest } from '../domain/instance/machine.js';

/** A service's target as every node sees it: the request, and the node it was requested on. */
export interface ActiveTarget extends TargetRequest {
  readonly origin: string;
}

/** What serviceTarget reads of each instance (InstanceState has it; an older snapshot may lack the fields). */
export interface TargetHolder {
  readonly node: string;
  readonly target?: TargetRequest | undefined;
  readonly targetsEnded?: readonly string[] | undefined;
}

/** started, stopped, placed@node2: the target as svcmon and print status show it (OpenSVC's global expect). */
export function targetLabel(t: Pick<TargetRequest, 'target' | 'node'>): string {
  return t.target === 'placed' ? `placed@${t.node ?? '?'}` : t.target;
}

/**
 * The service's target: the newest requested on any node (event time, then
 * id: every node picks the same from the same events, whatever order its
 * log holds them in), unless a node recorded it reached, failed or aborted.
 * A newer request replaces an older one, ended or not.
 */
export function serviceTarget(instances: Iterable<TargetHolder>): ActiveTarget | undefined {
  let newest: ActiveTarget | undefined;
  const ended = new Set<string>();
  for (const i of instances) {
    for (const id of i.targetsEnded ?? []) ended.add(id);
    const t = i.target;
    if (t === undefined) continue;
    if (newest === undefined || t.at > newest.at || (t.at === newest.at && t.id > newest.id)) newest = { ...t, origin: i.node };
  }
  return newest !== undefined && !ended.has(newest.id) ? newest : undefined;
}

/** The service's target from the instances projection: every node's instance of it the log knows. */
export function targetOf(projection: { nodesOf(svc: string): string[]; get(svc: string, node: string): TargetHolder | undefined }, svc: string): ActiveTarget | undefined {
  return serviceTarget(projection.nodesOf(svc).flatMap((n) => projection.get(svc, n) ?? []));
}
