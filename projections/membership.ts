import type { AnyEvent, EventType } from '../domain/events.js';

/** The events that make a node a member of the cluster or take it out. */
export const MEMBERSHIP_TYPES: readonly EventType[] = ['NodeJoined', 'NodeLeft', 'NodeRemoved'];

export type Membership = 'member' | 'gone';

/** Whom a membership event is about, and what it says of it; undefined for any other event (or a NodeLeft recorded for another node: nobody leaves for someone else). */
export function membershipEvent(e: AnyEvent): { readonly node: string; readonly says: Membership } | undefined {
  switch (e.type) {
    case 'NodeJoined':
      return { node: e.data.node, says: 'member' };
    case 'NodeLeft':
      return e.data.node === e.origin ? { node: e.data.node, says: 'gone' } : undefined;
    case 'NodeRemoved':
      return { node: e.data.node, says: 'gone' };
    default:
      return undefined;
  }
}

/**
 * Whether a node is a member, as the log says: the newest of its joins,
 * leaves and removals, by event time then id. Every node reads the same
 * from the same events whatever order its stream holds them in (each
 * origin's events reach it in order, the origins interleaved as they came):
 * a leave heard after the rejoin that followed it changes nothing.
 * undefined: the log says nothing of it.
 */
export function membershipOf(node: string, events: Iterable<AnyEvent>): Membership | undefined {
  let newest: { readonly time: string; readonly id: string; readonly says: Membership } | undefined;
  for (const e of events) {
    const m = membershipEvent(e);
    if (m === undefined || m.node !== node) continue;
    if (newest === undefined || e.time > newest.time || (e.time === newest.time && e.id > newest.id)) newest = { time: e.time, id: e.id, says: m.says };
  }
  return newest?.says;
}
