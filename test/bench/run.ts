import { startTestNats } from '../support/nats.js';
import { benchDaemon, benchDaemonCatchUp } from './daemon.bench.js';
import { benchEventStore } from './eventStore.bench.js';
import { benchRebuild, benchReplayIntoProjections } from './projections.bench.js';
import { formatResult } from './report.js';
import { benchWeb } from './web.bench.js';

/** `npm run bench -- --only web,daemon`: just those parts (store, replay, rebuild, catchup, daemon, web); all without it. */
function parts(argv: readonly string[]): (part: string) => boolean {
  const i = argv.indexOf('--only');
  const v = i >= 0 ? argv[i + 1] : argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
  if (v === undefined) return () => true;
  const want = new Set(v.split(',').map((x) => x.trim()));
  return (part) => want.has(part);
}

/** npm run bench: prints figures; targets are read from the output, never asserted in tests. */
async function main(): Promise<void> {
  const only = parts(process.argv.slice(2));
  const n = Number(process.env.BENCH_EVENTS ?? 20_000);
  const rebuild = Number(process.env.BENCH_REBUILD_EVENTS ?? 1_000_000);
  if (only('store') || only('replay')) {
    const nats = await startTestNats('hasvc-bench-');
    try {
      if (only('store')) for (const r of await benchEventStore(nats.endpoint, n)) console.log(formatResult(r));
      // a long log: the catch-up a daemon does after a long time down or without a usable snapshot
      if (only('replay')) {
        for (const mix of ['recorded', 'one-line'] as const) {
          for (const r of await benchReplayIntoProjections(nats.endpoint, Number(process.env.BENCH_REPLAY_EVENTS ?? 100_000), mix)) console.log(formatResult(r));
        }
      }
    } finally {
      await nats.stop();
    }
  }
  if (only('rebuild')) for (const r of benchRebuild(rebuild)) console.log(formatResult(r));
  const catchUpEvents = Number(process.env.BENCH_CATCHUP_EVENTS ?? 200_000);
  if (catchUpEvents > 0 && only('catchup')) for (const r of await benchDaemonCatchUp(catchUpEvents)) console.log(formatResult(r));
  const counts = (process.env.BENCH_DAEMON_SERVICES ?? '1,100,1000').split(',').map(Number).filter((x) => x > 0);
  const runs = Number(process.env.BENCH_CLI_RUNS ?? 50);
  if (only('daemon')) for (const r of await benchDaemon(counts, runs, Number(process.env.BENCH_DAEMON_SETTLE_MS ?? 20_000))) console.log(formatResult(r));
  // the web view: first load with 100 services, event-to-page latency, the RSS of pages following live
  const webServices = Number(process.env.BENCH_WEB_SERVICES ?? 100);
  if (webServices > 0 && only('web')) {
    const web = await benchWeb(webServices, Number(process.env.BENCH_WEB_LOADS ?? 10), Number(process.env.BENCH_WEB_SAMPLES ?? 40), Number(process.env.BENCH_WEB_CLIENTS ?? 50), Number(process.env.BENCH_DAEMON_SETTLE_MS ?? 20_000));
    for (const r of web) console.log(formatResult(r));
  }
}

await main();
