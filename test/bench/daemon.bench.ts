import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { EventStore } from '../../adapters/nats/eventStore.js';
import { NatsServerSupervisor, freePort } from '../../adapters/nats/server.js';
import { actionLog } from './projections.bench.js';
import type { BenchResult } from './report.js';

const run = promisify(execFile);

/** The repository: bin/ beside the sources (test/bench/) or the build (dist/test/bench/). */
export function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg) && (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { name?: string }).name === 'hasvc') return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error('hasvc repository not found above the bench');
    dir = up;
  }
}

export function rssKb(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

export function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
}

export interface BenchNode {
  readonly root: string;
  readonly env: NodeJS.ProcessEnv;
  cli(name: string, args: readonly string[]): Promise<number>;
  out(name: string, args: readonly string[]): Promise<string>;
  daemonPid(): number;
  natsPid(): number;
  close(): Promise<void>;
}

/** A node in a temp root with `n` small app-only services, its daemon running. */
export async function benchNode(repo: string, n: number): Promise<BenchNode> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hasvct-bench-'));
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, OSVC_ROOT: root, OSVC_NODENAME: 'node1', HOME: root };
  const etc = path.join(root, 'etc/opensvc');
  fs.mkdirSync(etc, { recursive: true });
  fs.writeFileSync(path.join(etc, 'node.conf'), `[nats]\nport = ${await freePort()}\n\n[listener]\naddr = 127.0.0.1\nport = ${await freePort()}\n`);
  for (let i = 1; i <= n; i++) {
    const svc = `svc${i}`;
    fs.mkdirSync(path.join(etc, `${svc}.dir`));
    fs.symlinkSync(`${svc}.dir`, path.join(etc, `${svc}.d`));
    fs.writeFileSync(path.join(etc, `${svc}.dir`, 'launcher'), '#!/bin/sh\n[ "$1" = status ] && exit 1\nexit 0\n', { mode: 0o755 });
    fs.writeFileSync(path.join(etc, `${svc}.conf`), `[DEFAULT]\nid = ${crypto.randomUUID()}\nnodes = node1\n\n[app#main]\nscript = launcher\nstart = 10\ncheck = 10\n`);
  }
  const cli = async (name: string, args: readonly string[]) => {
    const t0 = performance.now();
    await run(process.execPath, [path.join(repo, 'bin', name), ...args], { env, cwd: root, timeout: 120_000 });
    return performance.now() - t0;
  };
  const out = async (name: string, args: readonly string[]) => (await run(process.execPath, [path.join(repo, 'bin', name), ...args], { env, cwd: root, timeout: 120_000 })).stdout;
  await cli('nodemgr', ['daemon', 'start']);
  const pidOf = (file: string) => Number(fs.readFileSync(file, 'utf8').trim());
  return {
    root,
    env,
    cli,
    out,
    daemonPid: () => pidOf(path.join(root, 'var/lib/opensvc/osvcd.pid')),
    natsPid: () => pidOf(path.join(root, 'var/lib/opensvc/nats/nats-server.pid')),
    async close() {
      const pid = (() => {
        try {
          return pidOf(path.join(root, 'var/lib/opensvc/osvcd.pid'));
        } catch {
          return undefined;
        }
      })();
      try {
        await cli('nodemgr', ['daemon', 'stop']);
      } catch {
        // the daemon leads its process group, its nats-server in it
        if (pid !== undefined) process.kill(-pid, 'SIGKILL');
      }
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

/**
 * The daemon at rest with 1, 100 and 1,000 services (the first status pass
 * done), and the CLI's latency against it: svcmon (a daemon query) and
 * `svcmgr print status` (a local probe appended to the log).
 */
export async function benchDaemon(counts: readonly number[], runs: number, settleMs: number): Promise<BenchResult[]> {
  const repo = repoRoot();
  const out: BenchResult[] = [];
  for (const n of counts) {
    const node = await benchNode(repo, n);
    try {
      await new Promise((r) => setTimeout(r, settleMs));
      out.push({ name: `daemon RSS idle, ${n} service(s)`, unit: 'MB', ours: rssKb(node.daemonPid()) / 1024 });
      out.push({ name: `nats-server RSS idle, ${n} service(s)`, unit: 'MB', ours: rssKb(node.natsPid()) / 1024 });
      if (n >= 100 || n === Math.max(...counts)) {
        for (const [label, name, args] of [
          ['svcmon', 'svcmon', []],
          ['svcmgr -s svc1 print status', 'svcmgr', ['-s', 'svc1', 'print', 'status']],
        ] as const) {
          await node.cli(name, args); // warm the page cache
          const times: number[] = [];
          for (let i = 0; i < runs; i++) times.push(await node.cli(name, args));
          out.push({ name: `${label} latency p50 (${n} services, ${runs} runs)`, unit: 'ms', ours: percentile(times, 50) });
          out.push({ name: `${label} latency p95 (${n} services, ${runs} runs)`, unit: 'ms', ours: percentile(times, 95) });
        }
      }
    } finally {
      await node.close();
    }
  }
  return out;
}

/**
 * A daemon starting on a long log with no usable snapshot (first start of a
 * node that received a peer's history, or a snapshot lost): the log of a
 * peer's `events` actions as the engine records them, then a restart.
 */
export async function benchDaemonCatchUp(events: number): Promise<BenchResult[]> {
  const node = await benchNode(repoRoot(), 10);
  try {
    const cluster = (await node.out('nodemgr', ['get', '--param', 'cluster.name'])).trim();
    await node.cli('nodemgr', ['daemon', 'stop']);
    // the stream has one writer: append with the daemon down, through a server of our own on the node's store
    const natsDir = path.join(node.root, 'var/lib/opensvc/nats');
    const server = new NatsServerSupervisor({ dir: natsDir, port: await freePort(), serverName: 'bench_writer', logFile: path.join(node.root, 'nats-bench.log') });
    await server.start();
    try {
      const store = await EventStore.open({ ...server.endpoint, cluster });
      try {
        await store.append([...actionLog(cluster, events, 'recorded', 'node9')], 256);
      } finally {
        await store.close();
      }
    } finally {
      await server.stop();
    }
    fs.rmSync(path.join(node.root, 'var/lib/opensvc/projections/instances.json'), { force: true });
    const start = await node.cli('nodemgr', ['daemon', 'start']);
    const log = fs.readFileSync(path.join(node.root, 'var/log/opensvc/agent.log'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { msg?: string; ms?: number; replayed?: number });
    const rebuilt = log.filter((l) => l.msg === 'projections rebuilt from the log').at(-1);
    if (!rebuilt?.ms || !rebuilt.replayed) throw new Error('bench: the daemon did not say how it rebuilt its projections');
    return [
      { name: `daemon catch-up of a ${rebuilt.replayed.toLocaleString('en-US')}-event log, no snapshot`, unit: 's', ours: rebuilt.ms / 1000 },
      { name: 'daemon catch-up rate', unit: 'events/s', ours: rebuilt.replayed / (rebuilt.ms / 1000) },
      { name: `nodemgr daemon start on that log (until it answers)`, unit: 's', ours: start / 1000 },
    ];
  } finally {
    await node.close();
  }
}
