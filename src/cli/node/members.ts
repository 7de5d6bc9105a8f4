import { nodename } from '../../config/identity.js';
import { loadNodeConfig } from '../../config/nodeConfig.js';
import type { ConfigChange } from '../../config/events.js';
import type { CliContext } from '../context.js';

/** cluster.nodes as node.conf and cluster.conf say now; undefined while they do not load (an edit fixing them). */
export function membersNow(ctx: CliContext): readonly string[] | undefined {
  try {
    return loadNodeConfig(ctx.paths, ctx.env).cluster.nodes;
  } catch {
    return undefined;
  }
}

/**
 * The nodes an edit took out of cluster.nodes, as NodeRemoved events: every
 * other node hears of it in the log and takes them out too. This node is
 * never one of them (it leaves with `nodemgr daemon leave`).
 */
export function removals(ctx: CliContext, before: readonly string[] | undefined, after: readonly string[] | undefined): ConfigChange[] {
  if (before === undefined || after === undefined) return [];
  const me = nodename(ctx.env);
  return before.filter((n) => n !== me && !after.includes(n)).map((node) => ({ type: 'NodeRemoved' as const, node }));
}
