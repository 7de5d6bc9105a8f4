import { benchAudit } from './audit.bench.js';
import { formatResult } from './report.js';

/**
 * npm run bench:audit: why, print history and --at on a long log
 * (BENCH_AUDIT_EVENTS, 1,000,000 by default), BENCH_AUDIT_RUNS runs each.
 */
async function main(): Promise<void> {
  const events = Number(process.env.BENCH_AUDIT_EVENTS ?? 1_000_000);
  const runs = Number(process.env.BENCH_AUDIT_RUNS ?? 3);
  for (const r of await benchAudit(events, runs)) console.log(formatResult(r));
}

await main();
