import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { waitFor } from '../../support/wait.js';
import { cmd } from '../host.js';
import { FIXTURES_DIR, nodeEnv, runIn, type LabNode } from '../lab.js';
import { daemonEvents, vgTags } from '../probes.js';
import { agentLog, inNode, peerState, printStatus, svc1Of, svcmon, type ClusterOptions, type DaemonStatusView } from './cluster.js';
import { daemonContinue, daemonKill, daemonPause, daemonStart, heal, natsKill, nodeReturn, packetLoss, clearPacketLoss, partition, powerLoss, simultaneousStart, type PartitionKind } from './faults.js';
import type { Scenario, ScenarioContext } from './harness.js';

/**
 * The fault catalogue: each scenario starts from the tutorial's cluster with
 * svc1 running on node1 (harness.ts), does one fault, waits on what the
 * observer and the daemons say (never a fixed sleep, except a fault held for
 * N × the heartbeat timeout), and checks. Never svc1 on both nodes at once is
 * checked on every sample by the observer, in every scenario.
 */

const DISK: ClusterOptions = { diskHb: true };
const UNICAST: ClusterOptions = { diskHb: false };
const OTHER: Record<LabNode, LabNode> = { node1: 'node2', node2: 'node1' };

/** svc1 (address, both filesystems, app) on node and nothing of it on the other node, as last sampled. */
function runsOnly(ctx: ScenarioContext, node: LabNode): boolean {
  return ctx.obs.runs(node) && ctx.obs.holds(OTHER[node]).length === 0;
}

/** The node svc1 runs on alone, if it does. */
function runningOn(ctx: ScenarioContext): LabNode | undefined {
  return ctx.info.nodeNames.find((n) => runsOnly(ctx, n));
}

/** Wait until svc1 runs on one node and answers the client from it; returns that node. */
async function settled(ctx: ScenarioContext, what: string, timeoutMs: number, on?: LabNode): Promise<LabNode> {
  await ctx.obs.until(what, () => {
    const n = runningOn(ctx);
    return n !== undefined && (on === undefined || n === on) && ctx.obs.answering() === n;
  }, timeoutMs);
  return runningOn(ctx)!;
}

async function checkTags(ctx: ScenarioContext, expected: readonly string[]): Promise<void> {
  const tags = await vgTags(ctx.info.vg);
  ctx.check(tags.join(',') === expected.join(','), `vgs -o tags ${ctx.info.vg}: ${expected.map((t) => `@${t}`).join(' ') || 'none'}`, `tags: ${tags.join(',') || 'none'}`);
}

const powerLossDisk: Scenario = {
  name: 'power-loss-disk-hb',
  title: 'power loss of the running node, with a disk heartbeat: node2 takes svc1 over',
  cluster: DISK,
  async run(ctx) {
    const t = ctx.obs.mark('power loss of node1');
    const { killed } = await powerLoss(ctx.info, 'node1', ctx.obs.samplerPids());
    ctx.note(`node1: ${killed} process(es) killed, link cut, addresses flushed, SAN unmounted; vg tag left`);
    await settled(ctx, 'svc1 running on node2 and answering the client from it', 60_000, 'node2');
    const out = ctx.obs.outage(t);
    ctx.recovery(out.recoveryMs, 'power loss to the page answering from node2');
    ctx.check(out.answeredBy === 'node2', 'the page answers from node2 (its MAC in the client\'s ARP cache)', `answered by ${out.answeredBy ?? out.mac ?? '?'}`);
    await checkTags(ctx, ['node2']);
    await ctx.status('node2', 'node2 says node1 is down (proven by the disk heartbeat)', (s) => peerState(s, 'node1')?.state === 'down', 10_000);

    const back = ctx.obs.mark('node1 comes back');
    await nodeReturn(ctx.info, 'node1');
    await ctx.status('node1', 'node1 sees node2 up', (s) => peerState(s, 'node2')?.state === 'up', 30_000);
    const what = 'svc1 stays on node2 alone, answering, once node1 is back (3 × timeout)';
    const broke = await ctx.obs.watch(what, 3 * ctx.timeoutMs, () => runsOnly(ctx, 'node2') && ctx.obs.answering() === 'node2');
    ctx.check(broke === undefined, what, broke === undefined ? undefined : `not after ${((broke - back) / 1000).toFixed(1)}s:\n${ctx.obs.describe()}`);
    if (broke !== undefined) {
      const on = await settled(ctx, 'svc1 running on one node and answering again', 60_000);
      const out = ctx.obs.outage(back);
      ctx.recovery(out.recoveredAt === undefined ? undefined : out.recoveredAt - back, `node1's return to the page answering again (from ${on})`);
    }
    await ctx.converged();
  },
};

const powerLossUnicast: Scenario = {
  name: 'power-loss-unicast',
  title: 'power loss of the running node, unicast heartbeat only: node2 does not take over and says why',
  cluster: UNICAST,
  async run(ctx) {
    ctx.obs.mark('power loss of node1');
    await powerLoss(ctx.info, 'node1', ctx.obs.samplerPids());
    const st = await ctx.status('node2', 'node2 says node1 lost, no proof it is down', (s) => peerState(s, 'node1')?.state === 'lost' && (svc1Of(s)?.decision ?? '').includes('no proof it is down'), 30_000);
    ctx.note(`node2's decision: ${svc1Of(st)?.decision ?? '?'}`);
    await ctx.obs.holdsFor('node2 does not take svc1 over (3 × timeout)', 3 * ctx.timeoutMs, () => ctx.obs.holds('node2').length === 0);
    const mon = await svcmon('node2');
    ctx.check(/no proof it is down/.test(mon), 'svcmon on node2 says why svc1 is not taken over', mon);
    const ps = await printStatus('node2');
    ctx.note(`print status on node2 ${/no proof it is down/.test(ps) ? 'says why' : 'does not say why (svcmon and the log do)'}: ${ps.split('\n').slice(0, 4).join(' | ')}`);
    const logged = agentLog(ctx.info, 'node2').some((l) => l.msg === 'orchestrator: not acting' && String(l.reason ?? '').includes('no proof it is down'));
    ctx.check(logged, 'node2\'s agent.log: orchestrator: not acting ... no proof it is down');
    await checkTags(ctx, ['node1']);

    const back = ctx.obs.mark('node1 comes back');
    await nodeReturn(ctx.info, 'node1');
    const on = await settled(ctx, 'svc1 running on one node and answering once node1 is back', 60_000);
    const out = ctx.obs.outage(back);
    ctx.recovery(out.recoveredAt === undefined ? undefined : out.recoveredAt - back, `node1's return to the page answering (from ${on})`);
    await ctx.converged();
  },
};

