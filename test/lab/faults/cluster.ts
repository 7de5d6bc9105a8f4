import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { installWebApp, nodeEnv, repoRoot, runIn, type LabInfo, type LabNode } from '../lab.js';
import type { StreamRecord } from './streamDump.js';

/**
 * The tutorial's cluster as the fault scenarios start from it: node1 and
 * node2 joined, hb#1 unicast (short timings, so a scenario takes seconds),
 * optionally hb#2 on the lab's shared disk, and svc1 (ip#0, disk#0 vg,
 * fs#app, fs#data, app#web the weblauncher, monitored) with orchestrate = ha,
 * thawed, running on node1. Built with the tutorial's commands, in fewer
 * steps than the walk (tutorial.ts) takes.
 */

export interface ClusterOptions {
  /** hb#2 type = disk on the lab's hbDev, on both nodes */
  readonly diskHb: boolean;
  /** hb#1 and hb#2 interval and timeout, in the keywords' syntax */
  readonly interval?: string;
  readonly timeout?: string;
  /** node.ready_period on both nodes */
  readonly readyPeriod?: string;
}

export const SVC = 'svc1';

/** Run argv in node; a non-zero exit throws with what it printed. */
export async function inNode(node: LabNode, argv: readonly string[], timeoutMs = 90_000): Promise<string> {
  const r = await runIn(node, argv, { timeoutMs, env: { PATH: `${nodeEnv().PATH}:/etc/opensvc` } });
  if (r.exitCode !== 0) throw new Error(`${node}: \`${argv.join(' ')}\` exited ${r.exitCode}: ${[r.stdout, r.stderr].join('\n').trim()}`);
  return r.stdout;
}

/** The [hb#N] and node settings a node needs before its daemon starts. */
function hbSettings(info: LabInfo, o: ClusterOptions, node: LabNode): string[] {
  const interval = o.interval ?? '1s';
  const timeout = o.timeout ?? '3s';
  const kws = [`node.ready_period=${o.readyPeriod ?? '2s'}`];
  // hb#1 comes to node2 with the join, timings included
  if (node === 'node1') kws.push('hb#1.type=unicast', `hb#1.interval=${interval}`, `hb#1.timeout=${timeout}`);
  // the join copies no dev: cluster.conf is per node, hb#2 is set on both
  if (o.diskHb) kws.push('hb#2.type=disk', `hb#2.dev=${info.hbDev}`, `hb#2.interval=${interval}`, `hb#2.timeout=${timeout}`);
  return ['nodemgr', 'set', ...kws.flatMap((k) => ['--kw', k])];
}

/** Build the cluster and start svc1 on node1; returns the cluster secret. */
export async function buildCluster(info: LabInfo, o: ClusterOptions, log: (line: string) => void = () => undefined): Promise<string> {
  const t0 = Date.now();
  const step = (what: string) => log(`+${((Date.now() - t0) / 1000).toFixed(1)}s ${what}`);
  // Each daemon runs before anything is recorded: a node's events recorded with its daemon down wait
  // in its spool stamped with its first cluster name, and after the join they are kept aside, not
  // in the cluster's log (SpoolSidelined, README): the scenarios compare the two nodes' logs whole.
  await Promise.all(
    info.nodeNames.map(async (n) => {
      await inNode(n, ['nodemgr', 'daemon', 'start']);
      await inNode(n, hbSettings(info, o, n));
    }),
  );
  step('daemons started');
  const secret = /^secret\s*=\s*(\S+)/m.exec(readFileSync(path.join(info.nodes.node1.etc, 'cluster.conf'), 'utf8'))?.[1];
  if (secret === undefined) throw new Error(`no secret in node1's cluster.conf`);
  // node2 joins (its daemon restarts in the cluster) while node1 builds svc1
  const joining = (async () => {
    await inNode('node2', ['nodemgr', 'daemon', 'join', '--secret', secret, '--node', 'node1']);
    step('node2 joined');
  })();
  const building = (async () => {
    // the web app goes on the service's filesystems first, so one start brings everything up
    await inNode('node1', ['sh', '-c', 'mount -t "$1" "$2" "$3" && mount -t "$1" "$4" "$5"', 'sh', info.fsType, info.appDev, info.appMnt, info.dataDev, info.dataMnt]);
    await installWebApp('node1');
    await inNode('node1', ['umount', info.dataMnt, info.appMnt]);
    step('app installed');
    await inNode('node1', ['svcmgr', '-s', SVC, 'create']);
    // the tutorial's launcher directory, on the service's own filesystem
    await inNode('node1', ['sh', '-c', `cd /etc/opensvc && rm -f ${SVC}.d && rmdir ${SVC}.dir && ln -s ${info.appMnt}/init.d ${SVC}.d`]);
    step('created');
    const kws = [
      `nodes=${info.nodeNames.join(' ')}`,
      'app=MyApp',
      'orchestrate=ha',
      `ip#0.ipname=${info.svcHostname}`,
      `ip#0.ipdev=${info.ipdev}`,
      'disk#0.type=vg',
      `disk#0.name=${info.vg}`,
      `disk#0.pvs=${info.pvDev}`,
      `fs#app.type=${info.fsType}`,
      `fs#app.dev=${info.appDev}`,
      `fs#app.mnt=${info.appMnt}`,
      `fs#data.type=${info.fsType}`,
      `fs#data.dev=${info.dataDev}`,
      `fs#data.mnt=${info.dataMnt}`,
      'app#web.script=weblauncher',
      'app#web.start=10',
      'app#web.check=10',
      'app#web.stop=90',
      'app#web.monitor=True',
    ];
    await inNode('node1', ['svcmgr', '-s', SVC, 'set', ...kws.flatMap((k) => ['--kw', k])]);
    step('configured');
    await inNode('node1', ['svcmgr', '-s', SVC, 'start', '--local']);
    step('started');
  })();
  // both finish before anything else, so a failure of one never leaves the other running on
  const failed = (await Promise.allSettled([joining, building])).find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
  await inNode('node1', ['svcmgr', '-s', SVC, 'sync', 'nodes']);
  step('synced');
  await inNode('node1', ['svcmgr', '-s', SVC, 'thaw']);
  step('thawed');
  return secret;
}

