import type { ResourceConfig } from '../../domain/config/types.js';
import { ConfigError } from '../../domain/errors.js';
import type { ResourceDriver } from './driver.js';
import { createAppDriver } from './app/driver.js';
import { createFsDriver } from './fs/driver.js';
import { createIpDriver } from './ip/driver.js';
import { createSyncDriver } from './sync/driver.js';
import type { SyncStatus } from './sync/driver.js';
import { createVgDriver } from './vg/driver.js';

/** File system types mounted without a device check of ours; the kernel has the last word. */
const FS_TYPE_RE = /^[a-z0-9][a-z0-9._-]*$/;

export type DriverFor = (conf: ResourceConfig) => ResourceDriver;

/**
 * The drivers, given what the sync driver's status needs from above
 * (src/action/drivers.ts makes the one everybody uses): the driver of a
 * resource section, by `<driver>#` prefix and `type`. Throws a ConfigError
 * naming the section when nothing implements it.
 */
export function makeDriverFor(deps: { readonly syncStatus: SyncStatus }): DriverFor {
  return (conf) => driverOf(conf, deps.syncStatus);
}

function driverOf(conf: ResourceConfig, syncStatus: SyncStatus): ResourceDriver {
  const type = conf.type;
  switch (conf.driver) {
    case 'ip':
      if (type === undefined || type === 'linux') return createIpDriver(conf);
      break;
    case 'disk':
      if (type === 'vg' || type === 'lvm') return createVgDriver(conf);
      break;
    case 'fs':
      if (type !== undefined && FS_TYPE_RE.test(type)) return createFsDriver(conf);
      if (type === undefined) throw new ConfigError([`${conf.rid}: type is required (ext4, xfs, tmpfs...)`]);
      break;
    case 'app':
      if (type === undefined || type === 'simple' || type === 'forking') return createAppDriver(conf);
      break;
    case 'sync':
      if (type === undefined || type === 'rsync') return createSyncDriver(conf, syncStatus);
      break;
    default:
      throw new ConfigError([`${conf.rid}: unknown driver ${JSON.stringify(conf.driver)} (known: ip, disk, fs, app, sync)`]);
  }
  throw new ConfigError([`${conf.rid}: unsupported type ${JSON.stringify(type)} for driver ${conf.driver}`]);
}
