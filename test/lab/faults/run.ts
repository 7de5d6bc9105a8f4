import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LabError, labDown } from '../lab.js';
import { Bench, resultTable, runScenario, type ScenarioResult } from './harness.js';
import type { Scenario } from './harness.js';
import { SCENARIOS, scenarioNamed, soak } from './scenarios.js';

/**
 * npm run faults [-- --runs N] [--seed S] [--scenario NAME]... [--report FILE]
 *
 * Runs fault scenarios on the two-node lab (a scenario that passed hands its
 * cluster to the next, see Bench), drawn at random from the catalogue with a seeded generator (the same
 * seed draws the same scenarios), or the ones named; prints the per-scenario
 * table and writes every result, with its observer timeline, as JSON.
 */

const USAGE = `usage: npm run faults [-- options]
  --runs N          how many scenarios to draw at random (default 1; with --scenario: how many times each)
  --seed S          seed of the draw (default: the time; printed, to draw the same again)
  --scenario NAME   run this scenario (repeatable), no draw
  --report FILE     where the JSON report goes (default ${path.join(os.tmpdir(), 'hasvc-faults-<seed>.json')})
  --hb fast|default heartbeat timings of every scenario: fast is interval 200ms, timeout 1s, ready_period 1s;
                    default (the scenarios' own) is 1s, 3s, 2s
  --list            list the scenarios
scenarios:
${SCENARIOS.map((s) => `  ${s.name.padEnd(30)} ${s.title}`).join('\n')}
never drawn, named only (HASVC_SOAK_MINUTES sets its length, 10):
  ${soak.name.padEnd(30)} ${soak.title}`;

/** mulberry32: small, seeded, good enough to draw scenarios. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Args {
  runs: number;
  seed: number;
  scenarios: Scenario[];
  report?: string;
  list: boolean;
  hb: 'fast' | 'default';
}

/** The scenarios' heartbeats made fast (--hb fast): what a failover-in-seconds cluster is set to. */
export function withHb(s: Scenario, hb: 'fast' | 'default'): Scenario {
  return hb === 'default' ? s : { ...s, cluster: { ...s.cluster, interval: '200ms', timeout: '1s', readyPeriod: '1s' } };
}

function parseArgs(argv: readonly string[]): Args | string {
  const a: Args = { runs: 1, seed: Date.now() % 2 ** 31, scenarios: [], list: false, hb: 'default' };
  for (let i = 0; i < argv.length; i++) {
    const opt = argv[i];
    const val = argv[i + 1];
    switch (opt) {
      case '--runs':
      case '--seed': {
        const n = Number(val);
        if (val === undefined || !Number.isInteger(n) || n < (opt === '--runs' ? 1 : 0)) return `${opt}: a whole number${opt === '--runs' ? ', 1 or more' : ''}`;
        if (opt === '--runs') a.runs = n;
        else a.seed = n;
        i++;
        break;
      }
      case '--scenario': {
        const s = val === undefined ? undefined : scenarioNamed(val);
        if (s === undefined) return `--scenario: ${JSON.stringify(val ?? '')} is not a scenario (--list)`;
        a.scenarios.push(s);
        i++;
        break;
      }
      case '--report':
        if (val === undefined) return '--report: a file name';
        a.report = val;
        i++;
        break;
      case '--list':
        a.list = true;
        break;
      case '--hb':
        if (val !== 'fast' && val !== 'default') return '--hb: fast or default';
        a.hb = val;
        i++;
        break;
      default:
        return `unknown argument ${opt ?? ''}`;
    }
  }
  return a;
}

/** What to run: the named scenarios, each `runs` times, or `runs` drawn from the catalogue. */
export function draw(a: { runs: number; seed: number; scenarios: readonly Scenario[] }): Scenario[] {
  if (a.scenarios.length > 0) return Array.from({ length: a.runs }, () => a.scenarios).flat();
  const rnd = seeded(a.seed);
  return Array.from({ length: a.runs }, () => SCENARIOS[Math.floor(rnd() * SCENARIOS.length)]!);
}

async function main(argv: readonly string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const a = parseArgs(argv);
  if (typeof a === 'string') {
    process.stderr.write(`faults: ${a}\n${USAGE}\n`);
    return 2;
  }
  if (a.list) {
    for (const s of SCENARIOS) process.stdout.write(`${s.name}\t${s.title}\n`);
    return 0;
  }
  if (process.getuid?.() !== 0) {
    process.stderr.write('faults: needs root (namespaces, loop devices, LVM, nftables)\n');
    return 1;
  }
  const plan = draw(a).map((s) => withHb(s, a.hb));
  const report = a.report ?? path.join(os.tmpdir(), `hasvc-faults-${a.seed}.json`);
  // a failed run's logs go beside the report: FILE.json's in FILE/, any other name's in FILE.d/ (never FILE itself)
  const artifactsRoot = report.endsWith('.json') ? report.slice(0, -'.json'.length) : `${report}.d`;
  const log = (line: string) => process.stdout.write(`${new Date().toISOString().slice(11, 23)} ${line}\n`);
  log(`seed ${a.seed}, heartbeats ${a.hb}: ${plan.map((s) => s.name).join(', ')}`);

  let interrupted = false;
  process.on('SIGINT', () => {
    if (interrupted) return;
    interrupted = true;
    log('interrupted: removing the lab');
    labDown().finally(() => process.exit(130));
  });

  const results: ScenarioResult[] = [];
  const started = new Date().toISOString();
  const bench = new Bench(log);
  try {
    for (const [i, s] of plan.entries()) {
      results.push(await runScenario(s, { log, bench, artifactsDir: path.join(artifactsRoot, `${i + 1}`) }));
      const r = results.at(-1)!;
      for (const f of r.failures) log(`${r.name}: FAILED ${f.split('\n').join('\n    ')}`);
    }
  } finally {
    await bench.close();
  }
  // a known bug failing the way it is known to is no news; anything else is
  const failed = results.filter((r) => !r.ok && !r.knownBugOnly);
  const known = results.filter((r) => r.knownBugOnly);
  writeFileSync(report, `${JSON.stringify({ seed: a.seed, runs: a.runs, started, finished: new Date().toISOString(), ok: failed.length === 0, results }, null, 2)}\n`);
  process.stdout.write(`\n${resultTable(results)}\n\n`);
  for (const r of known) process.stdout.write(`known bug (${r.name}): ${r.knownBug ?? ''}\n`);
  process.stdout.write(`${results.length - failed.length - known.length} passed, ${failed.length} failed, ${known.length} known bug(s)\n`);
  process.stdout.write(`report: ${report} (seed ${a.seed})\n`);
  return failed.length === 0 ? 0 : 1;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`faults: ${err instanceof LabError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
}