function partitionRunning(kind: PartitionKind): Scenario {
  return {
    name: `partition-running-${kind === 'carrier kept' ? 'carrier-kept' : 'carrier-lost'}`,
    title: `partition of the running node (${kind}), with a disk heartbeat: node2 sees node1 alive and does not take over`,
    cluster: DISK,
    async run(ctx) {
      const t = ctx.obs.mark(`partition of node1 (${kind})`);
      await partition(ctx.info, 'node1', kind);
      ctx.onCleanup(() => heal(ctx.info, 'node1'));
      const st = await ctx.status('node2', 'node2 sees node1 alive on the disk heartbeat only', (s) => peerState(s, 'node1')?.state === 'alive', 20_000);
      ctx.note(`node2: node1 ${peerState(st, 'node1')?.why ?? '?'}; svc1: ${svc1Of(st)?.decision ?? '?'}`);
      await ctx.obs.holdsFor('node2 does not take svc1 over, node1 keeps it (3 × timeout)', 3 * ctx.timeoutMs, () => ctx.obs.holds('node2').length === 0 && ctx.obs.runs('node1'));
      const decided = await ctx.status('node2', 'node2 says why: alive but unreachable', (s) => (svc1Of(s)?.decision ?? '').includes('alive but unreachable'), 10_000);
      ctx.note(`node2's decision: ${svc1Of(decided)?.decision ?? '?'}`);

      const healed = ctx.obs.mark('heal');
      await heal(ctx.info, 'node1');
      await ctx.status('node2', 'node2 sees node1 up again', (s) => peerState(s, 'node1')?.state === 'up', 20_000);
      await settled(ctx, 'svc1 on node1 alone, answering the client', 20_000, 'node1');
      const out = ctx.obs.outage(t);
      ctx.recovery(out.recoveredAt === undefined ? undefined : out.recoveredAt - healed, 'heal to the page answering from node1');
      await ctx.converged();
      await ctx.obs.holdsFor('still on node1 alone after the logs converged', 2000, () => runsOnly(ctx, 'node1'));
    },
  };
}

const partitionIdle: Scenario = {
  name: 'partition-idle',
  title: 'partition of the idle node (carrier kept), with a disk heartbeat: nothing moves',
  cluster: DISK,
  async run(ctx) {
    const t = ctx.obs.mark('partition of node2 (carrier kept)');
    await partition(ctx.info, 'node2', 'carrier kept');
    ctx.onCleanup(() => heal(ctx.info, 'node2'));
    await ctx.status('node1', 'node1 sees node2 alive on the disk heartbeat only', (s) => peerState(s, 'node2')?.state === 'alive', 20_000);
    await ctx.obs.holdsFor('svc1 stays on node1 alone (3 × timeout)', 3 * ctx.timeoutMs, () => runsOnly(ctx, 'node1'));
    ctx.obs.mark('heal');
    await heal(ctx.info, 'node2');
    await ctx.status('node1', 'node1 sees node2 up again', (s) => peerState(s, 'node2')?.state === 'up', 20_000);
    await ctx.converged();
    const out = ctx.obs.outage(t);
    ctx.check(!out.interrupted, 'the client was answered all along', `${out.failed} probe(s) failed`);
    ctx.recovery(out.recoveryMs, 'service interruption');
    ctx.check(runsOnly(ctx, 'node1'), 'svc1 on node1 alone at the end');
  },
};

function simultaneous(split: boolean): Scenario {
  return {
    name: `simultaneous-start-${split ? 'split' : 'connected'}`,
    title: `both nodes lose power, come back and start their daemons at once${split ? ', node1 cut off (carrier kept)' : ''}: svc1 starts on one node`,
    cluster: DISK,
    async run(ctx) {
      ctx.obs.mark('power loss of both nodes');
      await Promise.all(ctx.info.nodeNames.map((n) => powerLoss(ctx.info, n, ctx.obs.samplerPids())));
      for (const n of ctx.info.nodeNames) await nodeReturn(ctx.info, n, { daemon: false });
      if (split) {
        await partition(ctx.info, 'node1', 'carrier kept');
        ctx.onCleanup(() => heal(ctx.info, 'node1'));
      }
      const t = ctx.obs.mark('both daemons started at once');
      await simultaneousStart(ctx.info, ctx.info.nodeNames);
      if (!split) {
        const on = await settled(ctx, 'svc1 running on one node and answering', 60_000);
        const out = ctx.obs.outage(t);
        ctx.recovery(out.recoveredAt === undefined ? undefined : out.recoveredAt - t, `daemons' start to the page answering (from ${on})`);
        await ctx.obs.holdsFor('svc1 stays on one node (3 × timeout)', 3 * ctx.timeoutMs, () => runningOn(ctx) === on);
        await ctx.converged();
        return;
      }
      const what = 'svc1 started on one side of the split (node1: first in placement, cut off but alive)';
      const started = await ctx.obs.until(what, () => runningOn(ctx) !== undefined, 60_000).catch((e: Error) => e);
      if (ctx.check(!(started instanceof Error), what, started instanceof Error ? `${ctx.obs.describe()}` : undefined)) {
        const on = runningOn(ctx)!;
        ctx.note(`svc1 started on ${on} during the split`);
        await ctx.obs.holdsFor('svc1 on that node alone while split (3 × timeout)', 3 * ctx.timeoutMs, () => runningOn(ctx) === on);
      }
      const healed = ctx.obs.mark('heal');
      await heal(ctx.info, 'node1');
      await ctx.status('node2', 'node2 sees node1 up', (s) => peerState(s, 'node1')?.state === 'up', 20_000);
      const now = await settled(ctx, 'svc1 on one node, answering the client after the heal', 60_000);
      const answered = ctx.obs.firstAnswerAfter(healed);
      ctx.recovery(answered === undefined ? undefined : answered - healed, `heal to the page answering (from ${now})`);
      await ctx.converged();
    },
  };
}

const healDoubleActive: Scenario = {
  name: 'heal-double-active',
  title: 'an operator forces svc1 up on node2 during a split; at the heal node2 (placement prefers it less) stops it',
  cluster: DISK,
  async run(ctx) {
    ctx.obs.mark('partition of node1 (carrier kept)');
    await partition(ctx.info, 'node1', 'carrier kept');
    ctx.onCleanup(() => heal(ctx.info, 'node1'));
    await ctx.status('node2', 'node2 sees node1 alive on the disk heartbeat only', (s) => peerState(s, 'node1')?.state === 'alive', 20_000);
    ctx.obs.provoke('operator: svcmgr -s svc1 start --local --force on node2 during the split');
    ctx.obs.mark('node2: svcmgr -s svc1 start --local --force');
    // The lab's nodes share one kernel: e2fsck on node2 sees the filesystem node1 mounted and refuses
    // (a SAN node would not see it). An e2fsck that passes stands in for node2's own kernel here.
    const stub = await fs.mkdtemp(path.join(os.tmpdir(), 'hasvc-fault-e2fsck-'));
    ctx.onCleanup(() => fs.rm(stub, { recursive: true, force: true }));
    await fs.writeFile(path.join(stub, 'e2fsck'), '#!/bin/sh\n# lab: node2 cannot see node1\'s mount on a SAN of its own\nexit 0\n', { mode: 0o755 });
    const r = await runIn('node2', ['svcmgr', '-s', 'svc1', 'start', '--local', '--force'], { timeoutMs: 120_000, env: { PATH: `${stub}:${nodeEnv().PATH}` } });
    ctx.check(r.exitCode === 0, 'the forced start on node2 succeeds (the address does not answer across the split)', `${r.stdout}\n${r.stderr}`);
    await ctx.obs.until('svc1 up on both sides of the split', () => ctx.obs.runs('node1') && ctx.obs.runs('node2'), 30_000);
    const healed = ctx.obs.mark('heal');
    await heal(ctx.info, 'node1');
    await ctx.obs.until('svc1 back on one node', () => runningOn(ctx) !== undefined, 60_000);
    const single = Date.now();
    ctx.obs.provoke(undefined);
    ctx.recovery(single - healed, 'heal to svc1 on one node');
    ctx.check(runningOn(ctx) === 'node1', 'node2, which placement prefers less, stopped it; node1 kept it', `svc1 on ${runningOn(ctx) ?? '?'}`);
    const stopped = agentLog(ctx.info, 'node2').find((l) => l.msg === 'orchestrator: acting' && l.action === 'stop' && String(l.reason ?? '').includes('also running on'));
    ctx.check(stopped !== undefined, 'node2\'s agent.log: orchestrator: acting stop, "also running on node1"');
    // node2's forced start announced the address with node2's MAC: node1 must make the client forget it
    const answered = await ctx.obs.until('the page answers from node1', () => ctx.obs.answering() === 'node1', 90_000).catch(() => undefined);
    ctx.recovery(answered === undefined ? undefined : answered - single, 'svc1 on one node to the page answering from node1');
    ctx.check(answered !== undefined && answered - single < 5000, 'the client reaches node1 within 5 s of the heal\'s resolution', answered === undefined ? `not within 90 s:\n${ctx.obs.describe()}` : `after ${((answered - single) / 1000).toFixed(1)}s: the client's ARP cache kept node2's MAC, which node2's forced start announced, until the entry expired`);
    await ctx.obs.holdsFor('svc1 stays on node1 alone (2 × timeout)', 2 * ctx.timeoutMs, () => runsOnly(ctx, 'node1'));
    await ctx.converged();
  },
};

