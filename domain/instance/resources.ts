import type { AnyEvent } from '../events.js';
import type { Avail } from './status.js';

/** What the read side remembers of each resource of an instance. */
export interface ResourceModel {
  readonly status: Avail;
  readonly label: string;
  /** its last log lines: the `info:`/`warn:` lines of the last status evaluation, shown under it by print status */
  readonly log: readonly string[];
}

export type ResourceModels = Readonly<Record<string, ResourceModel>>;

/** The instance's aggregated availability, as its last InstanceStatusChanged said. */
export interface InstanceAvail {
  readonly avail: Avail;
  readonly overall: Avail;
  /**
   * recorded before its node's daemon last started (DaemonStarted), and not
   * checked since: what ran before a power loss or a crash, not what runs now
   */
  readonly unchecked?: true;
  /**
   * its first check since its daemon started found it down: whatever an
   * action left it expecting (started) was lost with the node (a power loss)
   */
  readonly downSinceStart?: true;
}

export const UNKNOWN_AVAIL: InstanceAvail = { avail: 'n/a', overall: 'n/a' };

/** Data, not a state change: reduced beside the machine like the resources. */
export function evolveAvail(a: InstanceAvail, e: AnyEvent): InstanceAvail {
  if (e.type === 'InstanceStatusChanged') {
    const next = { avail: e.data.avail as Avail, overall: e.data.overall as Avail };
    return a.unchecked === true && next.avail === 'down' ? { ...next, downSinceStart: true } : next;
  }
  // the event of the instance's own node, as apply() routes it
  if (e.type === 'DaemonStarted') return { ...a, unchecked: true };
  return a;
}

/**
 * Per-resource details of an instance, reduced from its events. Kept beside
 * the instance machine rather than in its context: these are the most
 * frequent events and carry data, not state changes, and going through the
 * machine made a replay several times slower. Returns the same object when
 * the event does not concern resources. The lines an action printed
 * (ResourceLogged, the most frequent events of all) are not kept: they went
 * to whoever ran the action and stay in the log, and a replay need not read
 * them.
 */
export function evolveResources(m: ResourceModels, e: AnyEvent): ResourceModels {
  switch (e.type) {
    case 'ResourceStatusChanged': {
      if (e.rid === undefined) return m;
      // a computed key in the literal takes V8's slow path: copy, then set
      const next: Record<string, ResourceModel> = { ...m };
      next[e.rid] = { status: e.data.status as Avail, label: e.data.label, log: e.data.log };
      return next;
    }
    case 'ServiceDeleted': {
      if (e.data.rids.length === 0) return {};
      return Object.fromEntries(Object.entries(m).filter(([rid]) => !e.data.rids.includes(rid)));
    }
    default:
      return m;
  }
}
