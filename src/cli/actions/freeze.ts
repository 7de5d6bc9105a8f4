import { UsageError } from '../../../domain/errors.js';
import { setFrozen } from '../../action/statusCache.js';
import { loadNodeConfig } from '../../config/nodeConfig.js';
import { loadServiceConfig } from '../../config/serviceStore.js';
import { nodename } from '../../config/identity.js';
import { serviceExists } from '../../config/serviceFiles.js';
import { openEventSink } from '../../events/open.js';
import { allowOnly, flag } from '../args.js';
import type { CliContext } from '../context.js';

/**
 * Freeze or thaw the peers' instances too: the tutorial's `svc1 thaw` lets
 * the daemons orchestrate the service on every node. Each peer of the
 * service that is in the cluster is asked through its signed listener.
 */
async function propagate(ctx: CliContext, svc: string, frozen: boolean): Promise<boolean> {
  const me = nodename(ctx.env);
  const members = new Set(loadNodeConfig(ctx.paths, ctx.env).cluster.nodes);
  const cfg = await loadServiceConfig(ctx.paths, svc, ctx.env);
  const peers = [...cfg.nodes, ...cfg.drpnodes].filter((n) => n !== me && members.has(n));
  if (peers.length === 0) return true;
  const [{ peerRequest }, { peerTarget }] = await Promise.all([import('../../daemon/client.js'), import('../../sync/peers.js')]);
  const verb = frozen ? 'freeze' : 'thaw';
  const results = await Promise.all(
    peers.map(async (peer) => {
      try {
        const r = await peerRequest(peerTarget(ctx.paths, ctx.env, peer), 'POST', `/services/${encodeURIComponent(svc)}/${verb}`, {}, { timeoutMs: 5000 });
        if (r.status === 200) return true;
        const why = typeof r.body === 'object' && r.body !== null && 'error' in r.body ? String((r.body as { error: unknown }).error) : `HTTP ${r.status}`;
        ctx.err(`${peer}: ${verb} of ${svc} not done: ${why}`);
      } catch (e) {
        ctx.err(`${peer}: ${verb} of ${svc} not done: ${(e as Error).message}`);
      }
      return false;
    }),
  );
  return results.every(Boolean);
}

/**
 * freeze / thaw: a frozen instance is never started or stopped by the
 * daemon's orchestration. Without --local, the service's instances on the
 * other nodes of the cluster too. The flag file is the fast local read; the
 * event is the record.
 */
function freezeCommand(frozen: boolean) {
  return {
    async run(ctx: CliContext): Promise<number> {
      allowOnly(ctx.args, frozen ? 'freeze' : 'thaw', ['local']);
      if (!ctx.svc) throw new UsageError('no service selected: use svcmgr -s SVC ACTION');
      if (!serviceExists(ctx.paths, ctx.svc)) throw new UsageError(`service ${ctx.svc} does not exist`);
      const sink = await openEventSink(ctx.paths, ctx.env);
      try {
        await sink.append({ type: frozen ? 'InstanceFrozen' : 'InstanceThawed', svc: ctx.svc, data: {} });
        setFrozen(ctx.paths, ctx.svc, frozen);
      } finally {
        await sink.close();
      }
      if (flag(ctx.args, 'local')) return 0;
      return (await propagate(ctx, ctx.svc, frozen)) ? 0 : 1;
    },
  };
}

export const freeze = freezeCommand(true);
export const thaw = freezeCommand(false);
