import { probeInstance, recordStatus } from '../../action/statusCache.js';
import { serviceView } from '../../../projections/statusView.js';
import type { InstanceView, ServiceStatusView } from '../../../projections/statusView.js';
import type { ServiceConfig } from '../../../domain/config/types.js';
import { allowOnly, opt } from '../args.js';
import type { CliContext } from '../context.js';
import { withLocalService } from '../actions/local.js';
import { renderStatus } from './render.js';

function localView(svc: ServiceConfig, local: InstanceView, node: string): ServiceStatusView {
  const peers: InstanceView[] = svc.nodes
    .filter((n) => n !== node)
    .map((n) => ({ node: n, avail: 'undef', overall: 'undef', frozen: false, monitorState: 'idle', expect: undefined, daemonDown: true, resources: [] }));
  return serviceView(svc.name, svc.topology, svc.orchestrate, [...peers, local]);
}

/** With the daemon up, its projection answers, once it holds the status events just appended. */
async function fromDaemon(ctx: CliContext): Promise<ServiceStatusView | undefined> {
  const { daemonRequest } = await import('../../daemon/client.js');
  try {
    const r = await daemonRequest<ServiceStatusView>(ctx.paths, 'GET', `/services/${encodeURIComponent(ctx.svc!)}/status?sync=1`, undefined, { timeoutMs: 8000 });
    return r.status === 200 ? r.body : undefined;
  } catch {
    return undefined;
  }
}

/**
 * print status: the local instance evaluated now (changes appended as
 * events); with the daemon up, the view comes from its projections (peers
 * included), without it peers show `undef  daemon down`.
 */
export async function run(ctx: CliContext): Promise<number> {
  allowOnly(ctx.args, 'print status', ['refresh', 'local']);
  return withLocalService(ctx, async (l) => {
    const deps = { nodename: l.node, paths: ctx.paths, driverFor: l.driverFor, signal: l.signal, sink: l.sink };
    let local: InstanceView;
    try {
      local = await recordStatus(l.svc, deps, undefined);
    } catch {
      local = await probeInstance(l.svc, deps);
    }
    const view = (await fromDaemon(ctx)) ?? localView(l.svc, local, l.node);
    if (opt(ctx.args, 'format') === 'json') ctx.out(JSON.stringify(view, null, 2));
    else for (const line of renderStatus(view, ctx.paint)) ctx.out(line);
    return 0;
  });
}
