import { orAt } from '../context.js';
import type { CommandTable } from '../context.js';

/** svcmon has one action: show the cluster (-s SVC, --watch, --format json). */
export const SVCMON: CommandTable = {
  svcmon: { summary: 'show the daemon threads, the nodes and the services on every node (-s SVC, --watch, --format json; --at TIME|seq:N: the nodes and services as they were then, from the log)', load: orAt(() => import('./svcmon.js'), () => import('../log/svcmonAt.js')) },
};
