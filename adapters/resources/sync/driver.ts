import type { ResourceConfig } from '../../../domain/config/types.js';
import type { DriverContext, ResourceDriver, ResourceStatus } from '../driver.js';

/** How the peers' copies compare with ours: src/sync/status.ts, given by whoever makes the drivers (it asks the peers, and the other drivers). */
export type SyncStatus = (ctx: DriverContext) => Promise<ResourceStatus>;

/**
 * sync#i0: the implicit replication of <etc>/<svc>* files to the other nodes.
 *
 * In OpenSVC, sync resources run on `sync` actions (sync nodes, sync drp,
 * scheduled syncs), never on start or stop: start/stop leave them alone, so
 * 'already' is their faithful answer here, not a stub. The transfer itself
 * is `svcmgr -s SVC sync nodes` (src/sync/send.ts); status compares the
 * peers' copies with ours (`syncStatus`).
 */
export function createSyncDriver(conf: ResourceConfig, syncStatus: SyncStatus): ResourceDriver {
  return {
    rid: conf.rid,
    conf,
    label: () => 'rsync svc config to drpnodes, nodes',
    status: async (ctx: DriverContext): Promise<ResourceStatus> => {
      try {
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
