import fs from 'node:fs/promises';
import path from 'node:path';
import { killPids, sleep } from '../host.js';
import { LAB_NODES, labDown, labUp, nodeProcesses, runIn, type LabInfo, type LabNode } from '../lab.js';
import { daemonEvents } from '../probes.js';
import { buildCluster, daemonStatus, nodeStream, peerState, svc1Of, type ClusterOptions, type DaemonStatusView } from './cluster.js';
import { clearPacketLoss, heal } from './faults.js';
import { convergenceProblems, heads } from './invariants.js';
import { Observer, type TimelineEntry } from './observer.js';

/**
 * How a fault scenario runs: a lab with the tutorial's cluster (cluster.ts;
 * kept from the last scenario when that one passed, see Bench), the observer
 * started, a baseline waited for (svc1 running on node1, answering the
 * client, both daemons seeing each other up), then the scenario's faults and
 * checks; at the end, whatever happened, every fault is undone and the
 * observer stopped; a failed scenario's lab is removed, never reused.
 */

export interface ScenarioContext {
  readonly info: LabInfo;
  readonly obs: Observer;
  /** hb#1 timeout in ms (what "N × timeout" is counted in) */
  readonly timeoutMs: number;
  log(line: string): void;
  /** a check that does not stop the scenario: recorded, the scenario fails at the end */
  check(ok: boolean, what: string, detail?: string): boolean;
  /** a repair to run at the end, also on failure (SIGCONT, rules removed...) */
  onCleanup(fn: () => Promise<unknown> | unknown): void;
  /** the time from a fault to the service answering again, as this scenario measures it */
  recovery(ms: number | undefined, what: string): void;
  note(text: string): void;
  /** wait until node's daemon status satisfies pred */
  status(node: LabNode, what: string, pred: (s: DaemonStatusView) => boolean, timeoutMs: number): Promise<DaemonStatusView>;
  /** wait until both nodes' logs hold the same events, each once, per origin in order; returns how long it took */
  converged(timeoutMs?: number): Promise<number>;
}

export interface Scenario {
  /** what --scenario takes */
  readonly name: string;
  readonly title: string;
  readonly cluster: ClusterOptions;
  /**
   * A bug of the cluster (src/, domain/) makes this scenario fail: what it
   * is, and the failure it shows (a check's text). The scenario is kept as
   * it is; its test expects that failure, and that one only, until the fix.
   */
  readonly knownBug?: { readonly what: string; readonly symptom: RegExp; readonly intermittent?: boolean };
  run(ctx: ScenarioContext): Promise<void>;
}

export interface ScenarioResult {
  readonly name: string;
  readonly title: string;
  readonly ok: boolean;
  readonly failures: readonly string[];
  readonly notes: readonly string[];
  /** what was measured: fault to the service answering again */
  readonly recovery: readonly { readonly what: string; readonly ms: number | undefined }[];
  /** samples on which the service was up on both nodes, the scenario's provoking aside */
  readonly doubleActive: number;
  readonly provokedDouble: number;
  /** samples that had no sample of the other node close enough to be compared */
  readonly unpaired: number;
  readonly samples: number;
  readonly durationMs: number;
  /** it failed with its known bug's symptom and nothing else */
  readonly knownBugOnly: boolean;
  /** the scenario ran on the cluster the last one left (Bench) */
  readonly reusedCluster: boolean;
  readonly knownBug?: string;
  readonly timeline: readonly TimelineEntry[];
}

export interface RunOptions {
  readonly log?: (line: string) => void;
  /** where each node's agent.log, daemon.out and events go when the scenario fails (kept for the bug report) */
  readonly artifactsDir?: string;
}

