import { runDaemon } from '../../daemon/run.js';
import { allowOnly } from '../args.js';
import type { CliContext } from '../context.js';

/** Foreground: for systemd (ExecStart), containers, and `daemon start`'s child. */
export async function run(ctx: CliContext): Promise<number> {
  allowOnly(ctx.args, 'daemon run', []);
  return runDaemon({ paths: ctx.paths, env: ctx.env, out: ctx.out, err: ctx.err });
}
