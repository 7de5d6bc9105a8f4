import { probeInstance, recordStatus } from '../../action/statusCache.js';
import { serviceView } from '../../../projections/statusView.js';
import type { InstanceView } from '../../../projections/statusView.js';
import { allowOnly, opt } from '../args.js';
import type { CliContext } from '../context.js';
import { withLocalService } from '../actions/local.js';
import { renderStatus } from './render.js';

/**
 * print status: the local instance evaluated now (changes appended as
 * events), peers as the daemon knows them — without a daemon, `undef  daemon down`.
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
    const peers: InstanceView[] = l.svc.nodes
      .filter((n) => n !== l.node)
      .map((n) => ({ node: n, avail: 'undef', overall: 'undef', frozen: false, monitorState: 'idle', expect: undefined, daemonDown: true, resources: [] }));
    const view = serviceView(l.svc.name, l.svc.topology, l.svc.orchestrate, [...peers, local]);
    if (opt(ctx.args, 'format') === 'json') ctx.out(JSON.stringify(view, null, 2));
    else for (const line of renderStatus(view, ctx.paint)) ctx.out(line);
    return 0;
  });
}
