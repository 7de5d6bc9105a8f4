import { allowOnly } from '../args.js';
import type { CliContext } from '../context.js';
import { startDaemon, stopDaemon } from './control.js';

export async function run(ctx: CliContext): Promise<number> {
  allowOnly(ctx.args, 'daemon restart', []);
  const stopped = await stopDaemon(ctx);
  return stopped === 0 ? startDaemon(ctx) : stopped;
}