export async function svcmon(node: LabNode): Promise<string> {
  const r = await runIn(node, ['svcmon', '--color', 'no'], { timeoutMs: 30_000 });
  return [r.stdout, r.stderr].filter(Boolean).join('\n');
}

export async function printStatus(node: LabNode): Promise<string> {
  const r = await runIn(node, ['svcmgr', '-s', SVC, 'print', 'status'], { timeoutMs: 30_000 });
  return [r.stdout, r.stderr].filter(Boolean).join('\n');
}

export interface AgentLogLine {
  readonly time?: number;
  readonly msg?: string;
  readonly [key: string]: unknown;
}

/** The daemon's own log (<OSVCLOG>/agent.log, one JSON object a line), read from the host. */
export function agentLog(info: LabInfo, node: LabNode): AgentLogLine[] {
  let text: string;
  try {
    text = readFileSync(path.join(info.nodes[node].log, 'agent.log'), 'utf8');
  } catch {
    return [];
  }
  const out: AgentLogLine[] = [];
  for (const l of text.split('\n')) {
    if (l.trim() === '') continue;
    try {
      out.push(JSON.parse(l) as AgentLogLine);
    } catch {
      // a line cut by a kill -9: not a record
    }
  }
  return out;
}

/** The node's log as read through its own nats-server by the read-only user (streamDump.ts). */
export async function nodeStream(node: LabNode): Promise<StreamRecord[]> {
  const script = path.join(repoRoot, 'dist/test/lab/faults/streamDump.js');
  const r = await runIn(node, [process.execPath, script], { timeoutMs: 60_000 });
  if (r.exitCode !== 0) throw new Error(`${node}: reading the stream: ${r.stderr.trim() || `exit ${r.exitCode}`}`);
  return r.stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as StreamRecord);
}

export interface PeerView {
  readonly name: string;
  readonly local: boolean;
  readonly frozen: boolean;
  readonly state?: string;
  readonly why?: string;
}

export interface InstanceView {
  readonly node: string;
  readonly avail: string;
  readonly frozen: boolean;
  readonly monitorState: string;
  readonly expect?: string;
}

/** The parts of the daemon's GET /daemon/status the scenarios read (src/daemon/readModel.ts). */
export interface DaemonStatusView {
  readonly node: string;
  readonly nodes: readonly PeerView[];
  readonly services: readonly { readonly name: string; readonly avail: string; readonly instances: readonly InstanceView[]; readonly decision?: string }[];
  readonly warnings?: readonly string[];
  /** svcmon's Threads: hb#2.rx, hb#2.tx, ... with their state, why it failed, and each node's cell */
  readonly threads?: readonly { readonly name: string; readonly state: string; readonly detail?: string; readonly peers?: Readonly<Record<string, string>> }[];
}

/** The node's daemon status, asked on its unix socket (reached from the host through the node's var dir); undefined when it does not answer. */
export function daemonStatus(info: LabInfo, node: LabNode, timeoutMs = 2000): Promise<DaemonStatusView | undefined> {
  const socketPath = path.join(info.nodes[node].var, 'lsnr', 'h2.sock');
  return new Promise((resolve) => {
    const req = http.get({ socketPath, path: '/daemon/status', timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => {
        try {
          resolve(res.statusCode === 200 ? (JSON.parse(body) as DaemonStatusView) : undefined);
        } catch {
          resolve(undefined);
        }
      });
      res.on('error', () => resolve(undefined));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve(undefined));
  });
}

/** What node's daemon says of peer: up, alive, down, lost, unknown (undefined: no answer). */
export function peerState(s: DaemonStatusView | undefined, peer: string): PeerView | undefined {
  return s?.nodes.find((n) => n.name === peer);
}

export function svc1Of(s: DaemonStatusView | undefined): DaemonStatusView['services'][number] | undefined {
  return s?.services.find((x) => x.name === SVC);
}