const appKilled: Scenario = {
  name: 'app-killed',
  title: 'the monitored web server killed on node1: svc1 relocated or restarted',
  cluster: DISK,
  async run(ctx) {
    const t = ctx.obs.mark('the web server killed on node1');
    const r = await runIn('node1', ['sh', '-c', 'pkill -KILL --ns $$ --nslist net -f "http\\.server 8080 "']);
    ctx.check(r.exitCode === 0, 'pkill found the web server in node1');
    await ctx.obs.until('the sampler sees the web server gone', () => ctx.obs.latest('node1')?.app.length === 0, 5000);
    const on = await settled(ctx, 'svc1 running on one node and answering again', 90_000);
    const out = ctx.obs.outage(t);
    ctx.recovery(out.recoveryMs, `web server killed to the page answering (from ${on}: ${on === 'node1' ? 'restarted' : 'relocated'})`);
    await ctx.obs.holdsFor(`svc1 stays on ${on} (2 × timeout)`, 2 * ctx.timeoutMs, () => runsOnly(ctx, on));
  },
};

/** app#web.monitor set on both nodes (each node's own svc1.conf); false when a node refused it. */
async function setAppMonitor(on: boolean): Promise<boolean> {
  let ok = true;
  for (const n of ['node1', 'node2'] as const) {
    const r = await runIn(n, ['svcmgr', '-s', 'svc1', 'set', '--kw', `app#web.monitor=${on ? 'true' : 'false'}`], { timeoutMs: 60_000 });
    ok &&= r.exitCode === 0;
  }
  return ok;
}

/**
 * A resource that is not monitored going down is no reason to move: the
 * service stays where it is, degraded (warn), until an operator starts what
 * is down. OpenSVC's rule: only `monitor = true` resources trigger the
 * orchestrator (and `restart`, which the tutorial's app has not).
 */
const appKilledNotMonitored: Scenario = {
  name: 'app-killed-not-monitored',
  title: 'the web server killed on node1 with app#web.monitor = false: nothing moves, svc1 shows warn until the operator starts it again',
  cluster: DISK,
  async run(ctx) {
    ctx.onCleanup(() => setAppMonitor(true));
    if (!ctx.check(await setAppMonitor(false), 'app#web.monitor = false set on both nodes')) return;
    const whole = ctx.obs.holds('node1');
    const t = ctx.obs.mark('the web server killed on node1 (not monitored)');
    const r = await runIn('node1', ['sh', '-c', 'pkill -KILL --ns $$ --nslist net -f "http\\.server 8080 "']);
    ctx.check(r.exitCode === 0, 'pkill found the web server in node1');
    await ctx.obs.until('the sampler sees the web server gone', () => ctx.obs.latest('node1')?.app.length === 0, 5000);
    for (const n of ctx.info.nodeNames) {
      await ctx.status(n, `${n} sees svc1 warn on node1 (its app down)`, (st) => svc1Of(st)?.instances.find((i) => i.node === 'node1')?.avail === 'warn', 10 * ctx.timeoutMs);
    }
    const stays = () => ctx.obs.holds('node2').length === 0 && ctx.obs.holds('node1').join(',') === whole.filter((h) => h !== 'app').join(',');
    await ctx.obs.holdsFor('svc1 stays on node1 without its app, nothing of it on node2 (3 × timeout)', 3 * ctx.timeoutMs, stays);
    for (const n of ctx.info.nodeNames) {
      const tried = agentLog(ctx.info, n).filter((l) => l.msg === 'orchestrator: acting' && Number(l.time ?? 0) >= t);
      ctx.check(tried.length === 0, `${n}'s orchestrator did nothing`, tried.map((l) => `${String(l.action)}: ${String(l.reason ?? '')}`).join('; '));
    }
    // the target `started` is met by a service that runs, but not by one running degraded: started once more there
    const ts = ctx.obs.mark('svcmgr -s svc1 start --wait on node1 (the operator)');
    await inNode('node1', ['svcmgr', '-s', 'svc1', 'start', '--wait']);
    await settled(ctx, 'svc1 whole on node1 again, answering', 30_000, 'node1');
    const acted = agentLog(ctx.info, 'node1').filter((l) => l.msg === 'orchestrator: acting' && Number(l.time ?? 0) >= ts);
    ctx.check(acted.some((l) => l.action === 'start' && /runs it degraded \(warn\): starting what is down here/.test(String(l.reason ?? ''))), 'node1 started svc1 again where it ran degraded', acted.map((l) => `${String(l.action)}: ${String(l.reason ?? '')}`).join('; '));
    const answered = ctx.obs.firstAnswerAfter(ts);
    ctx.recovery(answered === undefined ? undefined : answered - ts, 'the operator\'s start of svc1 running degraded to the page answering again');
    await checkTags(ctx, ['node1']);
    await ctx.converged();
  },
};

/** Put `src` of the lab's fixtures in place of the weblauncher in node (its /svc1/app mounted there). */
async function installLauncher(node: LabNode, src: string): Promise<boolean> {
  return (await runIn(node, ['install', '-m', '0755', path.join(FIXTURES_DIR, src), '/svc1/app/init.d/weblauncher'])).exitCode === 0;
}

/** The fixture's weblauncher back on the service's filesystem, wherever it is mounted now. */
async function restoreLauncher(ctx: ScenarioContext): Promise<void> {
  for (const n of ctx.info.nodeNames) {
    if ((await runIn(n, ['mountpoint', '-q', '/svc1/app'])).exitCode === 0) await installLauncher(n, 'weblauncher');
  }
}

