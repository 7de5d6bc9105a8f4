import type { ResourceConfig, ServiceConfig } from '../../domain/config/types.js';
import type { ResourceDriver } from '../../adapters/resources/driver.js';
import { probeInstance } from '../action/statusCache.js';
import type { NodePaths } from '../paths.js';

export interface AvailDeps {
  readonly nodename: string;
  readonly paths: NodePaths;
  readonly driverFor: (conf: ResourceConfig) => ResourceDriver;
  readonly signal: AbortSignal;
}

/**
 * The local instance's avail with app and sync resources left out: what
 * OpenSVC checks before it sends a config (the service runs here when its
 * ip, disks and filesystems are up, whatever its apps do). A service made
 * of apps only has nothing left: n/a, so not up.
 */
export async function availAppsExcluded(svc: ServiceConfig, deps: AvailDeps): Promise<string> {
  const resources = svc.resources.filter((r) => r.driver !== 'app' && r.driver !== 'sync');
  if (resources.length === 0) return 'n/a';
  const view = await probeInstance({ ...svc, resources }, deps);
  return view.avail;
}
