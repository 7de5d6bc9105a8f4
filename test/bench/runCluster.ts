import { BenchCleanup } from './cleanup.js';
import { benchCluster, clusterTable, type ClusterFigures } from './cluster.bench.js';

/**
 * npm run bench:cluster: clusters of 2, 4, 8 and 16 daemons on loopback
 * (BENCH_CLUSTER_SIZES to choose), one after the other. Prints figures and
 * the targets beside them; nothing is asserted. Interrupted, it leaves no
 * daemon, nats-server or temp dir behind.
 */
async function main(): Promise<void> {
  const sizes = (process.env.BENCH_CLUSTER_SIZES ?? '2,4,8,16').split(',').map(Number).filter((x) => x >= 2);
  const idleMs = Number(process.env.BENCH_CLUSTER_IDLE_MS ?? 20_000);
  const settleMs = Number(process.env.BENCH_CLUSTER_SETTLE_MS ?? 10_000);
  const cleanup = new BenchCleanup();
  const rows: ClusterFigures[] = [];
  try {
    for (const n of sizes) {
      const r = await benchCluster(n, { idleMs, settleMs }, cleanup);
      rows.push(r);
      console.error(`cluster of ${n}: done`);
    }
  } finally {
    cleanup.close();
  }
  for (const l of clusterTable(rows)) console.log(l);
}

await main();
