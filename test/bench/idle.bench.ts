import path from 'node:path';
import type { BenchCleanup } from './cleanup.js';
import { cpuTicks, rssMb, startLoopCluster, threadTicks } from './loopCluster.js';

/** What the issue asks of an idle daemon (printed beside the figures, never asserted). */
export const IDLE_TARGETS = { daemonCpuPct: 1, daemonRssMb: 90 } as const;

export interface IdleFigures {
  readonly node: string;
  /** user + system CPU over the idle window, % of one core */
  readonly daemonCpuPct: number;
  readonly daemonRssMb: number;
  readonly natsCpuPct: number;
  readonly natsRssMb: number;
  /** the daemon's CPU by thread name, user and system, % of one core */
  readonly daemonThreads: readonly { readonly name: string; readonly userPct: number; readonly systemPct: number }[];
}

/**
 * A cluster of n daemons on loopback, every peer up, left alone: after
 * `settleMs`, each daemon's and each nats-server's CPU over `idleMs`
 * (utime + stime from /proc/<pid>/stat over the wall time) and RSS at the end.
 * With `cpuProfDir`, the daemons run under --cpu-prof (restarted so once
 * the cluster is up), each writing <cpuProfDir>/<node>/*.cpuprofile when it
 * stops; with `nodeFlags`, under those node flags.
 */
export async function benchIdle(n: number, o: { idleMs: number; settleMs: number; cpuProfDir?: string; nodeFlags?: readonly string[] }, cleanup: BenchCleanup): Promise<IdleFigures[]> {
  const dir = o.cpuProfDir;
  const flags = (name: string) => [...(dir ? ['--cpu-prof', `--cpu-prof-dir=${path.join(dir, name)}`] : []), ...(o.nodeFlags ?? [])];
  const cluster = await startLoopCluster(n, cleanup, dir || o.nodeFlags ? { nodeFlags: (x) => flags(x.name) } : {});
  try {
    await new Promise((r) => setTimeout(r, o.settleMs));
    const procs = cluster.nodes.map((x) => ({ node: x.name, daemon: x.pid(), nats: x.natsPid() }));
    const before = procs.map((p) => ({ daemon: cpuTicks(p.daemon), nats: cpuTicks(p.nats), threads: threadTicks(p.daemon) }));
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, o.idleMs));
    const s = (performance.now() - t0) / 1000;
    const pct = (ticks: number) => (ticks / 100 / s) * 100;
    return procs.map((p, i) => ({
      node: p.node,
      daemonCpuPct: pct(cpuTicks(p.daemon) - before[i]!.daemon),
      daemonRssMb: rssMb(p.daemon),
      natsCpuPct: pct(cpuTicks(p.nats) - before[i]!.nats),
      natsRssMb: rssMb(p.nats),
      daemonThreads: [...threadTicks(p.daemon)]
        .map(([name, t]) => {
          const b = before[i]!.threads.get(name) ?? { user: 0, system: 0 };
          return { name, userPct: pct(t.user - b.user), systemPct: pct(t.system - b.system) };
        })
        .filter((t) => t.userPct + t.systemPct > 0)
        .sort((a, b) => b.userPct + b.systemPct - (a.userPct + a.systemPct)),
    }));
  } finally {
    await cluster.close();
  }
}

export function idleTable(n: number, rows: readonly IdleFigures[]): string[] {
  const head = ['node', 'daemon cpu %', 'daemon rss MB', 'nats cpu %', 'nats rss MB'];
  const f = (x: number) => x.toFixed(2);
  const cells = rows.map((r) => [r.node, f(r.daemonCpuPct), f(r.daemonRssMb), f(r.natsCpuPct), f(r.natsRssMb)]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: readonly string[]) => c.map((x, i) => x.padStart(widths[i]!)).join('  ');
  const max = (k: 'daemonCpuPct' | 'daemonRssMb' | 'natsCpuPct' | 'natsRssMb') => Math.max(...rows.map((r) => r[k]));
  const t = IDLE_TARGETS;
  const verdict = (ok: boolean) => (ok ? 'ok' : 'MISSES');
  return [
    `N=${n}`,
    line(head),
    ...cells.map(line),
    ...rows.map((r) => `${r.node} daemon threads (user/system %): ${r.daemonThreads.map((t) => `${t.name} ${f(t.userPct)}/${f(t.systemPct)}`).join(', ') || 'none'}`),
    `N=${n}: idle daemon CPU max ${f(max('daemonCpuPct'))} % (target <= ${t.daemonCpuPct} %: ${verdict(max('daemonCpuPct') <= t.daemonCpuPct)}); RSS max ${f(max('daemonRssMb'))} MB (target <= ${t.daemonRssMb} MB: ${verdict(max('daemonRssMb') <= t.daemonRssMb)}); nats-server CPU max ${f(max('natsCpuPct'))} %, RSS max ${f(max('natsRssMb'))} MB`,
    '',
  ];
}
