import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../adapters/nats/server.js';
import { loadClusterIdentity } from '../../src/config/identity.js';
import { DAEMON_NODE_FLAGS } from '../../src/cli/daemon/control.js';
import { daemonJson } from '../../src/daemon/client.js';
import type { DaemonStatus } from '../../src/daemon/readModel.js';
import { nodePaths, type NodePaths } from '../../src/paths.js';
import type { BenchCleanup } from './cleanup.js';
import { repoRoot } from './daemon.bench.js';

const exec = promisify(execFile);


export async function until(what: string, probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** user + system CPU of a process, in clock ticks (100 a second on Linux). */
export function cpuTicks(pid: number): number {
  const st = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
}

/** user and system CPU of each thread of a process, in clock ticks, summed by thread name (main `node`, `libuv-worker`, `V8 DefaultWorke`...). */
export function threadTicks(pid: number): Map<string, { user: number; system: number }> {
  const out = new Map<string, { user: number; system: number }>();
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      const st = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = st.slice(st.indexOf('(') + 1, st.lastIndexOf(')'));
      const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
      const cur = out.get(name) ?? { user: 0, system: 0 };
      out.set(name, { user: cur.user + Number(f[11]), system: cur.system + Number(f[12]) });
    } catch {
      // the thread ended
    }
  }
  return out;
}

export function rssMb(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

export interface LoopNode {
  readonly name: string;
  readonly root: string;
  readonly env: NodeJS.ProcessEnv;
  readonly paths: NodePaths;
  /** run bin/<bin> as this node; the time it took (ms) */
  cli(bin: string, args: readonly string[]): Promise<number>;
  pid(): number;
  natsPid(): number;
  status(): Promise<DaemonStatus>;
  /**
   * The daemon stopped and run again as `nodemgr daemon start` runs it,
   * plus `nodeFlags` (--cpu-prof: NODE_OPTIONS may not carry it); returns
   * once it answers.
   */
  restart(nodeFlags: readonly string[]): Promise<void>;
}

export interface LoopCluster {
  readonly nodes: readonly LoopNode[];
  /** nodemgr daemon join of node2..nodeN through node1, each (s) */
  readonly joins: readonly number[];
  /** from the end of the last join until every node lists N nodes, every peer up (s) */
  readonly allUpS: number;
  /** daemon stop on every node, then whatever is left killed and the temp roots removed */
  close(): Promise<void>;
}

const readPid = (file: string) => Number(fs.readFileSync(file, 'utf8').trim());

/** node<i> in a temp root, listening on 127.0.0.<i>: listener and hb#1 on the same ports on every node, as real hosts would. */
function makeNode(repo: string, cleanup: BenchCleanup, i: number, ports: { listener: number; hb: number; nats: number }, extraEnv: Record<string, string>): LoopNode {
  const name = `node${i}`;
  const root = cleanup.tempRoot(`hasvct-cbench-${name}-`);
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, OSVC_ROOT: root, OSVC_NODENAME: name, HOME: root, HASVC_NO_HOST_ACTIONS: '1', ...extraEnv };
  const paths = nodePaths(env);
  fs.mkdirSync(paths.etc, { recursive: true });
  const addr = `127.0.0.${i}`;
  fs.writeFileSync(paths.nodeConf, ['[nats]', `port = ${ports.nats}`, '', '[listener]', `addr = ${addr}`, `port = ${ports.listener}`, '', '[hb#1]', 'type = unicast', `addr = ${addr}`, `port = ${ports.hb}`, ''].join('\n'));
  return {
    name,
    root,
    env,
    paths,
    async cli(bin, args) {
      const t0 = performance.now();
      await exec(process.execPath, [path.join(repo, 'bin', bin), ...args], { env, cwd: root, timeout: 180_000 });
      return performance.now() - t0;
    },
    pid: () => readPid(path.join(paths.var, 'osvcd.pid')),
    natsPid: () => readPid(path.join(paths.natsDir, 'nats-server.pid')),
    status: () => daemonJson<DaemonStatus>(paths, 'GET', '/daemon/status', undefined, { timeoutMs: 10_000 }),
    async restart(nodeFlags) {
      await exec(process.execPath, [path.join(repo, 'bin', 'nodemgr'), 'daemon', 'stop'], { env, cwd: root, timeout: 60_000 });
      const out = fs.openSync(path.join(root, 'daemon.bench.out'), 'a');
      // its own process group, as nodemgr daemon start leaves it; the cleanup finds it by its OSVC_ROOT
      const child = spawn(process.execPath, [...DAEMON_NODE_FLAGS, ...nodeFlags, path.join(repo, 'bin', 'nodemgr'), 'daemon', 'run'], { detached: true, stdio: ['ignore', out, out], env, cwd: '/' });
      fs.closeSync(out);
      child.unref();
      await until(`${name}'s daemon answering again`, async () => (await this.status()).pid === child.pid, 60_000);
    },
  };
}

async function allUp(nodes: readonly LoopNode[]): Promise<boolean> {
  const all = await Promise.all(nodes.map((n) => n.status()));
  return all.every((s) => s.nodes.length === nodes.length && s.nodes.every((x) => x.local || x.state === 'up'));
}

/**
 * A cluster of n daemons on loopback, each with its own nats-server, in
 * temp roots: node1 knows where every node listens (the names resolve
 * nowhere), node2..nodeN join through it. Returns once every node hears
 * every other. No storage, no host actions: services are events only.
 * Whatever happens, the caller's cleanup takes the processes and roots down.
 */
export async function startLoopCluster(n: number, cleanup: BenchCleanup, o: { env?: Record<string, string>; nodeFlags?: (node: LoopNode) => readonly string[] } = {}): Promise<LoopCluster> {
  const repo = repoRoot();
  const ports = { listener: await freePort(), hb: await freePort() };
  const nodes: LoopNode[] = [];
  for (let i = 1; i <= n; i++) nodes.push(makeNode(repo, cleanup, i, { ...ports, nats: await freePort() }, o.env ?? {}));
  const [first, ...rest] = nodes as [LoopNode, ...LoopNode[]];
  const close = async () => {
    // stopped cleanly when they answer (a profile is written at exit), killed otherwise
    await Promise.all(nodes.map((x) => x.cli('nodemgr', ['daemon', 'stop']).catch(() => undefined)));
    for (const x of nodes) cleanup.release(x.root);
  };
  try {
    fs.writeFileSync(first.paths.clusterConf, ['[hb#1]', 'type = unicast', `port = ${ports.hb}`, '', ...nodes.flatMap((x, i) => [`[peer#${x.name}]`, `addr = 127.0.0.${i + 1}`, ''])].join('\n'));
    const { secret } = loadClusterIdentity(first.paths);
    for (let i = 0; i < nodes.length; i += 4) await Promise.all(nodes.slice(i, i + 4).map((x) => x.cli('nodemgr', ['daemon', 'start'])));
    const joins: number[] = [];
    for (const x of rest) joins.push((await x.cli('nodemgr', ['daemon', 'join', '--secret', secret, '--node', 'node1', '--addr', `127.0.0.1:${ports.listener}`])) / 1000);
    const joined = performance.now();
    await until(`every node of ${n} hearing every other`, () => allUp(nodes), 120_000);
    const allUpS = (performance.now() - joined) / 1000;
    if (o.nodeFlags) {
      for (const x of nodes) await x.restart(o.nodeFlags(x));
      await until(`every node of ${n} hearing every other after the restarts`, () => allUp(nodes), 120_000);
    }
    return { nodes, joins, allUpS, close };
  } catch (e) {
    await close();
    throw e;
  }
}
