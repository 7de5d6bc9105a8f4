import type { CommandTable } from './context.js';

/** svcmgr actions. Each loads its module lazily. */
export const SVCMGR: CommandTable = {
  start: { summary: 'start the service resources: ip, disk, fs, app (--local, --rid, --tag, --subset, --force)', load: () => import('./actions/start.js') },
  stop: { summary: 'stop the service resources in the reverse order of start', load: () => import('./actions/stop.js') },
  restart: { summary: 'stop then start the service resources', load: () => import('./actions/restart.js') },
  'print status': { summary: 'show the service status tree (--format json)', load: () => import('./status/printStatus.js') },
};
