import { printHistory } from '../status/printHistory.js';
import type { CliContext } from '../context.js';

/** nodemgr print history: every service's history and the nodes' own events, from this node's log. */
export async function run(ctx: CliContext): Promise<number> {
  return printHistory(ctx, undefined);
}
