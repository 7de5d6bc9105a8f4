import fs from 'node:fs';
import path from 'node:path';
import { BenchCleanup } from './cleanup.js';
import { hotSpots } from './cpuProfile.js';
import { benchIdle, idleTable } from './idle.bench.js';

/**
 * npm run bench:idle: clusters of 2 daemons on loopback (BENCH_IDLE_SIZES,
 * e.g. 2,4), every peer up, left alone for BENCH_IDLE_MS (60 s); prints each
 * daemon's and nats-server's CPU and RSS. BENCH_IDLE_CPU_PROF=<dir>: the
 * daemons run under --cpu-prof, their profiles written under that dir and
 * their hot spots in the idle window printed. BENCH_IDLE_NODE_FLAGS: more
 * node flags for the daemons (--import a probe...).
 * Interrupted, it leaves no daemon, nats-server or temp dir behind.
 */
async function main(): Promise<void> {
  const sizes = (process.env.BENCH_IDLE_SIZES ?? '2').split(',').map(Number).filter((x) => x >= 2);
  const idleMs = Number(process.env.BENCH_IDLE_MS ?? 60_000);
  const settleMs = Number(process.env.BENCH_IDLE_SETTLE_MS ?? 10_000);
  const profDir = process.env.BENCH_IDLE_CPU_PROF ? path.resolve(process.env.BENCH_IDLE_CPU_PROF) : undefined;
  const nodeFlags = (process.env.BENCH_IDLE_NODE_FLAGS ?? '').split(' ').filter((x) => x !== '');
  const cleanup = new BenchCleanup();
  try {
    for (const n of sizes) {
      const dir = profDir && path.join(profDir, `n${n}-${Date.now()}`);
      const rows = await benchIdle(n, { idleMs, settleMs, ...(dir ? { cpuProfDir: dir } : {}), ...(nodeFlags.length > 0 ? { nodeFlags } : {}) }, cleanup);
      for (const l of idleTable(n, rows)) console.log(l);
      if (dir) {
        for (const node of fs.readdirSync(dir).sort()) {
          for (const f of fs.readdirSync(path.join(dir, node)).filter((x) => x.endsWith('.cpuprofile'))) {
            // the idle window: what ends with the stop (a few seconds) left out
            for (const l of hotSpots(path.join(dir, node, f), { windowMs: idleMs, tailMs: 3000 })) console.log(l);
          }
        }
      }
    }
  } finally {
    cleanup.close();
  }
}

await main();
