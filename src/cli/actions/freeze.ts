import { UsageError } from '../../../domain/errors.js';
import { setFrozen } from '../../action/statusCache.js';
import { serviceExists } from '../../config/serviceFiles.js';
import { openEventSink } from '../../events/open.js';
import { allowOnly } from '../args.js';
import type { CliContext } from '../context.js';

/**
 * freeze / thaw the local instance: a frozen instance is never started or
 * stopped by the daemon's orchestration. The flag file is the fast local
 * read; the event is the record.
 */
function freezeCommand(frozen: boolean) {
  return {
    async run(ctx: CliContext): Promise<number> {
      allowOnly(ctx.args, frozen ? 'freeze' : 'thaw', ['local']);
      if (!ctx.svc) throw new UsageError('no service selected: use svcmgr -s SVC ACTION');
      if (!serviceExists(ctx.paths, ctx.svc)) throw new UsageError(`service ${ctx.svc} does not exist`);
      const sink = await openEventSink(ctx.paths, ctx.env);
      try {
        await sink.append({ type: frozen ? 'InstanceFrozen' : 'InstanceThawed', svc: ctx.svc, data: {} });
        setFrozen(ctx.paths, ctx.svc, frozen);
      } finally {
        await sink.close();
      }
      return 0;
    },
  };
}

export const freeze = freezeCommand(true);
export const thaw = freezeCommand(false);
