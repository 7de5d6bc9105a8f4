import path from 'node:path';
import { FileLock } from '../../../adapters/fs/lock.js';
import { ConflictError, UsageError } from '../../../domain/errors.js';
import { clearFailedState } from '../../action/statusCache.js';
import { serviceExists } from '../../config/serviceFiles.js';
import { openEventSink } from '../../events/open.js';
import { allowOnly } from '../args.js';
import type { CliContext } from '../context.js';
import { noExtraWords } from '../svc/options.js';

/**
 * svcmgr -s svc1 clear: the local instance's `start failed` / `stop failed`
 * goes back to idle, and the failed starts and relocations recorded so far
 * no longer make any node of the service a later choice for the daemon
 * (InstanceCleared). The daemon follows the log: it decides again at once.
 */
export async function run(ctx: CliContext): Promise<number> {
  allowOnly(ctx.args, 'clear', []);
  noExtraWords(ctx, 'clear');
  if (!ctx.svc) throw new UsageError('no service selected: use svcmgr -s SVC clear, or the per-service command (svc1 clear)');
  if (!serviceExists(ctx.paths, ctx.svc)) throw new UsageError(`service ${ctx.svc} does not exist`);
  const holder = new FileLock(path.join(ctx.paths.lockDir, `${ctx.svc}.action.lock`)).holder();
  if (holder !== undefined) throw new ConflictError(`${ctx.svc}: an action is running (pid ${holder}): clear once it is done`);
  const sink = await openEventSink(ctx.paths, ctx.env);
  try {
    await sink.append({ type: 'InstanceCleared', svc: ctx.svc, data: {} });
    clearFailedState(ctx.paths, ctx.svc);
  } finally {
    await sink.close();
  }
  return 0;
}
