import { serviceView } from '../../../projections/statusView.js';
import type { InstanceView, ServiceStatusView } from '../../../projections/statusView.js';
import type { ServiceConfig } from '../../../domain/config/types.js';
import { UsageError } from '../../../domain/errors.js';
import { allowOnly, opt } from '../args.js';
import type { CliContext } from '../context.js';
import { renderStatus } from './render.js';
import { nodename } from '../../config/identity.js';

function localView(svc: ServiceConfig, local: InstanceView, node: string): ServiceStatusView {
  const peers: InstanceView[] = svc.nodes
    .filter((n) => n !== node)
    .map((n) => ({ node: n, avail: 'undef', overall: 'undef', frozen: false, monitorState: 'idle', expect: undefined, daemonDown: true, resources: [] }));
  return serviceView(svc.name, svc.topology, svc.orchestrate, [...peers, local]);
}

/**
 * With the daemon up, its projections answer — after catching up with the
 * stream, so what was just done shows — and nothing is probed: the
 * scheduler keeps statuses current. undefined when no daemon answers.
 */
async function fromDaemon(ctx: CliContext, svc: string): Promise<ServiceStatusView | undefined> {
  const { daemonRequest } = await import('../../daemon/client.js');
  let r;
  try {
    r = await daemonRequest<ServiceStatusView>(ctx.paths, 'GET', `/services/${encodeURIComponent(svc)}/status?sync=1`, undefined, { timeoutMs: 8000 });
  } catch {
    return undefined;
  }
  // not 200 (a service the daemon has not seen yet): computed here, which also says when it does not exist
  return r.status === 200 ? r.body : undefined;
}

/** Without the daemon: probe the local instance now (changes appended as events); peers are `undef  daemon down`. */
async function computedHere(ctx: CliContext): Promise<ServiceStatusView> {
  const [{ withLocalService }, { probeInstance, recordStatus }] = await Promise.all([import('../actions/local.js'), import('../../action/statusCache.js')]);
  return withLocalService(ctx, async (l) => {
    const deps = { nodename: l.node, paths: ctx.paths, driverFor: l.driverFor, signal: l.signal, sink: l.sink };
    let local: InstanceView;
    try {
      local = await recordStatus(l.svc, deps, undefined);
    } catch {
      local = await probeInstance(l.svc, deps);
    }
    return localView(l.svc, local, l.node);
  });
}

/** The local instance has resources the log holds no status for yet. */
function neverEvaluated(v: ServiceStatusView, node: string): boolean {
  const local = v.instances.find((i) => i.node === node);
  return local !== undefined && local.resources.some((r) => r.status === 'undef');
}

export async function run(ctx: CliContext): Promise<number> {
  allowOnly(ctx.args, 'print status', ['refresh', 'local']);
  if (!ctx.svc) throw new UsageError('no service selected: use svcmgr -s SVC print status, or the per-service command (svc1 print status)');
  let view = await fromDaemon(ctx, ctx.svc);
  if (view && neverEvaluated(view, nodename(ctx.env))) {
    // a service created or changed since the daemon last looked: evaluate it now, once, and record it
    const here = await computedHere(ctx);
    view = (await fromDaemon(ctx, ctx.svc)) ?? here;
  }
  view ??= await computedHere(ctx);
  if (opt(ctx.args, 'format') === 'json') ctx.out(JSON.stringify(view, null, 2));
  else for (const line of renderStatus(view, ctx.paint)) ctx.out(line);
  return 0;
}
