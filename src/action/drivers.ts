import { makeDriverFor } from '../../adapters/resources/registry.js';
import type { DriverFor } from '../../adapters/resources/registry.js';
import { syncStatus } from '../sync/status.js';

/**
 * The resource drivers, wired: the sync driver's status asks the peers and
 * reads the other resources through these same drivers.
 */
export const driverFor: DriverFor = makeDriverFor({ syncStatus: (ctx) => syncStatus(ctx, driverFor) });
