import { allowOnly } from '../args.js';
import type { CliContext } from '../context.js';
import { stopDaemon } from './control.js';

export async function run(ctx: CliContext): Promise<number> {
  allowOnly(ctx.args, 'daemon stop', []);
  return stopDaemon(ctx);
}
