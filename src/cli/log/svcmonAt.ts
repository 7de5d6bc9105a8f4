import { nodename } from '../../config/identity.js';
import { daemonStatus } from '../../daemon/readModel.js';
import type { LocalConfig } from '../../daemon/readModel.js';
import { allowOnly, opt, optAll } from '../args.js';
import type { CliContext } from '../context.js';
import { renderSvcmon } from '../svcmon/render.js';
import { serviceFilter } from '../svcmon/svcmon.js';
import { asOfNote, clusterAt, configThen } from './asOf.js';

/**
 * svcmon --at TIME|seq:N: the cluster as this node's daemon would have
 * shown it then, rebuilt from the log. The log does not hold the daemon's
 * threads nor the load: they are left out.
 */
export async function run(ctx: CliContext): Promise<number> {
  allowOnly(ctx.args, 'svcmon --at', ['at']);
  const keep = serviceFilter(optAll(ctx.args, 'service'));
  const node = nodename(ctx.env);
  const { model, bound } = await clusterAt(ctx, 'svcmon', opt(ctx.args, 'at')!);
  try {
    const services = model.instances.services();
    const configs = new Map<string, LocalConfig | undefined>();
    for (const s of services) configs.set(s, await configThen(ctx, model, node, s));
    const last = model.last!.event;
    const status = daemonStatus({
      node,
      cluster: last.cluster,
      pid: 0,
      version: '',
      threads: [],
      clusterNodes: model.nodes,
      load15m: 0,
      nodeFrozen: (n) => model.nodeStates[n]?.frozen ?? false,
      projection: model.instances,
      localServices: [],
      localConfig: (s) => configs.get(s),
      logged: model.configs,
      peer: (n) => {
        const p = model.peerAsSeenBy(node, n);
        return p === undefined ? undefined : { ...p, load15m: undefined };
      },
    });
    const past = { ...status, nodes: status.nodes.map((n) => ({ ...n, load15m: undefined })) };
    if (opt(ctx.args, 'format') === 'json') ctx.out(JSON.stringify(keep ? { ...past, services: past.services.filter((s) => keep(s.name)) } : past, null, 2));
    else for (const l of renderSvcmon(past, ctx.paint, keep ? { services: keep } : {}).slice(2)) ctx.out(l);
    ctx.err(asOfNote(model, bound));
    return 0;
  } finally {
    model.stop();
  }
}
