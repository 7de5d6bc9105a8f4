import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EventStore } from '../../../adapters/nats/eventStore.js';
import type { StoredEvent } from '../../../adapters/nats/eventStore.js';
import { freePort } from '../../../adapters/nats/server.js';
import type { AnyEvent } from '../../../domain/events.js';
import { loadClusterIdentity } from '../../../src/config/identity.js';
import { daemonJson } from '../../../src/daemon/client.js';
import type { DaemonStatus } from '../../../src/daemon/readModel.js';
import { natsTarget } from '../../../src/events/natsTarget.js';
import { nodePaths, type NodePaths } from '../../../src/paths.js';
import { processStartTime } from '../../support/proc.js';
import { trackPid } from '../../support/process.js';
import type { TestScope } from '../../support/scope.js';
import { run, type ShResult } from '../../support/sh.js';
import { createTempDir } from '../../support/tmp.js';
import { waitFor } from '../../support/wait.js';

export const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const bin = (name: string) => path.join(REPO, 'bin', name);

function newestMtime(dir: string): number {
  let max = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) max = Math.max(max, newestMtime(p));
    else if (e.name.endsWith('.ts')) max = Math.max(max, fs.statSync(p).mtimeMs);
  }
  return max;
}

/**
 * The daemon runs as its own process from dist/ (bin/nodemgr imports the
 * build): rebuild when a source is newer than the build of the daemon.
 * tsc emits even on type errors elsewhere, which is all these tests need.
 */
export function ensureBuilt(): void {
  const stamp = path.join(REPO, 'dist/src/daemon/run.js');
  const built = fs.existsSync(stamp) ? fs.statSync(stamp).mtimeMs : 0;
  const src = Math.max(...['src', 'domain', 'projections', 'adapters'].map((d) => newestMtime(path.join(REPO, d))));
  if (src <= built) return;
  try {
    execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: REPO, stdio: 'ignore', timeout: 180_000 });
  } catch {
    // type errors in files being edited by others: the emitted JS is what we run
  }
  // tsc leaves files it did not need to rewrite alone: mark the build as fresh
  if (fs.existsSync(stamp)) fs.utimesSync(stamp, new Date(), new Date());
}

export interface DaemonNode {
  readonly root: string;
  readonly paths: NodePaths;
  readonly env: Record<string, string>;
  readonly node: string;
  readonly natsPort: number;
  readonly listenerPort: number;
  nodemgr(args: readonly string[]): Promise<ShResult>;
  svcmgr(args: readonly string[]): Promise<ShResult>;
  svcmon(args?: readonly string[]): Promise<ShResult>;
  /** nodemgr daemon start, the daemon and its nats-server tracked for the scope's teardown */
  start(): Promise<number>;
  stop(): Promise<void>;
  daemonPid(): number | undefined;
  natsPid(): number | undefined;
  status(): Promise<DaemonStatus>;
  /** every event of the stream, through the daemon's nats-server */
  events(): Promise<StoredEvent[]>;
  /** a service whose only resource is an app launcher written in <svc>.d/ */
  writeAppService(svc: string, launcher: string, o?: { monitor?: boolean; defaults?: Record<string, string> }): void;
}

/** A node in a temp OSVC_ROOT, with free ports for its nats-server and listener. */
export async function daemonNode(scope: TestScope, node = 'node1'): Promise<DaemonNode> {
  const root = await createTempDir(scope);
  const natsPort = await freePort();
  const listenerPort = await freePort();
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', OSVC_ROOT: root, OSVC_NODENAME: node, HOME: root, HASVC_NO_HOST_ACTIONS: '1' };
  const paths = nodePaths(env);
  fs.mkdirSync(paths.etc, { recursive: true });
  fs.writeFileSync(paths.nodeConf, `[nats]\nport = ${natsPort}\n\n[listener]\naddr = 127.0.0.1\nport = ${listenerPort}\n`);
  const exec = (name: string) => (args: readonly string[]) => run([process.execPath, bin(name), ...args], { env, timeoutMs: 90_000, cwd: root });
  const readPid = (file: string) => {
    try {
      const n = Number(fs.readFileSync(file, 'utf8').trim());
      return Number.isInteger(n) && n > 0 && processStartTime(n) !== undefined ? n : undefined;
    } catch {
      return undefined;
    }
  };
  const daemonPid = () => readPid(path.join(paths.var, 'osvcd.pid'));
  const natsPid = () => readPid(path.join(paths.natsDir, 'nats-server.pid'));
  const self: DaemonNode = {
    root,
    paths,
    env,
    node,
    natsPort,
    listenerPort,
    nodemgr: exec('nodemgr'),
    svcmgr: exec('svcmgr'),
    svcmon: (args = []) => exec('svcmon')(['--color', 'no', ...args]),
    async start() {
      const r = await self.nodemgr(['daemon', 'start']);
      if (r.exitCode !== 0) throw new Error(`daemon start failed: ${r.stdout}\n${r.stderr}`);
      const pid = daemonPid();
      if (pid === undefined) throw new Error('daemon started but no pid file');
      // the daemon leads its process group, with its nats-server in it
      trackPid(scope, pid, true);
      const n = natsPid();
      if (n !== undefined) trackPid(scope, n);
      return pid;
    },
    async stop() {
      const r = await self.nodemgr(['daemon', 'stop']);
      if (r.exitCode !== 0) throw new Error(`daemon stop failed: ${r.stdout}\n${r.stderr}`);
    },
    daemonPid,
    natsPid,
    status: () => daemonJson<DaemonStatus>(paths, 'GET', '/daemon/status'),
    async events() {
      const cluster = loadClusterIdentity(paths).name;
      const target = natsTarget(paths);
      const store = await EventStore.open({ ...target.endpoint, cluster, limits: target.limits });
      const out: StoredEvent[] = [];
      try {
        await store.replay({}, (e) => out.push(e));
      } finally {
        await store.close();
      }
      return out;
    },
    writeAppService(svc, launcher, o = {}) {
      const dir = path.join(paths.etc, `${svc}.dir`);
      fs.mkdirSync(dir, { recursive: true });
      if (!fs.existsSync(path.join(paths.etc, `${svc}.d`))) fs.symlinkSync(`${svc}.dir`, path.join(paths.etc, `${svc}.d`));
      fs.writeFileSync(path.join(dir, 'launcher'), `#!/bin/bash\n${launcher}\n`, { mode: 0o755 });
      const defaults = Object.entries({ id: crypto.randomUUID(), nodes: node, ...o.defaults }).map(([k, v]) => `${k} = ${v}`);
      fs.writeFileSync(path.join(paths.etc, `${svc}.conf`), ['[DEFAULT]', ...defaults, '', '[app#main]', 'script = launcher', 'start = 10', 'check = 10', 'stop = 90', ...(o.monitor ? ['monitor = true'] : []), ''].join('\n'));
    },
  };
  return self;
}

