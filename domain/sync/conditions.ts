/**
 * `sync nodes`: which peers get the service config, and why the others
 * don't. The tutorial's conditions, checked on the sending node:
 *  - the target is declared in the service's nodes (or drpnodes);
 *  - the sending node runs the service: its avail, apps excluded, is up;
 *  - the previous sync to that target is older than sync_min_delay, or --force.
 * The fourth one (the sender is trusted: the request is signed with the
 * cluster secret) is the receiving node's to check.
 * Pure: time and states are passed in.
 */

export interface SyncInput {
  readonly svc: string;
  /** this node */
  readonly from: string;
  readonly nodes: readonly string[];
  readonly drpnodes: readonly string[];
  /** the nodes asked for (--node), or undefined for every other node of the service */
  readonly asked: readonly string[] | undefined;
  /** the local instance's avail, app and sync resources left out */
  readonly availAppsExcluded: string;
  /** ms since epoch of the last sync to each node */
  readonly lastSync: Readonly<Record<string, number | undefined>>;
  /** seconds */
  readonly minDelay: number;
  readonly force: boolean;
  /** ms since epoch */
  readonly now: number;
}

export type SyncVerdict = { readonly node: string; readonly send: true } | { readonly node: string; readonly send: false; readonly reason: string };

/** `5m`, `1h30m`, `42s`: the delays in refusals, as a user writes them. */
export function formatDelay(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return `${h > 0 ? `${h}h` : ''}${m > 0 ? `${m}m` : ''}${r > 0 ? `${r}s` : ''}`;
}

/** The peers a sync goes to: nodes then drpnodes, this node left out, each once. */
export function syncTargets(from: string, nodes: readonly string[], drpnodes: readonly string[]): string[] {
  return [...new Set([...nodes, ...drpnodes])].filter((n) => n !== from);
}

export function decideSync(i: SyncInput): SyncVerdict[] {
  const declared = new Set([...i.nodes, ...i.drpnodes]);
  const targets = i.asked ?? syncTargets(i.from, i.nodes, i.drpnodes);
  return targets.map((node): SyncVerdict => {
    if (node === i.from) return { node, send: false, reason: `${node} is this node: nothing to send` };
    if (!declared.has(node)) return { node, send: false, reason: `${node} is not in ${i.svc} nodes or drpnodes: not sent` };
    if (i.availAppsExcluded !== 'up') return { node, send: false, reason: `${i.svc} is not up on ${i.from}, apps excluded: not sent` };
    const last = i.lastSync[node];
    if (!i.force && last !== undefined) {
      const age = (i.now - last) / 1000;
      if (age >= 0 && age < i.minDelay) {
        return { node, send: false, reason: `the last sync to ${node} was ${formatDelay(age)} ago, less than sync_min_delay ${formatDelay(i.minDelay)}: not sent (--force to send now)` };
      }
    }
    return { node, send: true };
  });
}
