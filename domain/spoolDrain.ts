import type { AnyEvent } from './events.js';

/**
 * What a drain of the spool does with each spooled event, given the cluster
 * whose stream is open now and, per origin, the last sequence that stream
 * holds.
 *
 * The spool only delays an event: it goes to the log of the cluster it was
 * recorded in, as it would have with the daemon up. An event stamped with
 * another cluster name was recorded before this node took the current one
 * (`nodemgr daemon join` with the daemon down): it is history of the node's
 * previous cluster — its services, its members — and appended here it would
 * tell the joined cluster's nodes (and their decisions) things said in
 * another cluster. It is kept aside, not appended, not dropped.
 *
 * Except when the origin already has events in this cluster's stream (or
 * earlier in the spool): then the event was recorded after the change by a
 * process that read the old name, and its sequence has its place in this
 * log. Kept aside it would leave a hole in the origin's sequence, which
 * peers refuse (they append only last + 1), stopping the node's replication:
 * it is appended, re-stamped with the current cluster name, id unchanged.
 */
export interface DrainPlan {
  /** in spool order, every one stamped with the current cluster */
  readonly append: readonly AnyEvent[];
  /** of the events appended, those re-stamped from another cluster name */
  readonly restamped: readonly AnyEvent[];
  /** events of another cluster, as spooled */
  readonly keptAside: readonly AnyEvent[];
  /** already in the stream (a drain interrupted after its append) */
  readonly stored: number;
}

/** keptBefore: ids already kept aside, by a drain interrupted before the spool was emptied: the same decision again. */
export function planDrain(spooled: readonly AnyEvent[], cluster: string, lastSeq: ReadonlyMap<string, number>, keptBefore: ReadonlySet<string> = new Set()): DrainPlan {
  const at = new Map(lastSeq);
  const append: AnyEvent[] = [];
  const restamped: AnyEvent[] = [];
  const keptAside: AnyEvent[] = [];
  let stored = 0;
  for (const e of spooled) {
    const last = at.get(e.origin) ?? 0;
    if (e.cluster !== cluster && (last === 0 || keptBefore.has(e.id))) {
      keptAside.push(e);
      continue;
    }
    if (e.seq <= last) {
      stored++;
      continue;
    }
    if (e.cluster === cluster) append.push(e);
    else {
      const moved = { ...e, cluster } as AnyEvent;
      append.push(moved);
      restamped.push(moved);
    }
    at.set(e.origin, e.seq);
  }
  return { append, restamped, keptAside, stored };
}

/** The other clusters' names, in order of first appearance. */
export function clustersOf(events: readonly AnyEvent[]): string[] {
  return [...new Set(events.map((e) => e.cluster))];
}