export function eventsOf(all: readonly StoredEvent[], type: AnyEvent['type'], svc?: string): AnyEvent[] {
  return all.map((s) => s.event).filter((e) => e.type === type && (svc === undefined || e.svc === svc));
}

/** Poll the stream until `pred` holds on its events. */
export async function waitForEvents(n: DaemonNode, what: string, pred: (all: StoredEvent[]) => boolean, timeoutMs = 15_000): Promise<StoredEvent[]> {
  let last: StoredEvent[] = [];
  await waitFor(what, async () => pred((last = await n.events())), timeoutMs, 200);
  return last;
}

/** The daemon's own log (agent.log), one JSON object a line. */
export function agentLog(n: DaemonNode): { readonly msg: string; readonly [k: string]: unknown }[] {
  if (!fs.existsSync(n.paths.agentLog)) return [];
  return fs
    .readFileSync(n.paths.agentLog, 'utf8')
    .split('\n')
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as { msg: string }];
      } catch {
        return []; // a line being written
      }
    });
}

/** How many times the scheduler has run the job of svc: every run counted (the log records only changes of result). */
export async function jobRuns(n: DaemonNode, svc: string): Promise<number> {
  return (await n.status()).jobs.find((j) => j.svc === svc)?.runs ?? 0;
}

/** The process group of a pid (field 5 of /proc/PID/stat). */
export function pgidOf(pid: number): number | undefined {
  try {
    const st = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[2]);
  } catch {
    return undefined;
  }
}

/** A command of the node as a process of its own (own process group), killed with its group by the scope's teardown. */
export async function spawnNodeCommand(scope: TestScope, n: DaemonNode, name: 'svcmgr' | 'nodemgr', args: readonly string[]): Promise<number> {
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, [bin(name), ...args], { env: n.env, detached: true, stdio: 'ignore', cwd: n.root });
  const pid = await new Promise<number>((resolve, reject) => {
    child.once('spawn', () => resolve(child.pid ?? -1));
    child.once('error', reject);
  });
  child.unref();
  await waitFor(`pid ${pid} in /proc`, () => processStartTime(pid) !== undefined, 2000);
  trackPid(scope, pid, true);
  return pid;
}

/**
 * A launcher body for a stand-in app: `sleep` as the process, its pid in
 * `pidFile`; status is up while that process lives (a zombie is dead: state Z
 * until whoever inherited it reaps it); stop kills it.
 */
export function sleepAppLauncher(pidFile: string): string {
  return [
    'case $1 in',
    `start) nohup sleep 1000 >/dev/null 2>&1 & echo $! > '${pidFile}' ;;`,
    `stop) [ -f '${pidFile}' ] && kill $(cat '${pidFile}') 2>/dev/null; rm -f '${pidFile}'; exit 0 ;;`,
    `status) [ -f '${pidFile}' ] || exit 1; s=$(awk '/^State:/{print $2}' /proc/$(cat '${pidFile}')/status 2>/dev/null); [ -n "$s" ] && [ "$s" != Z ] ;;`,
    '*) exit 0 ;;',
    'esac',
  ].join('\n');
}

/** Whether the stand-in app of `pidFile` runs. */
export function sleepAppRunning(pidFile: string): boolean {
  try {
    const pid = Number(fs.readFileSync(pidFile, 'utf8'));
    const state = /^State:\s+(\S)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return state !== undefined && state !== 'Z';
  } catch {
    return false;
  }
}
