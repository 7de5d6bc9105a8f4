import { NotFoundError, UsageError } from '../../../domain/errors.js';
import { nodename } from '../../config/identity.js';
import { serviceStatus } from '../../daemon/readModel.js';
import { allowOnly, opt } from '../args.js';
import type { CliContext } from '../context.js';
import { renderStatus } from '../status/render.js';
import { asOfNote, clusterAt, configThen } from './asOf.js';
import { describeBound } from './when.js';

/**
 * svcmgr -s svc1 print status --at TIME|seq:N: the status tree as this
 * node's daemon would have printed it then, from the log (daemon up or down).
 */
export async function run(ctx: CliContext): Promise<number> {
  allowOnly(ctx.args, 'print status --at', ['at']);
  if (!ctx.svc) throw new UsageError('no service selected: use svcmgr -s SVC print status --at TIME');
  const svc = ctx.svc;
  const node = nodename(ctx.env);
  const { model, bound } = await clusterAt(ctx, 'print status', opt(ctx.args, 'at')!);
  try {
    if (model.instances.nodesOf(svc).length === 0) throw new NotFoundError(`print status: ${svc} has no instance in the log at or before ${describeBound(bound)}`);
    const peerDown = (n: string) => {
      const p = model.peerAsSeenBy(node, n);
      return p !== undefined && p.state !== 'up';
    };
    const view = serviceStatus(svc, node, model.instances, await configThen(ctx, model, node, svc), peerDown, { logged: model.configs })!;
    if (opt(ctx.args, 'format') === 'json') ctx.out(JSON.stringify(view, null, 2));
    else for (const line of renderStatus(view, ctx.paint)) ctx.out(line);
    ctx.err(asOfNote(model, bound));
    return 0;
  } finally {
    model.stop();
  }
}
