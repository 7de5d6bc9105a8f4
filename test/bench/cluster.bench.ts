import { EventStore } from '../../adapters/nats/eventStore.js';
import { loadClusterIdentity } from '../../src/config/identity.js';
import { natsTarget } from '../../src/events/natsTarget.js';
import { openEventSink } from '../../src/events/open.js';
import type { BenchCleanup } from './cleanup.js';
import { cpuTicks, rssMb, startLoopCluster, until, type LoopNode } from './loopCluster.js';

/** What the issue asks of a cluster (printed beside the figures, never asserted). */
export const CLUSTER_TARGETS = {
  allUpS: 5,
  propagationP50Ms: 200,
  burstBytesRatio: 1.5,
  idleCpuPct: 1,
  idleRssMb: 90,
} as const;

export interface ClusterFigures {
  readonly n: number;
  /** nodemgr daemon join of node2..nodeN through node1, each (s) */
  readonly joinP50S: number;
  readonly joinMaxS: number;
  /** from the end of the last join until every node lists N nodes, every peer up (s) */
  readonly allUpS: number;
  /** a burst of 50 service events on node1: from each append to the event in each other node's stream (ms) */
  readonly propagationP50Ms: number;
  readonly propagationMaxMs: number;
  /** heartbeat bytes each node's receivers read (mean over the nodes): per second idle, and from the burst's start until every node holds it */
  readonly idleBytesPerS: number;
  readonly burstBytes: number;
  /** the daemons idle: CPU over the idle window (%), RSS (MB); mean and max over the nodes */
  readonly cpuMeanPct: number;
  readonly cpuMaxPct: number;
  readonly rssMeanMb: number;
  readonly rssMaxMb: number;
}

function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

const received = async (nodes: readonly LoopNode[]) => Promise.all(nodes.map(async (n) => (await n.status()).heartbeats?.bytes ?? 0));

/**
 * A cluster of n daemons on loopback: built by joins through node1, then
 * idle, then a burst of 50 service events on node1 followed in every other
 * node's stream. No lab, no storage: the services are events only.
 */
export async function benchCluster(n: number, o: { idleMs: number; settleMs: number }, cleanup: BenchCleanup): Promise<ClusterFigures> {
  const cluster = await startLoopCluster(n, cleanup);
  const { nodes, joins, allUpS } = cluster;
  const [first, ...rest] = nodes as [LoopNode, ...LoopNode[]];
  const stops: (() => Promise<void>)[] = [];
  try {
    await new Promise((r) => setTimeout(r, o.settleMs));
    const pids = nodes.map((x) => x.pid());
    const ticks0 = pids.map(cpuTicks);
    const bytes0 = await received(nodes);
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, o.idleMs));
    const idleS = (performance.now() - t0) / 1000;
    const bytes1 = await received(nodes);
    const cpu = pids.map((p, i) => ((cpuTicks(p) - ticks0[i]!) / 100 / idleS) * 100);
    const rss = pids.map(rssMb);
    const idleBytesPerS = mean(bytes1.map((b, i) => (b - bytes0[i]!) / idleS));

    // every other node's stream followed from its end: when each burst event lands there
    const arrivals = new Map<string, number[]>();
    for (const x of rest) {
      const target = natsTarget(x.paths);
      const store = await EventStore.open({ ...target.endpoint, cluster: loadClusterIdentity(x.paths).name, limits: target.limits });
      const last = (await store.jsm.streams.info(store.auditStream)).state.last_seq;
      const stop = await store.follow({ fromSeq: last + 1 }, (e) => {
        if (e.event.origin !== 'node1' || e.event.svc?.startsWith('bench') !== true) return;
        const l = arrivals.get(e.event.id) ?? [];
        l.push(performance.now());
        arrivals.set(e.event.id, l);
      });
      stops.push(async () => {
        await stop();
        await store.close();
      });
    }
    const burstBytes0 = await received(nodes);
    const sink = await openEventSink(first.paths, first.env);
    const sent = new Map<string, number>();
    try {
      for (let k = 1; k <= 50; k++) {
        const at = performance.now();
        const e = await sink.append({ type: 'InstanceStatusChanged', svc: `bench${k}`, data: { avail: 'down', overall: 'down' } });
        sent.set(e.id, at);
      }
    } finally {
      await sink.close();
    }
    await until('the burst in every other node\'s stream', async () => [...sent.keys()].every((id) => (arrivals.get(id)?.length ?? 0) >= rest.length), 60_000);
    const burstBytes1 = await received(nodes);
    const delays = [...sent].flatMap(([id, at]) => (arrivals.get(id) ?? []).map((t) => t - at));
    return {
      n,
      joinP50S: percentile(joins, 50),
      joinMaxS: Math.max(...joins),
      allUpS,
      propagationP50Ms: percentile(delays, 50),
      propagationMaxMs: Math.max(...delays),
      idleBytesPerS,
      burstBytes: mean(burstBytes1.map((b, i) => b - burstBytes0[i]!)),
      cpuMeanPct: mean(cpu),
      cpuMaxPct: Math.max(...cpu),
      rssMeanMb: mean(rss),
      rssMaxMb: Math.max(...rss),
    };
  } finally {
    for (const s of stops) await s().catch(() => undefined);
    await cluster.close();
  }
}

/** The figures as a table, then each target beside the figure it bounds. */
export function clusterTable(rows: readonly ClusterFigures[]): string[] {
  const head = ['N', 'join p50 s', 'join max s', 'all up s', 'prop p50 ms', 'prop max ms', 'hb B/s idle', 'hb B burst', 'cpu % mean', 'cpu % max', 'rss MB mean', 'rss MB max'];
  const f = (x: number) => (x >= 100 ? Math.round(x).toString() : x.toFixed(x >= 10 ? 1 : 2));
  const cells = rows.map((r) => [String(r.n), f(r.joinP50S), f(r.joinMaxS), f(r.allUpS), f(r.propagationP50Ms), f(r.propagationMaxMs), f(r.idleBytesPerS), f(r.burstBytes), f(r.cpuMeanPct), f(r.cpuMaxPct), f(r.rssMeanMb), f(r.rssMaxMb)]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: readonly string[]) => c.map((x, i) => x.padStart(widths[i]!)).join('  ');
  const out = [line(head), ...cells.map(line), ''];
  const t = CLUSTER_TARGETS;
  const verdict = (ok: boolean) => (ok ? 'ok' : 'MISSES');
  const two = rows.find((r) => r.n === 2);
  for (const r of rows) {
    out.push(`N=${r.n}: all up ${f(r.allUpS)} s after the last join (target <= ${t.allUpS} s: ${verdict(r.allUpS <= t.allUpS)}); propagation p50 ${f(r.propagationP50Ms)} ms (target <= ${t.propagationP50Ms} ms: ${verdict(r.propagationP50Ms <= t.propagationP50Ms)}); idle CPU max ${f(r.cpuMaxPct)} % (target <= ${t.idleCpuPct} %: ${verdict(r.cpuMaxPct <= t.idleCpuPct)}); idle RSS max ${f(r.rssMaxMb)} MB (target <= ${t.idleRssMb} MB: ${verdict(r.rssMaxMb <= t.idleRssMb)})`);
  }
  const eight = rows.find((r) => r.n === 8);
  if (two && eight) out.push(`burst bytes per node N=8 / N=2: ${(eight.burstBytes / two.burstBytes).toFixed(2)} (target <= ${t.burstBytesRatio}: ${verdict(eight.burstBytes <= t.burstBytesRatio * two.burstBytes)})`);
  return out;
}
