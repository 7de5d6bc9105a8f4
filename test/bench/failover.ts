import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { alive } from '../lab/host.js';
import { LabError, OBSERVER_NETNS, labDown, runIn, type LabInfo, type LabNode } from '../lab/lab.js';
import { peerState, svc1Of, type ClusterOptions } from '../lab/faults/cluster.js';
import { heal, nodeReturn, partition, powerLoss } from '../lab/faults/faults.js';
import { Bench, runScenario, type Scenario, type ScenarioContext, type ScenarioResult } from '../lab/faults/harness.js';

/**
 * npm run bench:failover [-- --runs N] [--hb fast|default]
 *
 * hasvc's failover against keepalived's, in the same lab, the same run, the
 * same faults, seen from the same outside observer (a network namespace on
 * the lab's bridge, never a node):
 *  - hasvc: svc1 as the tutorial builds it (address, vg, two filesystems, the
 *    web server, monitored), a disk heartbeat beside the unicast one; the time
 *    from the fault to the first HTTP answer of the page (the fault suite's
 *    prober, every 100 ms);
 *  - keepalived (Debian's): a VRRP address (10.199.0.43, advert_int 1, node1
 *    preferred) on the same two nodes; the time from the fault to the first
 *    ping answer (every 100 ms) sent after it.
 * Faults: the monitored web server killed (hasvc only: restarted in place,
 * relocated), node1's power loss (every process killed, link cut, addresses
 * and mounts gone), node1's link cut with its processes alive (hasvc keeps
 * the service where it runs: the disk heartbeat says node1 lives, a takeover
 * would run it twice; keepalived moves the address, which then answers on
 * both nodes). Prints min / median / max per fault. Nothing is asserted.
 */

const VIP = '10.199.0.43';
const VRID = 51;
const PRIORITY: Record<LabNode, number> = { node1: 150, node2: 100 };

const HB: Record<string, ClusterOptions> = {
  fast: { diskHb: true, interval: '200ms', timeout: '1s', readyPeriod: '1s' },
  default: { diskHb: true, interval: '1s', timeout: '3s', readyPeriod: '2s' },
};

// ---------------------------------------------------------------- keepalived

function keepalivedConf(node: LabNode, ipdev: string): string {
  return [
    'global_defs {',
    `  router_id hasvc_bench_${node}`,
    '}',
    'vrrp_instance hasvc_bench {',
    '  state BACKUP',
    `  interface ${ipdev}`,
    `  virtual_router_id ${VRID}`,
    `  priority ${PRIORITY[node]}`,
    '  advert_int 1',
    '  virtual_ipaddress {',
    `    ${VIP}/24 dev ${ipdev}`,
    '  }',
    '}',
    '',
  ].join('\n');
}

/** keepalived (VRRP only) in the node, its files under the node's /var/lib/opensvc/keepalived; a no-op when it runs. */
async function startKeepalived(info: LabInfo, node: LabNode): Promise<void> {
  const hostDir = path.join(info.nodes[node].var, 'keepalived');
  mkdirSync(hostDir, { recursive: true });
  // by its pid file: the nodes share the host's pid namespace, pgrep there sees the other node's
  const pidFile = path.join(hostDir, 'keepalived.pid');
  const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) : 0;
  if (Number.isInteger(pid) && pid > 0 && alive(pid)) return;
  writeFileSync(path.join(hostDir, 'keepalived.conf'), keepalivedConf(node, info.ipdev));
  const dir = '/var/lib/opensvc/keepalived';
  const r = await runIn(node, ['keepalived', '--vrrp', '-f', `${dir}/keepalived.conf`, '-p', `${dir}/keepalived.pid`, '-r', `${dir}/vrrp.pid`], { timeoutMs: 10_000 });
  if (r.exitCode !== 0) throw new Error(`${node}: keepalived exited ${r.exitCode}: ${(r.stderr || r.stdout).trim()}`);
}

async function holdsVip(info: LabInfo, node: LabNode): Promise<boolean> {
  const r = await runIn(node, ['ip', '-o', '-4', 'addr', 'show', 'dev', info.ipdev]);
  return r.stdout.includes(` ${VIP}/`);
}

/** Where the VRRP address is, as each node's own table says. */
async function vipHolders(info: LabInfo): Promise<LabNode[]> {
  const out: LabNode[] = [];
  for (const n of info.nodeNames) if (await holdsVip(info, n)) out.push(n);
  return out;
}

