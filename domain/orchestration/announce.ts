import type { AnyEvent } from '../events.js';

/** A service whose addresses this node announces again (gratuitous ARP), and why. */
export interface Announcement {
  readonly svc: string;
  readonly reason: string;
}

/**
 * After a partition heals, the neighbours' ARP caches may point at the other
 * side's copy of an address (the last one announced). The node that keeps the
 * service tells them again:
 *  - when a peer it had lost or cut off is up again (PeerStateChanged it
 *    recorded: to up, from alive, lost or down): every service running here;
 *  - when a peer's stop of a service running here finishes (the healed
 *    duplicate stopped by rule 7): that service, as the other copy's MAC was
 *    the last one its neighbours may have heard.
 * `runningHere` says whether the service runs on this node (avail up or warn).
 */
export function announcements(e: AnyEvent, node: string, runningHere: (svc: string) => boolean, servicesHere: () => readonly string[]): Announcement[] {
  if (e.type === 'PeerStateChanged' && e.origin === node) {
    const from = e.data.from;
    if (e.data.to !== 'up' || (from !== 'alive' && from !== 'lost' && from !== 'down')) return [];
    return servicesHere()
      .filter(runningHere)
      .map((svc) => ({ svc, reason: `${e.data.node} up again (was ${from})` }));
  }
  if (e.type === 'ActionFinished' && e.origin !== node && e.svc !== undefined && e.data.action === 'stop' && runningHere(e.svc)) {
    return [{ svc: e.svc, reason: `${e.origin} stopped its copy` }];
  }
  return [];
}