const appHung: Scenario = {
  name: 'app-hung',
  title: 'the web server SIGSTOPped on node1 (alive, not answering), its launcher\'s status fetching the page: svc1 relocated, the hung server ended',
  cluster: DISK,
  async run(ctx) {
    // the tutorial's launcher only looks for the process: a hung server stays "up" with it.
    // weblauncher-probe's status fetches the page (exit 2 when it runs without answering: warn)
    ctx.onCleanup(() => restoreLauncher(ctx));
    ctx.check(await installLauncher('node1', 'weblauncher-probe'), 'weblauncher-probe installed as svc1\'s launcher on node1');
    const t = ctx.obs.mark('SIGSTOP of the web server on node1');
    const r = await runIn('node1', ['sh', '-c', 'pkill -STOP --ns $$ --nslist net -f "http\\.server 8080 "']);
    ctx.check(r.exitCode === 0, 'pkill -STOP found the web server in node1');
    ctx.onCleanup(() => runIn('node1', ['sh', '-c', 'pkill -CONT --ns $$ --nslist net -f "http\\.server 8080 "']));
    await ctx.obs.until('the client gets no answer', () => ctx.obs.answering() === undefined, 10_000);
    const on = await settled(ctx, 'svc1 running on one node and answering again (the hung server gone)', 90_000);
    const out = ctx.obs.outage(t);
    ctx.recovery(out.recoveryMs, `web server hung to the page answering (from ${on})`);
    ctx.check(on === 'node2', 'svc1 relocated to node2', `on ${on}`);
    const acted = agentLog(ctx.info, 'node1').find((l) => l.msg === 'orchestrator: acting' && l.action === 'stop' && /app#web down/.test(String(l.reason ?? '')) && Number(l.time ?? 0) >= t);
    ctx.check(acted !== undefined, 'node1\'s agent.log: orchestrator: acting stop, "monitored resource app#web down: stopping to relocate"');
    if (acted !== undefined) ctx.note(`node1 decided the relocation ${((Number(acted.time) - t) / 1000).toFixed(1)}s after the SIGSTOP`);
    await ctx.obs.holdsFor(`svc1 stays on ${on} (2 × timeout)`, 2 * ctx.timeoutMs, () => runsOnly(ctx, on));
    await ctx.converged();
  },
};

const launcherStatusFails: Scenario = {
  name: 'launcher-status-fails',
  title: 'the launcher\'s status errs on node1 (its pgrep exits 3, "cannot allocate memory"): warn, svc1 relocated, the app stopped on node1 first',
  cluster: DISK,
  async run(ctx) {
    // pgrep replaced in node1's mount namespace only; pkill, the same binary, still works
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'hasvc-fault-pgrep-'));
    ctx.onCleanup(() => fs.rm(dir, { recursive: true, force: true }));
    await fs.copyFile('/usr/bin/pgrep', path.join(dir, 'pgrep.real'));
    await fs.chmod(path.join(dir, 'pgrep.real'), 0o755);
    const fake = path.join(dir, 'pgrep');
    await fs.writeFile(fake, `#!/bin/bash\n# lab fault: pgrep fails in this node; pkill (a link to it) still works\ncase \${0##*/} in\npkill) exec -a pkill '${dir}/pgrep.real' "$@" ;;\nesac\necho "pgrep: cannot allocate memory" >&2\nexit 3\n`, { mode: 0o755 });
    const t = ctx.obs.mark('pgrep fails in node1 (exit 3)');
    const m = await runIn('node1', ['mount', '--bind', fake, '/usr/bin/pgrep']);
    if (!ctx.check(m.exitCode === 0, 'the failing pgrep bind-mounted in node1\'s mount namespace', m.stderr)) return;
    ctx.onCleanup(() => runIn('node1', ['umount', '/usr/bin/pgrep']));
    const st = await runIn('node1', ['/svc1/app/init.d/weblauncher', 'status']);
    ctx.check(st.exitCode === 3, 'weblauncher status exits 3 on node1', `exit ${st.exitCode}: ${st.stderr.trim()}`);
    const on = await settled(ctx, 'svc1 running on one node and answering again', 90_000, 'node2');
    const out = ctx.obs.outage(t);
    ctx.recovery(out.recoveryMs, `status failing to the page answering from ${on}`);
    const acted = agentLog(ctx.info, 'node1').find((l) => l.msg === 'orchestrator: acting' && l.action === 'stop' && /app#web down/.test(String(l.reason ?? '')) && Number(l.time ?? 0) >= t);
    ctx.check(acted !== undefined, 'node1\'s agent.log: orchestrator: acting stop, "monitored resource app#web down: stopping to relocate"');
    const events = await daemonEvents(ctx.info, 'node1');
    const warned = events.some((e) => e.origin === 'node1' && e.type === 'ResourceStatusChanged' && e.rid === 'app#web' && e.data.status === 'warn' && JSON.stringify(e.data.log).includes('check reports errors (3)'));
    ctx.check(warned, 'node1 recorded app#web warn: "check reports errors (3): pgrep: cannot allocate memory"');
    await ctx.obs.holdsFor('svc1 stays on node2 alone (2 × timeout)', 2 * ctx.timeoutMs, () => runsOnly(ctx, 'node2'));
    await ctx.converged();
  },
};

/** Run a command in both nodes at once; each one's exit code and output. */
async function atOnce(cmds: Readonly<Record<LabNode, readonly string[]>>): Promise<Record<LabNode, { code: number; out: string }>> {
  const env = { PATH: `${nodeEnv().PATH}:/etc/opensvc` };
  const [a, b] = await Promise.all((['node1', 'node2'] as const).map((n) => runIn(n, cmds[n], { timeoutMs: 150_000, env })));
  return { node1: { code: a!.exitCode, out: `${a!.stdout}${a!.stderr}`.trim() }, node2: { code: b!.exitCode, out: `${b!.stdout}${b!.stderr}`.trim() } };
}

/**
 * Flip (Pacemaker's CTS): two operators, one on each node, ask for
 * opposite targets at the same moment, each with --wait: a stop on node1 and
 * a start on node2, then a switch to node2 on node1 and a switch to node1 on
 * node2. Every node carries out the newer request (event time, then id,
 * projections/targets.ts): its --wait exits 0, the other's exits 1 saying it
 * was replaced; svc1 ends as the newer one says, never on both nodes.
 */