/** A failed scenario's evidence: each node's daemon log and output, its events as its daemon serves them, the timeline. */
async function keepArtifacts(info: LabInfo, dir: string, timeline: readonly TimelineEntry[]): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  for (const n of info.nodeNames) {
    for (const f of ['agent.log', 'daemon.out']) await fs.copyFile(path.join(info.nodes[n].log, f), path.join(dir, `${n}-${f}`)).catch(() => undefined);
    const events = await daemonEvents(info, n).catch(() => undefined);
    if (events !== undefined) await fs.writeFile(path.join(dir, `${n}-events.jsonl`), events.map((e) => JSON.stringify(e)).join('\n') + '\n');
  }
  await fs.writeFile(path.join(dir, 'timeline.txt'), timeline.map((e) => `${(e.at / 1000).toFixed(3).padStart(8)}  ${e.who.padEnd(18)} ${e.what}`).join('\n') + '\n');
}

const parseSeconds = (v: string | undefined, dflt: number): number => {
  if (v === undefined) return dflt;
  const m = /^(\d+(?:\.\d+)?)(ms|s)?$/.exec(v);
  if (!m) return dflt;
  return Number(m[1]) * (m[2] === 'ms' ? 1 : 1000);
};

/** svc1 runs on node1 only and answers the client from it; each daemon sees the other up and svc1 up on node1. */
async function baseline(ctx: ScenarioContext, timeoutMs: number): Promise<void> {
  await ctx.obs.until('svc1 running on node1 and answering the client from it', () => ctx.obs.runs('node1') && ctx.obs.holds('node2').length === 0 && ctx.obs.answering() === 'node1', timeoutMs);
  for (const [n, peer] of [['node1', 'node2'], ['node2', 'node1']] as const) {
    await ctx.status(n, `${n} sees ${peer} up and svc1 up on node1, thawed`, (s) => {
      const svc = svc1Of(s);
      const i1 = svc?.instances.find((i) => i.node === 'node1');
      return peerState(s, peer)?.state === 'up' && i1?.avail === 'up' && svc?.instances.every((i) => !i.frozen) === true;
    }, timeoutMs);
  }
}

/**
 * A kept cluster whose last scenario left svc1 on node2 alone: `svcmgr -s
 * svc1 giveback --wait` puts it back on node1, which is quicker than a new
 * cluster. True when the baseline holds again.
 */
async function giveBack(ctx: ScenarioContext, log: (line: string) => void): Promise<boolean> {
  if (!(ctx.obs.runs('node2') && ctx.obs.holds('node1').length === 0)) return false;
  log('svc1 runs on node2: svcmgr -s svc1 giveback --wait, to start from node1');
  const r = await runIn('node1', ['svcmgr', '-s', 'svc1', 'giveback', '--wait', '--time', '60'], { timeoutMs: 90_000 });
  if (r.exitCode !== 0) {
    log(`giveback failed (${(r.stderr || r.stdout).trim().split('\n')[0] ?? ''})`);
    return false;
  }
  try {
    await baseline(ctx, 30_000);
    return true;
  } catch (err) {
    log(`still not at the baseline after giveback: ${(err as Error).message.split('\n')[0] ?? ''}`);
    return false;
  }
}

const optionsKey = (o: ClusterOptions): string => JSON.stringify([o.diskHb, o.interval, o.timeout, o.readyPeriod]);

/**
 * The lab and its cluster, kept from one scenario to the next when the last
 * one passed and left svc1 on node1 (the baseline, checked again before the
 * next scenario; a cluster that does not reach it is built anew). Building
 * takes longer than most scenarios. `close` removes everything.
 */
export class Bench {
  private current: { info: LabInfo; key: string } | undefined;

  constructor(private readonly log: (line: string) => void = () => undefined) {}

  /** A lab with the tutorial's cluster built with these options: the kept one, or a new one. */
  async cluster(o: ClusterOptions, fresh = false): Promise<{ info: LabInfo; reused: boolean }> {
    if (this.current !== undefined && !fresh && this.current.key === optionsKey(o)) return { info: this.current.info, reused: true };
    await this.close();
    this.log('lab up');
    const info = await labUp();
    this.current = { info, key: optionsKey(o) };
    this.log(`cluster (${o.diskHb ? 'hb#1 unicast, hb#2 disk' : 'hb#1 unicast only'})`);
    await buildCluster(info, o, (l) => this.log(`  ${l}`));
    return { info, reused: false };
  }

