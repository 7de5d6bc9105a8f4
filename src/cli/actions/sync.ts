import { IMPLICIT_SYNC_RID } from '../../../domain/config/service.js';
import { actionLine } from '../../action/output.js';
import { syncNodes } from '../../sync/send.js';
import { allowOnly, flag } from '../args.js';
import type { CliContext } from '../context.js';
import { noExtraWords } from '../svc/options.js';
import { withLocalService } from './local.js';

/**
 * svcmgr -s svc1 sync nodes [--force]: the service config and launchers to
 * the other nodes of the service (nodes, drpnodes). Each peer that did not
 * get it is named with the reason on one line; exit 1 when any did not.
 */
export async function run(ctx: CliContext): Promise<number> {
  allowOnly(ctx.args, 'sync nodes', ['force']);
  noExtraWords(ctx, 'sync nodes');
  return withLocalService(ctx, async (l) => {
    const outcomes = await syncNodes({
      paths: ctx.paths,
      env: ctx.env,
      node: l.node,
      svc: l.svc.name,
      force: flag(ctx.args, 'force'),
      sink: l.sink,
      driverFor: l.driverFor,
      signal: l.signal,
      now: () => Date.now(),
    });
    if (outcomes.length === 0) {
      ctx.out(`sync nodes: ${l.svc.name} has no other node in nodes or drpnodes: nothing to send`);
      return 0;
    }
    const said = new Set<string>();
    for (const o of outcomes) {
      if (o.sent) {
        ctx.out(actionLine(`${l.node}.${l.svc.name}.${IMPLICIT_SYNC_RID}`, 'info', `${l.svc.name}.conf sent to ${o.node}: ${o.result} (checksum ${o.checksum.slice(0, 12)})`));
        for (const n of o.notes) ctx.out(actionLine(`${l.node}.${l.svc.name}.${IMPLICIT_SYNC_RID}`, 'warn', `${o.node}: ${n}`));
      } else if (!said.has(o.reason)) {
        said.add(o.reason);
        ctx.err(`sync nodes: ${o.reason}`);
      }
    }
    return outcomes.every((o) => o.sent) ? 0 : 1;
  });
}
