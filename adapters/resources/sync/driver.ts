import type { ResourceConfig } from '../../../domain/config/types.js';
import type { DriverContext, ResourceDriver, ResourceStatus } from '../driver.js';

/**
 * sync#i0: the implicit replication of <etc>/<svc>* files to the other nodes.
 *
 * In OpenSVC, sync resources run on `sync` actions (sync nodes, sync drp,
 * scheduled syncs), never on start or stop: start/stop leave them alone, so
 * 'already' is their faithful answer here, not a stub. The transfer itself
 * is `svcmgr -s SVC sync nodes` (src/sync/send.ts); status compares the
 * peers' copies with ours (src/sync/status.ts, loaded on use: it needs the
 * other drivers, which need this module).
 */
export function createSyncDriver(conf: ResourceConfig): ResourceDriver {
  return {
    rid: conf.rid,
    conf,
    label: () => 'rsync svc config to drpnodes, nodes',
    status: async (ctx: DriverContext): Promise<ResourceStatus> => {
      try {
        const { syncStatus } = await import('../../../src/sync/status.js');
        return await syncStatus(ctx);
      } catch (e) {
        return { status: 'n/a', log: [`info: status unknown: ${(e as Error).message}`] };
      }
    },
    start: async () => 'already',
    stop: async () => 'already',
    info: async () => ({ target: 'drpnodes nodes', src: '<etc>/<svc>*' }),
  };
}
