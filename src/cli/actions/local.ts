import { driverFor } from '../../action/drivers.js';
import type { ServiceConfig } from '../../../domain/config/types.js';
import { UsageError } from '../../../domain/errors.js';
import { nodename } from '../../config/identity.js';
import { loadServiceConfig } from '../../config/serviceStore.js';
import { openEventSink } from '../../events/open.js';
import type { EventSink } from '../../events/sink.js';
import type { CliContext } from '../context.js';

/** What every local service action needs: the service, the node, the sink. */
export interface LocalService {
  readonly svc: ServiceConfig;
  readonly node: string;
  readonly sink: EventSink;
  readonly signal: AbortSignal;
  readonly driverFor: typeof driverFor;
}

export async function withLocalService<T>(ctx: CliContext, fn: (l: LocalService) => Promise<T>): Promise<T> {
  if (!ctx.svc) throw new UsageError('no service selected: use svcmgr -s SVC ACTION, or the per-service command (svc1 ACTION)');
  const svc = await loadServiceConfig(ctx.paths, ctx.svc, ctx.env);
  const sink = await openEventSink(ctx.paths, ctx.env);
  const ac = new AbortController();
  const onSignal = () => ac.abort(new Error('interrupted'));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await fn({ svc, node: nodename(ctx.env), sink, signal: ac.signal, driverFor });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await sink.close();
  }
}
