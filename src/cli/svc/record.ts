import type { ConfigChange } from '../../config/events.js';
import { recordConfigChange } from '../../config/events.js';
import type { CliContext } from '../context.js';

/**
 * Append the events of a config change that is already written. The change
 * stands either way; a failure to record it is reported and makes the
 * command exit 1, so scripts notice.
 */
export async function record(ctx: CliContext, changes: readonly ConfigChange[]): Promise<number> {
  if (changes.length === 0) return 0;
  try {
    const { openEventSink } = await import('../../events/open.js');
    const sink = await openEventSink(ctx.paths, ctx.env);
    try {
      for (const c of changes) await recordConfigChange(sink, c);
    } finally {
      await sink.close();
    }
    return 0;
  } catch (e) {
    ctx.err(`the config change is done, but its event could not be recorded: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
}