async function until(what: string, timeoutMs: number, pred: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`not within ${(timeoutMs / 1000).toFixed(0)}s: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * ping of the VRRP address every 100 ms from the observer's namespace: when
 * each answer came and how long it took (so when its request left).
 */
class Pinger {
  readonly replies: { readonly seq: number; readonly at: number }[] = [];
  readonly misses: { readonly seq: number; readonly at: number }[] = [];
  private readonly child: ChildProcess;

  constructor() {
    // -O: a line for each request not answered when the next one leaves
    // stdbuf: ping's output to a pipe is block-buffered, a line would come seconds late
    this.child = spawn('ip', ['netns', 'exec', OBSERVER_NETNS, 'stdbuf', '-oL', 'ping', '-D', '-O', '-n', '-i', '0.1', '-W', '1', VIP], { stdio: ['ignore', 'pipe', 'ignore'] });
    createInterface({ input: this.child.stdout! }).on('line', (l) => {
      const m = /^\[(\d+\.\d+)\] (?:\d+ bytes from .*icmp_seq=(\d+)|no answer yet for icmp_seq=(\d+))/.exec(l);
      if (!m) return;
      const at = Number(m[1]) * 1000;
      if (m[2] !== undefined) this.replies.push({ seq: Number(m[2]), at });
      else this.misses.push({ seq: Number(m[3]), at });
    });
  }

  /** The fault to the first answer after the first request left unanswered since it (ms); undefined: not answering yet. */
  answeredAfter(t: number): number | undefined {
    const miss = this.misses.find((x) => x.at >= t);
    if (miss === undefined) return undefined;
    const r = this.replies.find((x) => x.seq > miss.seq);
    return r === undefined ? undefined : r.at - t;
  }

  stop(): void {
    this.child.kill('SIGTERM');
  }
}

// ---------------------------------------------------------------- the faults

/** Both keepalived running, the address on node1 only, the pinger answered. */
async function vrrpBaseline(ctx: ScenarioContext): Promise<Pinger> {
  for (const n of ctx.info.nodeNames) await startKeepalived(ctx.info, n);
  await until('the VRRP address on node1 only', 30_000, async () => (await vipHolders(ctx.info)).join() === 'node1');
  const p = new Pinger();
  ctx.onCleanup(() => p.stop());
  await until('a ping answer from the VRRP address', 10_000, () => p.replies.length > 0);
  return p;
}

const onNodeOnly = (ctx: ScenarioContext, n: LabNode) => ctx.obs.runs(n) && ctx.obs.holds(n === 'node1' ? 'node2' : 'node1').length === 0 && ctx.obs.answering() === n;

function appKilled(restart: boolean): Scenario {
  return {
    name: restart ? 'app-killed-restart' : 'app-killed-relocate',
    title: `the monitored web server killed on node1 (${restart ? 'app#web.restart = 1: restarted in place' : 'no restart: relocated to node2'})`,
    cluster: HB.fast!,
    async run(ctx) {
      // the monitored app checked every second (monitor_schedule's least), as a fast failover is set up
      const kws = ['monitor_schedule=1s', ...(restart ? ['app#web.restart=1'] : [])];
      await runIn('node1', ['svcmgr', '-s', 'svc1', 'set', ...kws.flatMap((k) => ['--kw', k])]);
      if (restart) ctx.onCleanup(() => runIn('node1', ['svcmgr', '-s', 'svc1', 'unset', '--kw', 'app#web.restart']));
      // the daemon's scheduler reads the service configs again every 5 s
      await new Promise((r) => setTimeout(r, 6000));
      const t = ctx.obs.mark('the web server killed on node1');
      const killed = await runIn('node1', ['sh', '-c', 'pkill -KILL --ns $$ --nslist net -f "http\\.server 8080 "']);
      ctx.check(killed.exitCode === 0, 'pkill found the web server in node1');
      await ctx.obs.until('the sampler sees the web server gone', () => ctx.obs.latest('node1')?.app.length === 0, 5000);
      const on: LabNode = restart ? 'node1' : 'node2';
      await ctx.obs.until(`svc1 answering from ${on}`, () => onNodeOnly(ctx, on), 60_000);
      ctx.recovery(ctx.obs.outage(t).recoveryMs, `hasvc: answering again from ${on}`);
    },
  };
}

function powerLossBoth(o: ClusterOptions): Scenario {
  return {
    name: 'power-loss',
    title: 'node1 loses power (every process killed, link cut, addresses and mounts gone)',
    cluster: o,
    async run(ctx) {
      const pinger = await vrrpBaseline(ctx);
      const t = ctx.obs.mark('power loss of node1');
      await powerLoss(ctx.info, 'node1', ctx.obs.samplerPids());
      await ctx.obs.until('svc1 answering from node2', () => onNodeOnly(ctx, 'node2'), 60_000);
      await until('keepalived: the address answering again', 30_000, () => pinger.answeredAfter(t) !== undefined);
      ctx.recovery(ctx.obs.outage(t).recoveryMs, 'hasvc: the page answering from node2');
      ctx.recovery(pinger.answeredAfter(t), 'keepalived: the address answering again');
      // node1 back, its daemon and keepalived started, for the next run
      await nodeReturn(ctx.info, 'node1');
      await startKeepalived(ctx.info, 'node1');
      await ctx.status('node1', 'node1 sees node2 up, svc1 checked there', (s) => peerState(s, 'node2')?.state === 'up' && svc1Of(s)?.instances.find((i) => i.node === 'node1')?.avail === 'down', 60_000);
    },
  };
}

function linkCut(o: ClusterOptions): Scenario {
  return {
    name: 'link-cut',
    title: 'node1\'s link cut, its processes alive (a pulled cable), then healed',
    cluster: o,
    async run(ctx) {
      const pinger = await vrrpBaseline(ctx);
      const t = ctx.obs.mark('link of node1 cut');
      await partition(ctx.info, 'node1', 'carrier lost');
      ctx.onCleanup(() => heal(ctx.info, 'node1'));
      await until('keepalived: the address answering again', 30_000, () => pinger.answeredAfter(t) !== undefined);
      ctx.recovery(pinger.answeredAfter(t), 'keepalived: the address answering again (from node2)');
      await until('keepalived: node2 holding the address', 10_000, () => holdsVip(ctx.info, 'node2'));
      const both = (await vipHolders(ctx.info)).length === 2;
      ctx.note(`keepalived: the address ${both ? 'on both nodes during the cut (node1 keeps it: split brain)' : 'on one node'}`);
      // hasvc holds for as long as keepalived took, and a timeout more: no takeover of a live node
      await ctx.obs.holdsFor('hasvc: svc1 stays on node1 (node1 alive on the disk heartbeat)', 2 * ctx.timeoutMs + 2000, () => ctx.obs.holds('node2').length === 0);
      ctx.recovery(undefined, 'hasvc: no takeover by design (node1 alive on the disk heartbeat; a takeover would run it twice)');
      ctx.obs.mark('heal');
      await heal(ctx.info, 'node1');
      await ctx.obs.until('svc1 answering from node1 again', () => onNodeOnly(ctx, 'node1'), 30_000);
      await until('keepalived: the address on node1 only again', 30_000, async () => (await vipHolders(ctx.info)).join() === 'node1');
    },
  };
}

// ---------------------------------------------------------------- the run

const USAGE = 'usage: npm run bench:failover [-- --runs N] [--hb fast|default]';

function stats(xs: readonly number[]): string {
  if (xs.length === 0) return '-';
  const s = [...xs].sort((a, b) => a - b);
  const med = s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  const f = (ms: number) => (ms / 1000).toFixed(2);
  return `${f(s[0]!)} / ${f(med)} / ${f(s.at(-1)!)} s (n=${s.length})`;
}

async function main(argv: readonly string[]): Promise<number> {
  let runs = 3;
  let hb = 'fast';
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--runs' && /^[1-9]\d*$/.test(argv[i + 1] ?? '')) runs = Number(argv[++i]);
    else if (argv[i] === '--hb' && HB[argv[i + 1] ?? ''] !== undefined) hb = argv[++i]!;
    else {
      process.stderr.write(`bench:failover: ${argv[i] === '--help' ? '' : `bad argument ${argv[i] ?? ''}\n`}${USAGE}\n`);
      return argv[i] === '--help' ? 0 : 2;
    }
  }
  if (process.getuid?.() !== 0) {
    process.stderr.write('bench:failover: needs root (namespaces, loop devices, LVM)\n');
    return 1;
  }
  const o = HB[hb]!;
  const log = (line: string) => process.stderr.write(`${new Date().toISOString().slice(11, 23)} ${line}\n`);
  process.on('SIGINT', () => {
    log('interrupted: removing the lab');
    void labDown().finally(() => process.exit(130));
  });
  const plan: Scenario[] = [];
  for (let i = 0; i < runs; i++) plan.push(appKilled(true), appKilled(false), powerLossBoth(o), linkCut(o));
  const results: ScenarioResult[] = [];
  const bench = new Bench(log);
  try {
    // app-killed scenarios take the same heartbeat settings
    for (const s of plan) results.push(await runScenario({ ...s, cluster: o }, { log, bench }));
  } finally {
    await bench.close();
  }
  const rows = new Map<string, number[]>();
  const never = new Map<string, number>();
  for (const r of results) {
    for (const x of r.recovery) {
      const key = `${r.name}\t${x.what}`;
      if (x.ms === undefined) never.set(key, (never.get(key) ?? 0) + 1);
      else rows.set(key, [...(rows.get(key) ?? []), x.ms]);
    }
  }
  const keys = [...new Set([...rows.keys(), ...never.keys()])];
  process.stdout.write(`\nfailover, fault to the first answer seen by the observer (min / median / max); hasvc heartbeats: interval ${o.interval}, timeout ${o.timeout}, disk heartbeat beside unicast; keepalived: advert_int 1\n`);
  for (const k of keys) {
    const [fault, what] = k.split('\t');
    const n = never.get(k);
    process.stdout.write(`  ${fault!.padEnd(20)} ${what!.padEnd(100)} ${stats(rows.get(k) ?? [])}${n !== undefined ? `; ${n} without` : ''}\n`);
  }
  const failed = results.filter((r) => !r.ok);
  for (const r of failed) process.stdout.write(`  FAILED ${r.name}: ${r.failures.join('; ').split('\n')[0] ?? ''}\n`);
  process.stdout.write(`double active (hasvc, observer samples): ${results.reduce((a, r) => a + r.doubleActive, 0)}\n`);
  return failed.length === 0 ? 0 : 1;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`bench:failover: ${err instanceof LabError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
}
