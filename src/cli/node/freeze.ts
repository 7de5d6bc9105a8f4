import { openEventSink } from '../../events/open.js';
import { allowOnly } from '../args.js';
import type { CliContext, CommandModule } from '../context.js';
import { noExtraWords } from '../svc/options.js';

/**
 * nodemgr freeze / thaw: this node's orchestration, as OpenSVC's. Frozen,
 * the daemon here starts and stops nothing by itself, and the other nodes
 * pass it over when they place a service (NodeFrozen reaches them in the
 * log); an operator's target still applies. Daemon up or down: the event
 * is the record, spooled when NATS is not reachable.
 */
function nodeFreeze(frozen: boolean): CommandModule {
  return {
    async run(ctx: CliContext): Promise<number> {
      const action = frozen ? 'freeze' : 'thaw';
      allowOnly(ctx.args, action, []);
      noExtraWords(ctx, action);
      const sink = await openEventSink(ctx.paths, ctx.env);
      try {
        await sink.append({ type: frozen ? 'NodeFrozen' : 'NodeThawed', data: {} });
      } finally {
        await sink.close();
      }
      return 0;
    },
  };
}

export const freeze = nodeFreeze(true);
export const thaw = nodeFreeze(false);
