import { NotFoundError } from '../../../domain/errors.js';
import type { ClusterAsOf } from '../../../projections/asOf.js';
import { rebuildAsOf } from '../../events/asOfLog.js';
import { loadServiceConfig } from '../../config/serviceStore.js';
import type { LocalConfig } from '../../daemon/readModel.js';
import type { CliContext } from '../context.js';
import { describeBound, parseBound } from './when.js';
import type { LogBound } from './when.js';

/** The read models rebuilt from this node's log up to --at (TIME or seq:N). */
export async function clusterAt(ctx: CliContext, what: string, at: string): Promise<{ readonly model: ClusterAsOf; readonly bound: LogBound }> {
  const bound = parseBound(`${what}: --at`, at, new Date());
  // from the nearest checkpoint of the log (kept beside it, cut every 20,000 records, rebuilt when missing)
  const model = await rebuildAsOf(ctx.paths, 'seq' in bound ? { seq: bound.seq } : { time: bound.time.getTime() }, (m) => ctx.err(`warning: ${m}`));
  if (model.last === undefined) {
    model.stop();
    throw new NotFoundError(`${what}: nothing in the log at or before ${describeBound(bound)}`);
  }
  return { model, bound };
}

/** Where the view stands, said on stderr so stdout is what the command would have printed then. */
export function asOfNote(model: ClusterAsOf, bound: LogBound): string {
  const last = model.last!;
  return `(as of ${describeBound(bound)}: the log up to ${last.event.id}, stream sequence ${last.streamSeq}, ${last.event.time}; rebuilt from the log, configs as it carried them then, this node's file where it carried none)`;
}

/**
 * This node's config of a service then: as its own records carried it, or
 * its file now where they carried none (recorded before configs were).
 */
export async function configThen(ctx: CliContext, model: ClusterAsOf, node: string, svc: string): Promise<LocalConfig | undefined> {
  const logged = model.configs.of(svc, node);
  if (logged !== undefined) return { config: logged, error: undefined };
  try {
    return { config: await loadServiceConfig(ctx.paths, svc, ctx.env), error: undefined };
  } catch (e) {
    return e instanceof NotFoundError ? undefined : { config: undefined, error: (e as Error).message };
  }
}
