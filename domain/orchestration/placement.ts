/**
 * The placement order of a service's nodes (DEFAULT.placement), the
 * preferred first. Every node computes it from the same config, so every
 * node agrees on which one starts the service, without a message.
 *
 *  - nodes order: the nodes as written in DEFAULT.nodes;
 *  - spread: OpenSVC's "static random ranking": the nodes sorted by a hash
 *    of the service name and the node name. Static, so a service does not
 *    move when nothing changed; per service, so many services level out
 *    over the nodes instead of all preferring the first one written.
 *
 * `load avg` is refused when the config is validated (domain/config/schema.ts):
 * the nodes share no load average for a decision to replay from the log.
 */
export function placementOrder(svc: string, placement: string, nodes: readonly string[]): string[] {
  if (placement !== 'spread') return [...nodes];
  const rank = new Map(nodes.map((n) => [n, fnv1a(`${svc}\u0000${n}`)]));
  return [...nodes].sort((a, b) => rank.get(a)! - rank.get(b)! || (a < b ? -1 : a > b ? 1 : 0));
}

/** 32-bit FNV-1a over the UTF-16 code units: small, stable across versions and platforms, no crypto needed for a ranking. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