const flip: Scenario = {
  name: 'flip',
  title: 'opposite targets asked on both nodes at once (stop/start, switch/switch), each with --wait: the newer one carried out, the other told it was replaced, never both nodes',
  cluster: DISK,
  async run(ctx) {
    const wait = ['--wait', '--time', '120'];
    const rounds: { readonly what: string; readonly cmds: Record<LabNode, readonly string[]> }[] = [
      { what: 'stop on node1, start on node2', cmds: { node1: ['svcmgr', '-s', 'svc1', 'stop', ...wait], node2: ['svcmgr', '-s', 'svc1', 'start', ...wait] } },
      { what: 'switch to node2 on node1, switch to node1 on node2', cmds: { node1: ['svcmgr', '-s', 'svc1', 'switch', '--node', 'node2', ...wait], node2: ['svcmgr', '-s', 'svc1', 'switch', '--node', 'node1', ...wait] } },
    ];
    for (const r of rounds) {
      const t = ctx.obs.mark(`at once: ${r.what}`);
      const res = await atOnce(r.cmds);
      const requests = async () => (await daemonEvents(ctx.info, 'node1')).filter((e) => e.type === 'ServiceTargetRequested' && e.svc === 'svc1' && Date.parse(e.time ?? '') >= t);
      let asked = await requests();
      // checked below, with what was seen
      await waitFor('both requests in node1\'s log', async () => (asked = await requests()).length >= 2, 10_000, 200).catch(() => undefined);
      if (!ctx.check(asked.length === 2 && asked.some((e) => e.origin === 'node1') && asked.some((e) => e.origin === 'node2'), `${r.what}: both requests recorded`, `${asked.map((e) => `${e.origin} ${String(e.data.target)}`).join(', ')}; node1: ${res.node1.out}; node2: ${res.node2.out}`)) return;
      const newer = asked.reduce((a, b) => ((b.time ?? '') > (a.time ?? '') || (b.time === a.time && b.id > a.id) ? b : a));
      const older = asked.find((e) => e !== newer)!;
      const label = `${String(newer.data.target)}${newer.data.node !== undefined ? `@${String(newer.data.node)}` : ''}`;
      const gap = Date.parse(newer.time ?? '') - Date.parse(older.time ?? '');
      ctx.note(`${r.what}: ${newer.origin}'s ${label} is the newer by ${gap} ms; node1 exit ${res.node1.code} (${res.node1.out.split('\n').at(-1) ?? ''}), node2 exit ${res.node2.code} (${res.node2.out.split('\n').at(-1) ?? ''})`);
      const mine = res[newer.origin as LabNode];
      const theirs = res[older.origin as LabNode];
      ctx.check(mine.code === 0, `${newer.origin}'s ${label} (the newer) --wait exits 0: reached`, mine.out);
      // unless it was reached before the newer one came (a start of a running service, a switch to where it runs)
      const olderReached = (await daemonEvents(ctx.info, older.origin as LabNode)).some((e) => e.type === 'ServiceTargetReached' && e.data.of === older.id);
      // reached, and replaced: its --wait says whichever of the two its node's log held first
      if (olderReached) ctx.check(theirs.code === 0 || /replaced by/.test(theirs.out), `${older.origin}'s request (the older) was reached before the newer one came: --wait exits 0, or 1 "replaced by"`, `exit ${theirs.code}: ${theirs.out}`);
      else ctx.check(theirs.code === 1 && /replaced by/.test(theirs.out), `${older.origin}'s request (the older) --wait exits 1: "replaced by ${String(newer.data.action)}"`, `exit ${theirs.code}: ${theirs.out}`);
      if (newer.data.target === 'stopped') {
        await ctx.obs.until('svc1 stopped on both nodes', () => ctx.obs.holds('node1').length === 0 && ctx.obs.holds('node2').length === 0, 10_000);
      } else {
        const want = newer.data.target === 'placed' ? (newer.data.node as LabNode) : undefined;
        await settled(ctx, `svc1 running on ${want ?? 'one node'} and answering`, 30_000, want);
      }
    }
    const on = runningOn(ctx)!;
    await ctx.obs.holdsFor(`svc1 stays on ${on} alone (2 × timeout)`, 2 * ctx.timeoutMs, () => runsOnly(ctx, on));
    await ctx.converged();
  },
};

/**
 * svc1 stopped everywhere (`svcmgr -s svc1 stop --wait`), `prepare` done,
 * then `svcmgr -s svc1 start` on node1, until a node plumbs the address:
 * that node (placement's choice: node1, or node2 when a kept cluster left
 * node1 a penalty) and when the start was asked; undefined when `prepare`
 * could not.
 */
async function startUntilPlumbed(ctx: ScenarioContext, prepare: () => Promise<boolean> = async () => true): Promise<{ readonly t: number; readonly starter: LabNode } | undefined> {
  ctx.obs.mark('svcmgr -s svc1 stop --wait');
  await inNode('node1', ['svcmgr', '-s', 'svc1', 'stop', '--wait', '--time', '60'], 90_000);
  await ctx.obs.until('svc1 stopped on both nodes', () => ctx.obs.holds('node1').length === 0 && ctx.obs.holds('node2').length === 0, 10_000);
  if (!(await prepare())) return undefined;
  const t = ctx.obs.mark('svcmgr -s svc1 start on node1');
  await inNode('node1', ['svcmgr', '-s', 'svc1', 'start'], 60_000);
  const addr = ctx.info.svcAddr;
  const plumbed = () => ctx.info.nodeNames.find((n) => ctx.obs.latest(n)?.addrs.includes(addr) === true);
  await ctx.obs.until('a node plumbed the service address', () => plumbed() !== undefined, 60_000);
  return { t, starter: plumbed()! };
}

/**
 * Power loss of the node starting svc1, in the middle of its start: svc1
 * stopped (`svcmgr -s svc1 stop --wait`), then `svcmgr -s svc1 start` on
 * node1, and the power of the node placement chose (node1, or node2 when a
 * kept cluster left node1 a penalty) cut as soon as the sampler sees the
 * service address plumbed there, before its app runs.
 */
const powerLossStarting: Scenario = {
  name: 'power-loss-starting',
  title: 'power loss of the node starting svc1 (address plumbed, app not up yet), with a disk heartbeat: the other node starts it, never both',
  cluster: DISK,
  async run(ctx) {
    const { t, starter } = (await startUntilPlumbed(ctx))!;
    const other = OTHER[starter];
    const held = ctx.obs.holds(starter);
    const cut = ctx.obs.mark(`power loss of ${starter} (it held: ${held.join(', ')})`);
    await powerLoss(ctx.info, starter, ctx.obs.samplerPids());
    ctx.note(`${starter} lost power ${((cut - t) / 1000).toFixed(1)}s after the start was asked, holding ${held.join(', ')}`);
    ctx.check(!held.includes('app'), `the power was cut before ${starter}'s app ran`, held.join(', '));
    await settled(ctx, `svc1 running on ${other} and answering the client from it`, 60_000, other);
    const answered = ctx.obs.firstAnswerAfter(cut);
    ctx.recovery(answered === undefined ? undefined : answered - cut, `power loss to the page answering from ${other}`);
    await checkTags(ctx, [other]);
    await ctx.status(other, `${other} says ${starter} is down (proven by the disk heartbeat)`, (s) => peerState(s, starter)?.state === 'down', 10_000);

    const back = ctx.obs.mark(`${starter} comes back`);
    await nodeReturn(ctx.info, starter);
    await ctx.status(starter, `${starter} sees ${other} up`, (s) => peerState(s, other)?.state === 'up', 30_000);
    const what = `svc1 stays on ${other} alone, answering, once ${starter} is back (3 × timeout)`;
    const broke = await ctx.obs.watch(what, 3 * ctx.timeoutMs, () => runsOnly(ctx, other) && ctx.obs.answering() === other);
    ctx.check(broke === undefined, what, broke === undefined ? undefined : `not after ${((broke - back) / 1000).toFixed(1)}s:\n${ctx.obs.describe()}`);
    await ctx.converged();
  },
};

