import type { ResourceConfig } from '../../../domain/config/types.js';
import type { ResourceDriver, ResourceStatus } from '../driver.js';

/**
 * sync#i0: the implicit replication of <etc>/<svc>* files to the other nodes.
 *
 * In OpenSVC, sync resources run on `sync` actions (sync nodes, sync drp,
 * scheduled syncs), never on start or stop: start/stop leave them alone, so
 * 'already' is their faithful answer here, not a stub. The rsync transfer
 * itself belongs to the `sync nodes` action (later work); until then status
 * says what the tutorial shows before the service is up.
 */
export function createSyncDriver(conf: ResourceConfig): ResourceDriver {
  return {
    rid: conf.rid,
    conf,
    label: () => 'rsync svc config to drpnodes, nodes',
    status: async (): Promise<ResourceStatus> => ({ status: 'n/a', log: ['info: paused, service not up'] }),
    start: async () => 'already',
    stop: async () => 'already',
    info: async () => ({ target: 'drpnodes nodes', src: '<etc>/<svc>*' }),
  };
}
