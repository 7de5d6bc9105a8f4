import { serviceView } from '../../../projections/statusView.js';
import type { InstanceView, ServiceStatusView } from '../../../projections/statusView.js';
import type { ServiceConfig } from '../../../domain/config/types.js';
import { UsageError } from '../../../domain/errors.js';
import { allowOnly, flag, opt } from '../args.js';
import type { CliContext } from '../context.js';
import { renderStatus } from './render.js';
import { nodename } from '../../config/identity.js';
import { loadServiceConfig } from '../../config/serviceStore.js';

function localView(svc: ServiceConfig, local: InstanceView, node: string): ServiceStatusView {
  const peers: InstanceView[] = svc.nodes
    .filter((n) => n !== node)
    .map((n) => ({ node: n, avail: 'undef', overall: 'undef', frozen: false, monitorState: 'idle', expect: undefined, daemonDown: true, resources: [] }));
  return serviceView(svc.name, svc.topology, svc.orchestrate, [...peers, local]);
}

type DaemonAnswer = { readonly up: true; readonly view: ServiceStatusView | undefined } | { readonly up: false; readonly why: string };

/**
 * With the daemon up, its projections answer — after catching up with the
 * stream, so what was just done shows — and nothing is probed: the
 * scheduler keeps statuses current. view undefined: a service the daemon
 * has not seen yet.
 */
async function fromDaemon(ctx: CliContext, svc: string): Promise<DaemonAnswer> {
  const { daemonRequest, DaemonDownError } = await import('../../daemon/client.js');
  try {
    const r = await daemonRequest<ServiceStatusView>(ctx.paths, 'GET', `/services/${encodeURIComponent(svc)}/status?sync=1`, undefined, { timeoutMs: 8000 });
    return { up: true, view: r.status === 200 ? r.body : undefined };
  } catch (e) {
    return { up: false, why: e instanceof DaemonDownError ? 'daemon down' : 'daemon not answering' };
  }
}

/** The daemon probes the local instance now and records what changed: the CLI itself writes nothing. */
async function refreshedByDaemon(ctx: CliContext, svc: string): Promise<ServiceStatusView> {
  const { daemonJson } = await import('../../daemon/client.js');
  return daemonJson<ServiceStatusView>(ctx.paths, 'POST', `/services/${encodeURIComponent(svc)}/status`, undefined, { timeoutMs: 120_000 });
}

/**
 * Daemon down: frozen and the last action's state from the log, the
 * resources probed now. Nothing is recorded (no event, no cache): a read
 * never writes. Peers are `undef  daemon down`.
 */
async function probedHere(ctx: CliContext, svc: ServiceConfig): Promise<ServiceStatusView> {
  const [{ driverFor }, { probeInstance }, { readLocalLog }, { InstancesProjection }] = await Promise.all([
    import('../../action/drivers.js'),
    import('../../action/statusCache.js'),
    import('../../events/localLog.js'),
    import('../../../projections/instances.js'),
  ]);
  const node = nodename(ctx.env);
  const projection = new InstancesProjection();
  const ac = new AbortController();
  const onSignal = () => ac.abort(new Error('interrupted'));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await readLocalLog(ctx.paths, { svc: svc.name, types: InstancesProjection.consumes, onInvalid: (m) => ctx.err(`warning: ${m}`) }, (a) => projection.apply(a));
    const logged = projection.get(svc.name, node);
    const probed = await probeInstance(svc, { nodename: node, paths: ctx.paths, driverFor, signal: ac.signal });
    const local = logged ? { ...probed, frozen: logged.frozen, monitorState: logged.monitorState, expect: logged.expect } : probed;
    return localView(svc, local, node);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    projection.stop();
  }
}

/** The local instance has resources the log holds no status for yet. */
function neverEvaluated(v: ServiceStatusView, node: string): boolean {
  const local = v.instances.find((i) => i.node === node);
  return local !== undefined && local.resources.some((r) => r.status === 'undef');
}

/**
 * print status reads, it never writes: a probe it needs (a service created
 * or changed since the daemon last looked, --refresh) is the daemon's, which
 * records it; daemon down, the probe is shown and not recorded, and it says so.
 */
export async function run(ctx: CliContext): Promise<number> {
  allowOnly(ctx.args, 'print status', ['refresh', 'local']);
  if (!ctx.svc) throw new UsageError('no service selected: use svcmgr -s SVC print status, or the per-service command (svc1 print status)');
  const daemon = await fromDaemon(ctx, ctx.svc);
  let view: ServiceStatusView;
  if (daemon.up) {
    const evaluate = daemon.view === undefined || flag(ctx.args, 'refresh') || neverEvaluated(daemon.view, nodename(ctx.env));
    // a service missing or invalid is said so as its config file says, before the daemon is asked to look
    if (evaluate) await loadServiceConfig(ctx.paths, ctx.svc, ctx.env);
    view = evaluate || daemon.view === undefined ? await refreshedByDaemon(ctx, ctx.svc) : daemon.view;
  } else {
    view = await probedHere(ctx, await loadServiceConfig(ctx.paths, ctx.svc, ctx.env));
  }
  if (opt(ctx.args, 'format') === 'json') ctx.out(JSON.stringify(view, null, 2));
  else for (const line of renderStatus(view, ctx.paint)) ctx.out(line);
  if (!daemon.up) ctx.err(`(${daemon.why}: status probed now, not recorded)`);
  return 0;
}