/**
 * `e2fsck` made slow (it waits `seconds`, then runs) in the nodes' mount
 * namespaces; undone at the scenario's end. Returns its path and the file
 * each run of it appends its pid to as it begins, or undefined when it could not.
 */
async function slowFsck(ctx: ScenarioContext, nodes: readonly LabNode[], seconds: number): Promise<{ readonly real: string; readonly started: string } | undefined> {
  const where = await runIn(nodes[0]!, ['sh', '-c', 'readlink -f "$(command -v e2fsck)"']);
  const real = where.stdout.trim();
  if (!ctx.check(where.exitCode === 0 && real !== '', 'e2fsck found in the node', where.stderr)) return undefined;
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'hasvc-fault-fsck-'));
  ctx.onCleanup(() => fs.rm(dir, { recursive: true, force: true }));
  await fs.copyFile(real, path.join(dir, 'e2fsck.real'));
  await fs.chmod(path.join(dir, 'e2fsck.real'), 0o755);
  const slow = path.join(dir, 'e2fsck');
  const started = path.join(dir, 'started');
  await fs.writeFile(slow, `#!/bin/sh\n# lab fault: a slow filesystem check\necho $$ >> '${started}'\nsleep ${seconds}\nexec '${dir}/e2fsck.real' "$@"\n`, { mode: 0o755 });
  for (const n of nodes) {
    const m = await runIn(n, ['mount', '--bind', slow, real]);
    if (!ctx.check(m.exitCode === 0, `the slow e2fsck bind-mounted in ${n}'s mount namespace`, m.stderr)) return undefined;
    // lazily: the script may still be read by a check its killed daemon left running
    ctx.onCleanup(() => runIn(n, ['umount', '-l', real]));
  }
  return { real, started };
}

/**
 * kill -9 of the daemon running a start, in the middle of it: svc1 stopped
 * (`svcmgr -s svc1 stop --wait`), e2fsck made slow (60 s) on both nodes, then
 * `svcmgr -s svc1 start` on node1; the daemon of the node that starts it
 * (node1, or node2 when a kept cluster left node1 a penalty) killed once its
 * address is plumbed and the vg tagged, while its filesystems' check runs
 * (the check is made quick again on the other node). Restarted, it waits
 * for the check its dead predecessor left running, ends it, records the
 * start interrupted and stops what it left up (rule 11 of the
 * orchestrator); the other node then starts svc1.
 */
const daemonKillStarting: Scenario = {
  name: 'daemon-kill-starting',
  title: 'kill -9 of the daemon starting svc1, after the address and the vg, before the filesystems, then its restart: the half start rolled back, svc1 started on the other node',
  cluster: DISK,
  async run(ctx) {
    let fsck: { readonly real: string; readonly started: string } | undefined;
    const started = await startUntilPlumbed(ctx, async () => (fsck = await slowFsck(ctx, ctx.info.nodeNames, 60)) !== undefined);
    if (started === undefined || fsck === undefined) return;
    const { t, starter } = started;
    const other = OTHER[starter];
    const checking = async () => (await fs.readFile(fsck!.started, 'utf8').catch(() => '')).trim() !== '';
    let tags: string[] = [];
    // each checked below, with what was seen
    await waitFor(`${ctx.info.vg} tagged @${starter}`, async () => (tags = await vgTags(ctx.info.vg)).join(',') === starter, 10_000).catch(() => undefined);
    if (!ctx.check(tags.join(',') === starter, `${ctx.info.vg} tagged @${starter} by its start`, `tags: ${tags.join(',') || 'none'}`)) return;
    await waitFor(`${starter}'s filesystem check`, checking, 20_000).catch(() => undefined);
    if (!ctx.check(await checking(), `${starter}'s start runs its first filesystem's check`)) return;
    const held = ctx.obs.holds(starter);
    const killed = ctx.obs.mark(`kill -9 of ${starter}'s daemon (it held: ${held.join(', ')})`);
    const pid = await daemonKill(ctx.info, starter);
    ctx.note(`${starter}'s daemon (pid ${pid}) killed ${((killed - t) / 1000).toFixed(1)}s after the start was asked, holding ${held.join(', ')} and the vg`);
    ctx.check(held.every((h) => h === 'ip'), `the daemon was killed before ${starter}'s filesystems and app`, held.join(', '));
    const u = await runIn(other, ['umount', '-l', fsck.real]);
    ctx.check(u.exitCode === 0, `e2fsck quick again on ${other}`, u.stderr);

    await ctx.obs.holdsFor(`nothing of svc1 on ${other} while ${starter}'s daemon is dead (3 × timeout)`, 3 * ctx.timeoutMs, () => ctx.obs.holds(other).length === 0);
    const s2 = await ctx.status(other, `${other} answers`, () => true, 5000);
    ctx.note(`${other}: ${starter} ${peerState(s2, starter)?.state ?? '?'} (${peerState(s2, starter)?.why ?? ''}); svc1: ${svc1Of(s2)?.decision ?? '?'}`);
    ctx.check(peerState(s2, starter)?.state === 'alive', `${other} says ${starter} alive (its host answers): its half start is not taken over`, peerState(s2, starter)?.why);

    const restarted = ctx.obs.mark(`${starter}'s daemon restarted`);
    await daemonStart(ctx.info, starter);
    const on = await settled(ctx, `svc1 running on ${other} and answering the client from it`, 90_000, other);
    const answered = ctx.obs.firstAnswerAfter(restarted);
    ctx.recovery(answered === undefined ? undefined : answered - restarted, `daemon restart to the page answering from ${on}`);
    const events = await daemonEvents(ctx.info, starter);
    ctx.check(events.some((e) => e.origin === starter && e.type === 'ActionInterrupted' && e.data.action === 'start'), `${starter} recorded the start interrupted (ActionInterrupted)`);
    const ended = agentLog(ctx.info, starter).find((l) => l.msg === 'interrupted action: its commands still running were ended' && Number(l.time ?? 0) >= restarted);
    const none = agentLog(ctx.info, starter).find((l) => l.msg === 'interrupted action: no command of it left running' && Number(l.time ?? 0) >= restarted);
    ctx.check(ended !== undefined, `${starter}'s restarted daemon ended the check its predecessor left running before recording the start interrupted`, none === undefined ? undefined : `it found none running; its record: ${JSON.stringify(none.record)}`);
    const rolled = agentLog(ctx.info, starter).find((l) => l.msg === 'orchestrator: acting' && l.action === 'stop' && /start interrupted/.test(String(l.reason ?? '')) && Number(l.time ?? 0) >= restarted);
    ctx.check(rolled !== undefined, `${starter}'s agent.log: orchestrator: acting stop, "start interrupted ... stopping them, as a failed start rolls back"`);
    await checkTags(ctx, [other]);
    await ctx.obs.holdsFor(`svc1 stays on ${other} alone (2 × timeout)`, 2 * ctx.timeoutMs, () => runsOnly(ctx, other));
    await ctx.converged();
  },
};

