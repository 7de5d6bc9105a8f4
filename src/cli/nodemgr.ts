import type { CommandTable } from './context.js';

/** nodemgr actions. Each loads its module lazily. */
export const NODEMGR: CommandTable = {
  set: { summary: 'set node keywords: --param hb#1.type --value unicast or --kw section.key=value (+= / -= for lists; [cluster], [hb#*] go to cluster.conf)', load: () => import('./node/set.js') },
  get: { summary: 'print node keyword values: --param cluster.secret or --kw section.key', load: () => import('./node/get.js') },
  unset: { summary: 'remove node keywords: --param section.key or --kw section.key', load: () => import('./node/unset.js') },
  'print history': { summary: 'the whole cluster\'s history from this node\'s log: every service\'s actions, statuses and config changes, and the nodes\' own events (daemon, peers, quorum, freeze) (--since T, --until T, --node NODE, --type EventType,..., --format json)', load: () => import('./node/printHistory.js') },
  audit: { summary: 'replay this node\'s recorded orchestrator decisions through today\'s code and list those it would now take differently (exit 1 when any), and those the log cannot re-check, with the input it lacks (--since T, --format json)', load: () => import('./node/audit.js') },
  'print config': { summary: 'show cluster.conf and node.conf, secrets hidden (--format json)', load: () => import('./node/printConfig.js') },
  'validate config': { summary: 'check cluster.conf and node.conf, listing every problem (exit 1 when any)', load: () => import('./node/validateConfig.js') },
  freeze: { summary: 'freeze this node: its daemon starts and stops nothing by itself, and no other node places a service here (an operator\'s target still applies)', load: () => import('./node/freeze.js').then((m) => m.freeze) },
  thaw: { summary: 'thaw this node: its daemon orchestrates its services again', load: () => import('./node/freeze.js').then((m) => m.thaw) },
  drain: { summary: 'freeze this node, then stop every service running here, its output streamed: the other nodes take the orchestrated ones over; --wait [--time D]: until they run there (exit 1 naming a stop that failed or a service not taken over)', load: () => import('./node/drain.js') },
  ping: { summary: 'ask the other nodes (--node NODE,...: those) to answer through their listener, signed as the cluster\'s requests: `node2 is alive` (exit 1 when one does not)', load: () => import('./node/ping.js') },
  logs: { summary: 'the daemon\'s own log, human-readable (--format json: as written; --lines N; --follow)', load: () => import('./node/logs.js') },
  'print schedule': { summary: 'every service\'s scheduled jobs as the daemon runs them: schedule keyword, interval, last run and result, runs (--format json)', load: () => import('./svc/printSchedule.js').then((m) => m.node) },
  events: { summary: 'follow the cluster\'s event log on the terminal (--since T: from then; --filter type=T,...|svc=S|node=N|rid=R|FIELD=V, repeatable; --format json); the daemon up or down', load: () => import('./node/events.js') },
  'daemon start': { summary: 'start the agent daemon in the background (output in <OSVCLOG>/daemon.out), return once it answers', load: () => import('./daemon/start.js') },
  'daemon stop': { summary: 'stop the agent daemon (services keep running)', load: () => import('./daemon/stop.js') },
  'daemon restart': { summary: 'stop then start the agent daemon (services keep running)', load: () => import('./daemon/restart.js') },
  'daemon status': { summary: 'show the daemon threads, their state and address (exit 1 when not running)', load: () => import('./daemon/status.js') },
  'daemon join': { summary: 'join the cluster of --node NODE, authenticated by its --secret (nodemgr get --param cluster.secret there); --addr HOST[:PORT] when NODE does not resolve', load: () => import('./daemon/join.js') },
  'web password': { summary: 'set the web view operator: --user NAME, the password typed twice or read on stdin, kept as an scrypt hash in node.conf (docs/web.md)', load: () => import('./node/webPassword.js') },
  'daemon leave': { summary: 'leave the cluster: the other nodes told first (they take this node out of cluster.nodes), then this node is a cluster of its own, frozen; daemon join takes it back', load: () => import('./daemon/leave.js') },
  'daemon run': { summary: 'run the agent daemon in the foreground (systemd, containers)', load: () => import('./daemon/run.js') },
};
