import { orAt } from './context.js';
import type { CommandTable } from './context.js';

/** svcmgr actions. Each loads its module lazily. */
export const SVCMGR: CommandTable = {
  start: { summary: 'the service started where placement says, every instance thawed: a target the daemons reach (--wait [--time 300]); --local: start the local instance\'s resources here: ip, disk, fs, app (--rid, --tag, --subset, --force)', load: () => import('./actions/start.js') },
  stop: { summary: 'the service stopped on every node and kept stopped (instances frozen): a target the daemons reach (--wait [--time 300]); --local: stop the local instance\'s resources in the reverse order of start', load: () => import('./actions/stop.js') },
  switch: { summary: 'the service moved to --node NODE: stopped where it runs, started there, instances thawed (--wait [--time 300])', load: () => import('./actions/target.js').then((m) => m.switchCmd) },
  takeover: { summary: 'the service moved to this node: stopped on the others, started here, instances thawed (--wait [--time 300])', load: () => import('./actions/target.js').then((m) => m.takeover) },
  giveback: { summary: 'the service moved back to the first node of its placement order (of its nodes, unless placement = spread), instances thawed (--wait [--time 300])', load: () => import('./actions/target.js').then((m) => m.giveback) },
  abort: { summary: 'drop the service\'s target (start, stop, switch, takeover, giveback): the actions in progress finish, no new one starts for it', load: () => import('./actions/target.js').then((m) => m.abort) },
  restart: { summary: 'stop then start the service resources', load: () => import('./actions/restart.js') },
  freeze: { summary: 'freeze the local instance: the daemon will not orchestrate it', load: () => import('./actions/freezeCmd.js') },
  thaw: { summary: 'thaw the local instance: let the daemon orchestrate it', load: () => import('./actions/thawCmd.js') },
  clear: { summary: 'reset the local instance\'s start failed / stop failed, and the failover penalties (failed starts, relocations) of the service on every node', load: () => import('./actions/clear.js') },
  'print history': { summary: 'every action, status and config change of the service, from the log (--since T, --until T, --node NODE, --type EventType,..., --format json)', load: () => import('./status/printHistory.js') },
  why: { summary: 'why the service moved, from the log: the fault, the decision and its rule, each step, each result, who asked (EVENT_ID, --at TIME, --last ACTION; the last action by default; --format json)', load: () => import('./log/why.js') },
  'print status': { summary: 'show the service status tree (--format json; --at TIME|seq:N: as it was then, from the log)', load: orAt(() => import('./status/printStatus.js'), () => import('./log/statusAt.js')) },
  enable: { summary: 'enable the service (DEFAULT.disable removed), or the resources of --rid RID,...: actions run them again, the daemons orchestrate the service again', load: () => import('./svc/disable.js').then((m) => m.enable) },
  disable: { summary: 'disable the service (DEFAULT.disable = true: every resource skipped, not orchestrated, no target taken), or the resources of --rid RID,... (their disable keyword)', load: () => import('./svc/disable.js').then((m) => m.disable) },
  'print devs': { summary: 'the block devices the service\'s resources use on this node: a vg\'s logical volumes (exposed) and physical volumes (sub), a fs\'s device (--format json)', load: () => import('./svc/printDevs.js') },
  'print schedule': { summary: 'the service\'s scheduled jobs as the daemon runs them: schedule keyword, interval, last run and result, runs (--format json)', load: () => import('./svc/printSchedule.js') },
  logs: { summary: 'the service\'s action lines on every node, from the log, as the actions printed them (--node NODE, --follow, --format json)', load: () => import('./svc/logs.js') },
  'sync nodes': { summary: 'send the service config and launchers to its other nodes, through their listener (--force: even within sync_min_delay)', load: () => import('./actions/sync.js') },
  create: { summary: 'create the service: <svc>.conf with a new id, <svc>.dir, <svc>.d and the <svc> command (--config FILE, --kw section.key=value)', load: () => import('./svc/create.js') },
  delete: { summary: 'delete the service, refused while it is up unless --force; --rid RID deletes resource sections only', load: () => import('./svc/delete.js') },
  'edit config': { summary: 'edit the config in $EDITOR; saved only when valid', load: () => import('./svc/editConfig.js') },
  'print config': { summary: 'show the config file (--format json)', load: () => import('./svc/printConfig.js') },
  'validate config': { summary: 'check the config file, listing every problem (exit 1 when any)', load: () => import('./svc/validateConfig.js') },
  set: { summary: 'set keywords: --kw section.key=value ... (+= / -= add to / remove from a list) or --param section.key --value V (no section: DEFAULT)', load: () => import('./svc/set.js') },
  get: { summary: 'print keyword values as written: --kw section.key ... or --param section.key', load: () => import('./svc/get.js') },
  unset: { summary: 'remove keywords: --kw section.key ... or --param section.key', load: () => import('./svc/unset.js') },
};