const daemonKilled: Scenario = {
  name: 'daemon-kill-running',
  title: 'kill -9 of the running node\'s daemon, then its restart: svc1 is not left down',
  cluster: DISK,
  async run(ctx) {
    const t = ctx.obs.mark('kill -9 of node1\'s daemon');
    const pid = await daemonKill(ctx.info, 'node1');
    ctx.note(`node1's daemon (pid ${pid}) killed; its nats-server and svc1's processes left running`);
    await ctx.obs.holdsFor('svc1 stays up on node1 alone while its daemon is dead (3 × timeout)', 3 * ctx.timeoutMs, () => runsOnly(ctx, 'node1'));
    const s2 = await ctx.status('node2', 'node2 answers', () => true, 5000);
    ctx.note(`node2: node1 ${peerState(s2, 'node1')?.state ?? '?'} (${peerState(s2, 'node1')?.why ?? ''}); svc1: ${svc1Of(s2)?.decision ?? '?'}`);
    // its disk beat stopped with its daemon, but its kernel refuses the heartbeat's connection: no dead node
    ctx.check(peerState(s2, 'node1')?.state === 'alive' && /host answers/.test(peerState(s2, 'node1')?.why ?? ''), 'node2 says node1 alive: its host answers, its daemon is down', peerState(s2, 'node1')?.why);
    const tried = agentLog(ctx.info, 'node2').filter((l) => l.msg === 'orchestrator: acting' && l.action === 'start' && Number(l.time ?? 0) >= t);
    ctx.check(tried.length === 0, 'node2 never tried to take svc1 over', tried.map((l) => String(l.reason ?? '')).join('; '));
    await checkTags(ctx, ['node1']);
    ctx.obs.mark('node1\'s daemon restarted');
    await daemonStart(ctx.info, 'node1');
    await ctx.status('node1', 'node1 sees node2 up', (s) => peerState(s, 'node2')?.state === 'up', 30_000);
    const on = await settled(ctx, 'svc1 running on one node and answering', 60_000);
    await ctx.obs.holdsFor(`svc1 stays on ${on} (3 × timeout)`, 3 * ctx.timeoutMs, () => runsOnly(ctx, on));
    const out = ctx.obs.outage(t);
    ctx.recovery(out.recoveryMs, out.interrupted ? `daemon killed to the page answering again (from ${on})` : 'service interruption');
    await ctx.converged();
  },
};

const daemonPaused: Scenario = {
  name: 'daemon-paused-running',
  title: 'the running node\'s daemon frozen (SIGSTOP) for 3 × timeout, then continued: never double',
  cluster: DISK,
  async run(ctx) {
    const t = ctx.obs.mark('SIGSTOP of node1\'s daemon');
    const pid = daemonPause(ctx.info, 'node1');
    ctx.onCleanup(() => daemonContinue(pid));
    await ctx.obs.holdsFor('svc1 never on both nodes while node1\'s daemon is frozen (3 × timeout)', 3 * ctx.timeoutMs, () => true);
    const s2 = await ctx.status('node2', 'node2 answers', () => true, 5000);
    ctx.note(`node2: node1 ${peerState(s2, 'node1')?.state ?? '?'} (${peerState(s2, 'node1')?.why ?? ''}); svc1: ${svc1Of(s2)?.decision ?? '?'}`);
    // a frozen daemon's kernel still accepts the heartbeat's connection: no dead node
    ctx.check(peerState(s2, 'node1')?.state === 'alive' && /host answers/.test(peerState(s2, 'node1')?.why ?? ''), 'node2 says node1 alive: its host answers, its daemon is frozen', peerState(s2, 'node1')?.why);
    const tried = agentLog(ctx.info, 'node2').filter((l) => l.msg === 'orchestrator: acting' && l.action === 'start' && Number(l.time ?? 0) >= t);
    ctx.check(tried.length === 0, 'node2 never tried to take svc1 over', tried.map((l) => String(l.reason ?? '')).join('; '));
    await checkTags(ctx, ['node1']);
    ctx.obs.mark('SIGCONT of node1\'s daemon');
    daemonContinue(pid);
    await ctx.status('node2', 'node2 sees node1 up', (s) => peerState(s, 'node1')?.state === 'up', 30_000);
    const on = await settled(ctx, 'svc1 running on one node and answering', 60_000);
    await ctx.obs.holdsFor(`svc1 stays on ${on} (2 × timeout)`, 2 * ctx.timeoutMs, () => runsOnly(ctx, on));
    const out = ctx.obs.outage(t);
    ctx.recovery(out.recoveryMs, out.interrupted ? `SIGSTOP to the page answering again (from ${on})` : 'service interruption');
    await ctx.converged();
  },
};

const natsKilled: Scenario = {
  name: 'nats-kill-running',
  title: 'kill -9 of the running node\'s nats-server: its daemon starts it again, nothing moves',
  cluster: DISK,
  async run(ctx) {
    const t = ctx.obs.mark('kill -9 of node1\'s nats-server');
    await natsKill(ctx.info, 'node1');
    await ctx.obs.holdsFor('svc1 stays on node1 alone (3 × timeout)', 3 * ctx.timeoutMs, () => runsOnly(ctx, 'node1'));
    await ctx.status('node1', 'node1\'s daemon answers and sees node2 up', (s) => peerState(s, 'node2')?.state === 'up', 30_000);
    const marker = await runIn('node1', ['nodemgr', 'set', '--kw', 'node.env=TST'], { timeoutMs: 60_000 });
    ctx.check(marker.exitCode === 0, 'node1 records events again (nodemgr set)', marker.stderr);
    await ctx.converged();
    const out = ctx.obs.outage(t);
    ctx.check(!out.interrupted, 'the client was answered all along', `${out.failed} probe(s) failed`);
    ctx.recovery(out.recoveryMs, 'service interruption');
  },
};

const hbPacketLoss: Scenario = {
  name: 'hb-packet-loss',
  title: '50 % of the heartbeat packets of node1 dropped for 3 × timeout: nothing moves',
  cluster: DISK,
  async run(ctx) {
    const t = ctx.obs.mark('50 % packet loss on node1\'s hb port');
    await packetLoss(ctx.info, 'node1', 50);
    ctx.onCleanup(() => clearPacketLoss(ctx.info, 'node1'));
    await ctx.obs.holdsFor('svc1 stays on node1 alone (3 × timeout)', 3 * ctx.timeoutMs, () => runsOnly(ctx, 'node1'));
    ctx.obs.mark('packet loss removed');
    await clearPacketLoss(ctx.info, 'node1');
    await ctx.status('node2', 'node2 sees node1 up', (s) => peerState(s, 'node1')?.state === 'up', 20_000);
    await ctx.converged();
    const out = ctx.obs.outage(t);
    ctx.check(!out.interrupted, 'the client was answered all along', `${out.failed} probe(s) failed`);
    ctx.recovery(out.recoveryMs, 'service interruption');
  },
};

/** The node's disk heartbeat threads (hb#2.rx, hb#2.tx) as its daemon shows them. */
function diskThreads(s: DaemonStatusView): NonNullable<DaemonStatusView['threads']> {
  return (s.threads ?? []).filter((t) => t.name.startsWith('hb#2.'));
}

