import type { Applied } from '../../../projections/instances.js';
import { readLocalLog } from '../../events/localLog.js';
import type { ReadLogOptions } from '../../events/localLog.js';
import type { CliContext } from '../context.js';

/**
 * This node's log, in order, the events a command reads (the stream through
 * the daemon's nats-server, or one of our own when the daemon is down, then
 * the spool). Invalid records are warned about and skipped.
 */
export async function readLog(ctx: CliContext, o: Omit<ReadLogOptions, 'onInvalid'>, keep: (a: Applied) => boolean = () => true): Promise<Applied[]> {
  const out: Applied[] = [];
  await readLocalLog(ctx.paths, { ...o, onInvalid: (m) => ctx.err(`warning: ${m}`) }, (a) => {
    if (keep(a)) out.push(a);
  });
  return out;
}
