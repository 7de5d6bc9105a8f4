import { startTestNats } from '../support/nats.js';
import { benchEventStore } from './eventStore.bench.js';
import { benchRebuild, benchReplayIntoProjections } from './projections.bench.js';
import { formatResult } from './report.js';

/** npm run bench: prints figures; targets are read from the output, never asserted in tests. */
async function main(): Promise<void> {
  const n = Number(process.env.BENCH_EVENTS ?? 20_000);
  const rebuild = Number(process.env.BENCH_REBUILD_EVENTS ?? 1_000_000);
  const nats = await startTestNats('hasvc-bench-');
  try {
    for (const r of await benchEventStore(nats.url, n)) console.log(formatResult(r));
    for (const r of await benchReplayIntoProjections(nats.url, n)) console.log(formatResult(r));
  } finally {
    await nats.stop();
  }
  for (const r of benchRebuild(rebuild)) console.log(formatResult(r));
}

await main();