/**
 * The disk heartbeat's device refuses every write (`blockdev --setro` on the
 * shared LUN: a SAN path gone read-only), on both nodes at once, for
 * 3 × timeout, then writable again. An unusable disk is no proof that a peer
 * is dead: both nodes keep each other up on hb#1, nothing moves.
 */
const diskHbFails: Scenario = {
  name: 'disk-hb-fails',
  title: 'the disk heartbeat\'s device refuses writes (read-only LUN) on both nodes, then comes back: hb#2 failed and said so, nothing moves, hb#2 running again',
  cluster: DISK,
  async run(ctx) {
    const dev = ctx.info.hbDev;
    const t = ctx.obs.mark(`blockdev --setro ${dev}`);
    const ro = await cmd(['blockdev', '--setro', dev]);
    if (!ctx.check(ro.exitCode === 0, `${dev} made read-only`, ro.stderr)) return;
    ctx.onCleanup(() => cmd(['blockdev', '--setrw', dev]));
    const failed = (s: DaemonStatusView) => diskThreads(s).some((th) => th.state === 'failed');
    for (const n of ctx.info.nodeNames) {
      const s = await ctx.status(n, `${n} says its disk heartbeat failed`, failed, 10 * ctx.timeoutMs);
      const th = diskThreads(s).find((x) => x.state === 'failed');
      ctx.note(`${n}: ${th?.name ?? '?'} failed: ${th?.detail ?? ''}`);
      ctx.check(/\S/.test(th?.detail ?? ''), `${n} says why in one line (${th?.name ?? 'hb#2'} detail)`, th?.detail);
      ctx.check(peerState(s, OTHER[n])?.state === 'up', `${n} still sees ${OTHER[n]} up (hb#1)`, `${peerState(s, OTHER[n])?.state ?? '?'}: ${peerState(s, OTHER[n])?.why ?? ''}`);
    }
    await ctx.obs.holdsFor('svc1 stays on node1 alone while the disk heartbeat fails (3 × timeout)', 3 * ctx.timeoutMs, () => runsOnly(ctx, 'node1'));
    for (const n of ctx.info.nodeNames) {
      const tried = agentLog(ctx.info, n).filter((l) => l.msg === 'orchestrator: acting' && Number(l.time ?? 0) >= t);
      ctx.check(tried.length === 0, `${n}'s orchestrator did nothing`, tried.map((l) => `${String(l.action)}: ${String(l.reason ?? '')}`).join('; '));
    }
    ctx.obs.mark(`blockdev --setrw ${dev}`);
    const rw = await cmd(['blockdev', '--setrw', dev]);
    ctx.check(rw.exitCode === 0, `${dev} writable again`, rw.stderr);
    for (const n of ctx.info.nodeNames) {
      const other = OTHER[n];
      await ctx.status(n, `${n}'s disk heartbeat running again, ${other} beating on it`, (s) => {
        const ths = diskThreads(s);
        return ths.length > 0 && ths.every((th) => th.state === 'running') && ths.some((th) => th.peers?.[other] === 'O');
      }, 10 * ctx.timeoutMs);
    }
    const out = ctx.obs.outage(t);
    ctx.check(!out.interrupted, 'the client was answered all along', `${out.failed} probe(s) failed`);
    ctx.recovery(out.recoveryMs, 'service interruption');
    await checkTags(ctx, ['node1']);
    await ctx.converged();
  },
};

/**
 * The fast-failover soak (issue: failover in seconds): heartbeats at 200 ms
 * with a 1 s timeout, 5 % of the heartbeat packets of both nodes dropped at
 * random, and each minute one daemon (node1 and node2 in turn) frozen for up
 * to half the timeout. Nothing may move: svc1 stays on node1 and answers, no
 * peer is ever seen down. HASVC_SOAK_MINUTES sets its length (10). Not in
 * the lab test's catalogue: `npm run faults -- --scenario soak`.
 */
const SOAK_CLUSTER: ClusterOptions = { diskHb: true, interval: '200ms', timeout: '1s', readyPeriod: '1s' };

export const soak: Scenario = {
  name: 'soak',
  title: 'soak: fast heartbeats (200ms/1s), 5 % heartbeat packet loss, a daemon frozen up to half the timeout each minute: no false failover',
  cluster: SOAK_CLUSTER,
  async run(ctx) {
    const minutes = Number(process.env.HASVC_SOAK_MINUTES ?? 10);
    const t = ctx.obs.mark(`soak: ${minutes} min, 5 % packet loss on both nodes' hb port`);
    for (const n of ctx.info.nodeNames) {
      await packetLoss(ctx.info, n, 5);
      ctx.onCleanup(() => clearPacketLoss(ctx.info, n));
    }
    let pauses = 0;
    let longest = 0;
    for (let m = 0; m < minutes; m++) {
      const node: LabNode = m % 2 === 0 ? 'node1' : 'node2';
      // up to half the timeout, never less than a tenth of it
      const ms = Math.round(ctx.timeoutMs * (0.1 + 0.4 * Math.random()));
      const pid = daemonPause(ctx.info, node);
      ctx.onCleanup(() => daemonContinue(pid));
      await new Promise((r) => setTimeout(r, ms));
      daemonContinue(pid);
      pauses++;
      longest = Math.max(longest, ms);
      await ctx.obs.holdsFor(`svc1 stays on node1 alone (minute ${m + 1} of ${minutes})`, 60_000 - ms, () => runsOnly(ctx, 'node1'));
    }
    ctx.note(`${pauses} pause(s) of a daemon, the longest ${longest} ms`);
    const out = ctx.obs.outage(t);
    ctx.check(!out.interrupted, 'the client was answered all along', `${out.failed} probe(s) failed`);
    for (const n of ctx.info.nodeNames) {
      const flaps = agentLog(ctx.info, n).filter((l) => l.msg === 'peer state changed' && l.to !== 'up' && Number(l.time ?? 0) >= t).length;
      ctx.note(`${n}: ${flaps} peer state change(s) away from up during the soak`);
      const st = await ctx.status(n, `${n} sees its peer up`, (s) => peerState(s, OTHER[n])?.state === 'up', 10_000);
      ctx.check(svc1Of(st)?.instances.find((i) => i.node === 'node1')?.avail === 'up', `${n}: svc1 up on node1 at the end`);
    }
    ctx.check(runsOnly(ctx, 'node1'), 'svc1 on node1 alone at the end');
  },
};

/** Every scenario, in the order the lab test runs them. */
export const SCENARIOS: readonly Scenario[] = [
  // these leave svc1 on node1: each hands its cluster to the next (harness.ts, Bench)
  partitionIdle,
  partitionRunning('carrier kept'),
  partitionRunning('carrier lost'),
  hbPacketLoss,
  natsKilled,
  diskHbFails,
  daemonPaused,
  healDoubleActive,
  daemonKilled,
  appKilledNotMonitored,
  // these move svc1 or restart the nodes
  appKilled,
  appHung,
  launcherStatusFails,
  flip,
  powerLossDisk,
  powerLossStarting,
  daemonKillStarting,
  simultaneous(false),
  simultaneous(true),
  powerLossUnicast,
];

export function scenarioNamed(name: string): Scenario | undefined {
  return [...SCENARIOS, soak].find((s) => s.name === name);
}
