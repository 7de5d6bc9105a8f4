import type { ResourceConfig, ServiceConfig } from '../config/types.js';
import { kwNumber } from '../config/types.js';

export type ActionName = 'start' | 'stop';

/**
 * Start order: ip, then disk, then fs, then app — the tutorial's
 * "check ip, bring up ip, activate vg, fsck + mount, launch apps". Inside a
 * kind, file order, except apps, ordered by their `start` number.
 * sync resources are not started or stopped by start/stop: they run on `sync`.
 */
const KIND_RANK: Readonly<Record<string, number>> = { ip: 1, disk: 2, fs: 3, app: 4 };

export function takesPartIn(r: ResourceConfig): boolean {
  return Object.hasOwn(KIND_RANK, r.driver);
}

function byKindThenFileOrder(resources: readonly ResourceConfig[], appKey: (r: ResourceConfig) => number): ResourceConfig[] {
  const indexed = resources.filter(takesPartIn).map((r, i) => ({ r, i }));
  indexed.sort((a, b) => {
    const ka = KIND_RANK[a.r.driver]!;
    const kb = KIND_RANK[b.r.driver]!;
    if (ka !== kb) return ka - kb;
    if (a.r.driver === 'app') {
      const d = appKey(a.r) - appKey(b.r);
      if (d !== 0) return d;
    }
    return a.i - b.i;
  });
  return indexed.map((x) => x.r);
}

export function startOrder(resources: readonly ResourceConfig[]): ResourceConfig[] {
  return byKindThenFileOrder(resources, (r) => kwNumber(r, 'start') ?? Number.MAX_SAFE_INTEGER);
}

/**
 * Stop order is the exact reverse of the start order (rollback included);
 * apps are stopped by their `stop` number, lowest first, where set.
 */
export function stopOrder(resources: readonly ResourceConfig[]): ResourceConfig[] {
  const reversed = startOrder(resources).reverse();
  const apps = reversed.filter((r) => r.driver === 'app');
  const others = reversed.filter((r) => r.driver !== 'app');
  const keyed = apps.map((r, i) => ({ r, i, k: kwNumber(r, 'stop') }));
  keyed.sort((a, b) => (a.k !== undefined && b.k !== undefined && a.k !== b.k ? a.k - b.k : a.i - b.i));
  return [...keyed.map((x) => x.r), ...others];
}

export interface Selection {
  readonly rids?: readonly string[];
  readonly tags?: readonly string[];
  readonly subsets?: readonly string[];
}

export interface Step {
  readonly conf: ResourceConfig;
  /** why the step does nothing: disabled, not selected */
  readonly skip?: string;
}

/** rid selection accepts a rid (`fs#app`) or a whole kind (`fs`), as OpenSVC does. */
function selected(r: ResourceConfig, sel: Selection): boolean {
  const byRid = !sel.rids?.length || sel.rids.some((x) => x === r.rid || x === r.driver);
  const byTag = !sel.tags?.length || sel.tags.some((t) => r.tags.includes(t));
  const bySubset = !sel.subsets?.length || (r.subset !== undefined && sel.subsets.includes(r.subset));
  return byRid && byTag && bySubset;
}

export type PlanResult = { ok: true; steps: Step[] } | { ok: false; reason: string };

/** The ordered steps of an action on a service, before anything runs. */
export function planAction(svc: ServiceConfig, action: ActionName, sel: Selection): PlanResult {
  for (const rid of sel.rids ?? []) {
    if (!svc.resources.some((r) => r.rid === rid || r.driver === rid)) {
      return { ok: false, reason: `${svc.name}: no resource ${rid} (resources: ${svc.resources.map((r) => r.rid).join(', ')})` };
    }
  }
  const ordered = action === 'start' ? startOrder(svc.resources) : stopOrder(svc.resources);
  const steps = ordered.map((conf): Step => {
    if (!selected(conf, sel)) return { conf, skip: 'not selected' };
    if (conf.disable) return { conf, skip: 'disabled' };
    return { conf };
  });
  if ((sel.rids?.length || sel.tags?.length || sel.subsets?.length) && steps.every((s) => s.skip !== undefined)) {
    return { ok: false, reason: `${svc.name}: the selection matches no resource that ${action} acts on` };
  }
  return { ok: true, steps };
}

/** What a failed start undoes: what this action started, in stop order. */
export function rollbackSteps(started: readonly ResourceConfig[]): ResourceConfig[] {
  const set = new Set(started.map((r) => r.rid));
  return stopOrder(started).filter((r) => set.has(r.rid));
}
