import type { CommandTable } from '../context.js';

/** svcmon has one action: show the cluster (-s SVC, --watch, --format json). */
export const SVCMON: CommandTable = {
  svcmon: { summary: 'show the daemon threads, the nodes and the services on every node (-s SVC, --watch, --format json)', load: () => import('./svcmon.js') },
};