  /** Whatever state it is in, the cluster is not used again. */
  discard(): void {
    this.current = undefined;
  }

  /** Every process of the nodes killed at once (nothing to stop cleanly), then the lab removed. */
  async close(): Promise<void> {
    this.current = undefined;
    // again until none is left: a dying daemon may have started its nats-server again
    for (const n of LAB_NODES) {
      for (let round = 0; round < 10; round++) {
        const pids = await nodeProcesses(n).catch(() => []);
        if (pids.length === 0) break;
        await killPids(pids, 0);
      }
    }
    this.log('lab down');
    await labDown();
  }
}

export async function runScenario(s: Scenario, o: RunOptions & { readonly bench?: Bench } = {}): Promise<ScenarioResult> {
  const log = o.log ?? (() => undefined);
  const bench = o.bench ?? new Bench((l) => log(`${s.name}: ${l}`));
  const t0 = Date.now();
  const failures: string[] = [];
  const notes: string[] = [];
  const recovery: { what: string; ms: number | undefined }[] = [];
  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  let obs: Observer | undefined;
  let info: LabInfo | undefined;
  let reused = false;
  const context = (lab: LabInfo, observer: Observer): ScenarioContext => ({
    info: lab,
    obs: observer,
    timeoutMs: parseSeconds(s.cluster.timeout, 3000),
    log: (line) => log(`${s.name}: ${line}`),
    check(ok, what, detail) {
      if (!ok) failures.push(detail === undefined ? what : `${what}: ${detail}`);
      log(`${s.name}:   ${ok ? 'ok    ' : 'FAILED'} ${what}${!ok && detail !== undefined ? ` (${detail})` : ''}`);
      return ok;
    },
    onCleanup: (fn) => cleanups.push(fn),
    recovery(ms, what) {
      recovery.push({ what, ms });
      log(`${s.name}: ${what}: ${ms === undefined ? 'never' : `${(ms / 1000).toFixed(2)}s`}`);
    },
    note(text) {
      notes.push(text);
      log(`${s.name}: ${text}`);
    },
    async status(node, what, pred, timeoutMs) {
      let last: DaemonStatusView | undefined;
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        last = await daemonStatus(lab, node);
        if (last !== undefined && pred(last)) return last;
        if (Date.now() > deadline) {
          const seen = last === undefined ? 'no answer' : JSON.stringify({ nodes: last.nodes, svc1: svc1Of(last) });
          throw new Error(`not within ${(timeoutMs / 1000).toFixed(1)}s: ${what}\n  ${node}'s daemon: ${seen}\n${observer.describe()}`);
        }
        // the observer's invariants hold while waiting on a daemon too
        observer.assertSingle(what);
        await sleep(200);
      }
    },
    async converged(timeoutMs = 30_000) {
      const start = Date.now();
      let problems: string[] = [];
      while (Date.now() - start < timeoutMs) {
        observer.assertSingle('the logs to converge');
        const [a, b] = await Promise.all([nodeStream('node1').catch((e: Error) => e), nodeStream('node2').catch((e: Error) => e)]);
        if (a instanceof Error || b instanceof Error) {
          problems = [a, b].filter((x): x is Error => x instanceof Error).map((e) => e.message);
        } else {
          problems = convergenceProblems({ node: 'node1', records: a }, { node: 'node2', records: b });
          if (problems.length === 0) {
            log(`${s.name}: logs converged: ${a.length} events, heads ${JSON.stringify(heads(a))}`);
            return Date.now() - start;
          }
        }
        await sleep(500);
      }
      throw new Error(`the logs did not converge within ${(timeoutMs / 1000).toFixed(0)}s:\n  ${problems.slice(0, 10).join('\n  ')}`);
    },
  });
  try {
    ({ info, reused } = await bench.cluster(s.cluster));
    obs = await Observer.start(info);
    let ctx = context(info, obs);
    log(`${s.name}: baseline${reused ? ' (the cluster of the last scenario)' : ''}`);
    const restored = reused && (await giveBack(ctx, log));
    if (restored) obs.mark('baseline restored: svc1 given back to node1');
    try {
      if (!restored) await baseline(ctx, reused ? 15_000 : 30_000);
    } catch (err) {
      if (!reused) throw err;
      log(`${s.name}: the kept cluster is not at the baseline, building a new one (${(err as Error).message.split('\n')[0]})`);
      await obs.stop();
      obs = undefined;
      ({ info } = await bench.cluster(s.cluster, true));
      obs = await Observer.start(info);
      ctx = context(info, obs);
      await baseline(ctx, 30_000);
    }
    log(`${s.name}: ${s.title}`);
    obs.mark(`scenario: ${s.title}`);
    await s.run(ctx);
    const doubles = obs.doubleActive();
    ctx.check(doubles.length === 0, 'svc1 never on both nodes at once (every sample)', doubles.length > 0 ? `${doubles.length} sample(s), first: ${doubles[0]!.what.join(', ')}` : undefined);
  } catch (err) {
    failures.push(err instanceof Error ? err.message : String(err));
    log(`${s.name}:   FAILED ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
  } finally {
    for (const fn of cleanups.reverse()) {
      try {
        await fn();
      } catch (e) {
        failures.push(`cleanup: ${(e as Error).message}`);
      }
    }
    if (info !== undefined && failures.length > 0 && o.artifactsDir !== undefined) {
      const dir = path.join(o.artifactsDir, s.name);
      await keepArtifacts(info, dir, obs?.timeline() ?? []).catch((e: Error) => log(`${s.name}: keeping the logs: ${e.message}`));
      log(`${s.name}: logs and timeline kept in ${dir}`);
    }
    if (info !== undefined) {
      for (const n of info.nodeNames) {
        await clearPacketLoss(info, n).catch(() => undefined);
        await heal(info, n).catch(() => undefined);
      }
    }
    await obs?.stop().catch((e: Error) => failures.push(`observer stop: ${e.message}`));
    if (failures.length > 0) bench.discard();
    if (o.bench === undefined || failures.length > 0) await bench.close().catch((e: Error) => failures.push(`lab down: ${e.message}`));
  }
  const all = obs?.violations ?? [];
  const bug = s.knownBug;
  const knownBugOnly = bug !== undefined && failures.length > 0 && failures.every((f) => bug.symptom.test(f)) && !all.some((v) => v.provoked === undefined);
  return {
    name: s.name,
    title: s.title,
    ok: failures.length === 0,
    failures,
    notes,
    recovery,
    doubleActive: all.filter((v) => v.provoked === undefined).length,
    provokedDouble: all.filter((v) => v.provoked !== undefined).length,
    unpaired: obs?.unpaired ?? 0,
    samples: obs === undefined ? 0 : obs.samples.node1.length + obs.samples.node2.length,
    durationMs: Date.now() - t0,
    knownBugOnly,
    reusedCluster: reused,
    ...(s.knownBug !== undefined ? { knownBug: s.knownBug.what } : {}),
    timeline: obs?.timeline() ?? [],
  };
}

/** The per-scenario table: recovery times and double-active samples. */
export function resultTable(results: readonly ScenarioResult[]): string {
  const rows = results.map((r) => [
    r.name,
    r.ok ? (r.knownBug !== undefined ? 'ok (known bug not seen)' : 'ok') : r.knownBugOnly ? 'known bug' : 'FAILED',
    r.recovery.map((x) => `${x.what}: ${x.ms === undefined ? 'never' : `${(x.ms / 1000).toFixed(1)}s`}`).join('; ') || '-',
    String(r.doubleActive),
    r.provokedDouble > 0 ? String(r.provokedDouble) : '-',
    `${r.samples}/${r.unpaired}`,
    `${(r.durationMs / 1000).toFixed(0)}s${r.reusedCluster ? ' (kept cluster)' : ''}`,
  ]);
  const head = ['scenario', 'result', 'time to recovery', 'double', 'provoked', 'samples/unpaired', 'took'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
