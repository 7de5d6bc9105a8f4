import fs from 'node:fs/promises';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { cmd } from './host.js';
import { installWebApp, svc1Conf, type LabNode } from './lab.js';
import { powerLoss } from './faults/faults.js';
import {
  FETCH_ARGV,
  PAGE,
  addressesOn,
  daemonEvents,
  lastSeq,
  serviceMountsIn,
  spoolEvents,
  vgTags,
  webServerRunning,
  type RecordedEvent,
} from './probes.js';
import { logLine, parseStatus, type Ran, type StatusTree, type Step, type Walk } from './walk.js';

/**
 * seed-getting-started.rst, step by step, on the lab's two nodes: each step
 * runs the tutorial's commands for real, shows their output, and checks both
 * the output and the system (addresses, mounts, VG tags, web answer, events).
 * Steps that need what hasvc has not built yet say so and are skipped: they
 * are never faked. Run by demo.ts (npm run demo) and tutorial.lab.test.ts.
 */

const SVC = 'svc1';
const OTHER: Record<LabNode, LabNode> = { node1: 'node2', node2: 'node1' };

/** `svc1 ARGS`: the per-service command the tutorial uses (/etc/opensvc/svc1 -> svcmgr). */
function svc1(...args: string[]): string[] {
  return [SVC, ...args];
}

function prefix(node: LabNode, rid?: string): string {
  return rid === undefined ? `${node}.${SVC}` : `${node}.${SVC}.${rid}`;
}

async function printStatus(w: Walk, node: LabNode, quiet = false): Promise<StatusTree> {
  const r = await w.run(node, svc1('print', 'status'), { quiet });
  return parseStatus(r.output);
}

/** Each resource of the instance on node shows the expected status in `print status`. */
function checkResources(w: Walk, tree: StatusTree, node: LabNode, expected: Record<string, string>): boolean {
  const inst = tree.instances[node];
  const seen = Object.fromEntries(Object.keys(expected).map((rid) => [rid, inst?.resources[rid]?.status ?? '(no line)']));
  const wrong = Object.entries(expected).filter(([rid, st]) => seen[rid] !== st);
  const list = Object.entries(expected)
    .map(([rid, st]) => `${rid} ${st}`)
    .join(', ');
  return w.check(wrong.length === 0, `print status on ${node}: ${list}`, wrong.length > 0 ? `seen: ${JSON.stringify(seen)}` : undefined);
}

function checkNotes(w: Walk, tree: StatusTree, node: LabNode, notes: readonly string[]): boolean {
  const have = tree.instances[node]?.notes ?? [];
  const missing = notes.filter((n) => !have.includes(n));
  return w.check(missing.length === 0, `print status on ${node}: instance ${notes.join(', ')}`, missing.length > 0 ? `instance notes seen: ${JSON.stringify(have.join(', '))}` : undefined);
}

async function checkAddress(w: Walk, node: LabNode, present: boolean): Promise<boolean> {
  const { svcAddr, prefixLength, ipdev } = w.info;
  const addrs = await addressesOn(node, ipdev);
  const has = addrs.includes(`${svcAddr}/${prefixLength}`);
  return w.check(has === present, `${svcAddr} is ${present ? '' : 'not '}on ${node}'s ${ipdev}`, `${ipdev} has ${addrs.join(' ')}`);
}

/** The service's filesystems are mounted in node (mounted: true), or none of the service's disks is (false). */
async function checkMounts(w: Walk, node: LabNode, mounted: boolean): Promise<boolean> {
  const { appDev, appMnt, dataDev, dataMnt } = w.info;
  const mounts = await serviceMountsIn(w.info, node);
  const seen = mounts.map((m) => `${m.source} on ${m.target}`);
  if (!mounted) return w.check(mounts.length === 0, `no service disk is mounted in ${node} (/proc/self/mounts)`, `still mounted: ${seen.join(', ')}`);
  const want = [`${appDev} on ${appMnt}`, `${dataDev} on ${dataMnt}`];
  return w.check(
    want.every((m) => seen.includes(m)),
    `${want.join(' and ')} in ${node}'s /proc/self/mounts`,
    `seen: ${seen.join(', ') || 'none'}`,
  );
}

async function checkTags(w: Walk, expected: readonly LabNode[]): Promise<boolean> {
  const tags = await vgTags(w.info.vg);
  const ok = tags.length === expected.length && expected.every((t) => tags.includes(t));
  return w.check(ok, `vgs -o tags ${w.info.vg}: ${expected.length > 0 ? expected.map((t) => `@${t}`).join(' ') : 'no tag'}`, `tags: ${tags.join(',') || 'none'}`);
}

async function checkWebServer(w: Walk, node: LabNode, running: boolean): Promise<boolean> {
  return w.check((await webServerRunning(node)) === running, `the web server is ${running ? '' : 'not '}running in ${node}`);
}

/** The events node recorded: in its spool until its daemon runs, then in the stream, read from the daemon. */
export async function nodeEvents(w: Walk, node: LabNode): Promise<RecordedEvent[]> {
  return w.state.daemon ? daemonEvents(w.info, node) : spoolEvents(w.info, node);
}

async function eventMark(w: Walk, node: LabNode): Promise<number> {
  // unreadable events make the later check fail, with the reason; once joined, the stream holds the peer's events too
  return lastSeq((await nodeEvents(w, node).catch(() => [])).filter((e) => e.origin === node));
}

interface ActionEvents {
  readonly action: 'start' | 'stop';
  readonly result: 'ok' | 'failed';
  /** rids that must have a ResourceStarted (start) or ResourceStopped (stop) event */
  readonly rids: readonly string[];
  /** rids that must have a ResourceStartFailed event */
  readonly failed?: readonly string[];
  /** no resource may have started (and so no rollback) */
  readonly noneStarted?: boolean;
}

/** The last action node recorded after mark: ActionStarted, a Resource* per rid, ActionFinished, all caused by it. */
async function checkActionEvents(w: Walk, node: LabNode, mark: number, e: ActionEvents): Promise<boolean> {
  let all: RecordedEvent[];
  try {
    // the daemon reads the stream a moment after the CLI appended: wait for the action to finish there
    all = await nodeEvents(w, node);
    for (let i = 0; i < 30 && !all.some((ev) => ev.seq > mark && ev.type === 'ActionFinished' && ev.origin === node); i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      all = await nodeEvents(w, node);
    }
  } catch (err) {
    return w.check(false, `the events of ${node} can be read`, err instanceof Error ? err.message : String(err));
  }
  const evs = all.filter((ev) => ev.seq > mark && ev.svc === SVC && ev.origin === node);
  const started = evs.filter((ev) => ev.type === 'ActionStarted' && ev.data.action === e.action).at(-1);
  const caused = started === undefined ? [] : evs.filter((ev) => ev.causation === started.id);
  const done = e.action === 'start' ? 'ResourceStarted' : 'ResourceStopped';
  const problems: string[] = [];
  if (started === undefined) problems.push(`no ActionStarted ${e.action}`);
  for (const rid of e.rids) if (!caused.some((ev) => ev.type === done && ev.rid === rid)) problems.push(`no ${done} ${rid}`);
  for (const rid of e.failed ?? []) if (!caused.some((ev) => ev.type === 'ResourceStartFailed' && ev.rid === rid)) problems.push(`no ResourceStartFailed ${rid}`);
  if (e.noneStarted) {
    for (const ev of caused.filter((x) => x.type === 'ResourceStarted' || x.type === 'RollbackStarted')) problems.push(`unexpected ${ev.type} ${ev.rid ?? ''}`.trim());
  }
  const finished = caused.find((ev) => ev.type === 'ActionFinished');
  if (finished?.data.result !== e.result) problems.push(`ActionFinished result ${String(finished?.data.result ?? '(none)')}, expected ${e.result}`);
  const summary = [
    `ActionStarted ${e.action}`,
    ...e.rids.map((r) => `${done} ${r}`),
    ...(e.failed ?? []).map((r) => `ResourceStartFailed ${r}`),
    `ActionFinished ${e.result}`,
  ].join(', ');
  const where = w.state.daemon ? `${node}'s stream (the daemon's GET /events)` : `${node}'s spool`;
  return w.check(problems.length === 0, `events in ${where}: ${summary}`, `${problems.join('; ')}\nrecorded: ${evs.map((ev) => `${ev.type}${ev.rid ? ` ${ev.rid}` : ''}`).join(', ')}`);
}

/** Poll the page from node until it answers (the launcher starts the server in the background), then show the fetch. */
async function fetchPage(w: Walk, node: LabNode): Promise<Ran> {
  for (let i = 0; i < 50; i++) {
    const r = await w.run(node, FETCH_ARGV, { quiet: true, exit: 'any' });
    if (r.exitCode === 0) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const r = await w.run(node, FETCH_ARGV, { soft: true });
  w.check(r.output.trim() === PAGE, `${node} gets ${PAGE} from ${FETCH_ARGV[3]}`, `got: ${r.output}`);
  return r;
}

const NODES: readonly LabNode[] = ['node1', 'node2'];

export const startAgents: Step = {
  section: 'OpenSVC Installation',
  title: 'start the agent on both nodes (systemctl start opensvc-agent.service; svcmon)',
  async run(w) {
    if (!(await w.available('node1', 'nodemgr', 'daemon start'))) {
      w.skip(
        'nodemgr daemon start, svcmon',
        'the daemon is not built yet (nodemgr has no "daemon start" action): each command below acts on its own node and appends its events to the node\'s spool, /var/lib/opensvc/spool/events.jsonl',
      );
      return;
    }
    for (const n of NODES) {
      await w.run(n, ['nodemgr', 'daemon', 'start']);
      await w.run(n, ['nodemgr', 'daemon', 'status'], { soft: true });
    }
    w.state.daemon = true;
    if (await w.available('node1', 'svcmon', '')) await w.run('node1', ['svcmon'], { soft: true });
    else w.skip('svcmon', 'bin/svcmon is not built yet');
  },
};

export const clusterBuild: Step = {
  section: 'Cluster Build',
  title: 'a unicast heartbeat on node1',
  async run(w) {
    await w.run('node1', ['nodemgr', 'set', '--param', 'hb#1.type', '--value', 'unicast'], { soft: true });
    const r = await w.run('node1', ['nodemgr', 'get', '--param', 'hb#1.type'], { soft: true });
    w.check(r.output.trim() === 'unicast', 'nodemgr get --param hb#1.type prints unicast', `got: ${r.output}`);
  },
};

export const createService: Step = {
  section: 'Service Creation',
  title: 'Step 1: svcmgr -s svc1 create, and (Step 4) the files it makes in /etc/opensvc',
  async run(w) {
    await w.run('node1', ['svcmgr', '-s', SVC, 'create']);
    const ls = await w.sh('node1', 'ls -lart | grep svc1', { cwd: '/etc/opensvc' });
    w.expectLines(ls, [/^d.* svc1\.dir$/, /^l.* svc1\.d -> svc1\.dir$/, /^l.* svc1 -> \/\S*\/svcmgr$/, /^-.* svc1\.conf$/], 'svc1.conf, svc1.dir, svc1.d -> svc1.dir and svc1 -> svcmgr in /etc/opensvc');
  },
};

/** The tutorial's config, with the lab's devices: what the EDITOR writes. */
export const editConfig: Step<string> = {
  section: 'Service Creation',
  title: 'Step 1: svcmgr -s svc1 edit config (ip, vg, two filesystems)',
  async run(w) {
    const conf = svc1Conf(w.info);
    const content = path.join(w.workDir, 'svc1.conf');
    const editor = path.join(w.workDir, 'editor');
    await fs.writeFile(content, conf);
    // svcmgr runs `$EDITOR "$1"` on a temp copy and keeps the result only when it validates
    await fs.writeFile(editor, `#!/bin/sh\n# EDITOR for the walk: write the prepared svc1.conf into the file svcmgr edits\nexec cp -- ${content} "$1"\n`, { mode: 0o755 });
    w.note(`EDITOR=${editor}: it writes the tutorial's config into the file svcmgr opens,`);
    w.note('with the lab\'s shared disks, /dev/loop*: no LVs, the test VM has no device-mapper');
    w.verbatim(conf);
    await w.run('node1', ['svcmgr', '-s', SVC, 'edit', 'config'], { env: { EDITOR: editor } });
    const shown = await w.run('node1', ['svcmgr', '-s', SVC, 'print', 'config']);
    const missing = conf.split('\n').filter((l) => l.trim() !== '' && !shown.lines.includes(l));
    w.check(missing.length === 0, 'print config shows every line written', `missing: ${missing.join(' | ')}`);
    w.check(shown.lines.some((l) => /^id = \S+$/.test(l)), 'print config keeps the id create gave the service in [DEFAULT]');
    return conf;
  },
};

export const queryStatus: Step<StatusTree> = {
  section: 'Service Testing',
  title: 'Query service status (through the symlink /etc/opensvc/svc1)',
  async run(w) {
    const tree = await printStatus(w, 'node1');
    w.note('the tutorial shows disk#0 up here: its vgcreate left the LVs active; hasvc reports the vg up once start tags it @node1');
    checkResources(w, tree, 'node1', { 'ip#0': 'down', 'fs#app': 'down', 'fs#data': 'down', 'sync#i0': 'n/a' });
    checkNotes(w, tree, 'node1', ['frozen', 'idle']);
    // node2 is not in node1's cluster yet
    const node2 = tree.instances.node2;
    w.check(node2?.avail === 'undef' && node2.notes.join(', ') === 'daemon down', 'print status: node2 undef, daemon down');
    return tree;
  },
};

export const startService: Step<StatusTree> = {
  section: 'Service Testing',
  title: 'Start service: svc1 start --local',
  async run(w) {
    const { svcAddr, prefixLength, ipdev, vg, appDev, appMnt, dataDev, dataMnt } = w.info;
    const mark = await eventMark(w, 'node1');
    const start = await w.run('node1', svc1('start', '--local'));
    w.expectLines(
      start,
      [
        logLine(prefix('node1', 'ip#0'), `checking ${svcAddr} availability`),
        new RegExp(`^node1\\.svc1\\.ip#0 +ip addr add ${svcAddr.replace(/\./g, '\\.')}/${prefixLength} dev ${ipdev}`),
        logLine(prefix('node1', 'disk#0'), `vgchange --addtag @node1 ${vg}`),
        logLine(prefix('node1', 'fs#app'), `e2fsck -p ${appDev}`),
        logLine(prefix('node1', 'fs#app'), `mount -t ext4 ${appDev} ${appMnt}`),
        logLine(prefix('node1', 'fs#data'), `e2fsck -p ${dataDev}`),
        logLine(prefix('node1', 'fs#data'), `mount -t ext4 ${dataDev} ${dataMnt}`),
      ],
      'start: availability check, ip plumbed, vg tagged, fsck then mount of each filesystem',
    );
    await checkActionEvents(w, 'node1', mark, { action: 'start', result: 'ok', rids: ['ip#0', 'disk#0', 'fs#app', 'fs#data'] });
    const mount = await w.sh('node1', 'mount | grep svc1');
    w.note('the /svc1 line is the lab\'s: node1\'s own /svc1 directory, bound at lab up');
    w.expectLines(mount, [new RegExp(`^${appDev} on ${appMnt} type ext4 `), new RegExp(`^${dataDev} on ${dataMnt} type ext4 `)], 'mount shows both filesystems');
    await checkMounts(w, 'node1', true);
    const ip = await w.run('node1', ['ip', 'addr', 'list', ipdev]);
    w.expectLines(ip, [new RegExp(`inet ${svcAddr.replace(/\./g, '\\.')}/${prefixLength} .*${ipdev}:1$`)], `ip addr shows ${svcAddr} on ${ipdev}:1`);
    await checkAddress(w, 'node1', true);
    await checkTags(w, ['node1']);
    const tree = await printStatus(w, 'node1');
    w.check(tree.avail === 'up', 'print status: svc1 up', `svc1 ${tree.avail}`);
    checkResources(w, tree, 'node1', { 'ip#0': 'up', 'disk#0': 'up', 'fs#app': 'up', 'fs#data': 'up' });
    checkNotes(w, tree, 'node1', ['idle', 'started']);
    w.state.runningOn = 'node1';
    return tree;
  },
};

export const launcherDir: Step = {
  section: 'Application Integration',
  title: 'Applications launcher directory: move it to /svc1/app/init.d',
  async run(w) {
    const cwd = '/etc/opensvc';
    await w.sh('node1', 'ls -lart | grep svc1', { cwd });
    await w.run('node1', ['rm', '-f', 'svc1.d'], { cwd });
    await w.run('node1', ['rmdir', 'svc1.dir'], { cwd });
    await w.run('node1', ['mkdir', '/svc1/app/init.d'], { cwd });
    await w.run('node1', ['ln', '-s', '/svc1/app/init.d', 'svc1.d'], { cwd });
    const ls = await w.sh('node1', 'ls -lart | grep svc1', { cwd });
    w.expectLines(ls, [/ svc1\.d -> \/svc1\/app\/init\.d$/], 'svc1.d -> /svc1/app/init.d');
    w.check(!ls.lines.some((l) => / svc1\.dir$/.test(l)), 'svc1.dir is gone');
  },
};

export const appBinary: Step = {
  section: 'Application Integration',
  title: 'Application binary, web page and launcher script',
  async run(w) {
    w.note('lab: install the tutorial\'s weblauncher, a webserver taking mongoose\'s options (python3 http.server inside) and index.html');
    await installWebApp('node1');
    await w.run('node1', ['ls', '-l', '/svc1/app/webserver', '/svc1/app/init.d/weblauncher']);
    const page = await w.run('node1', ['cat', 'index.html'], { cwd: '/svc1/data' });
    w.check(page.output.trim() === PAGE, `/svc1/data/index.html is ${PAGE}`);
    const st = await w.sh('node1', './weblauncher status; echo $?', { cwd: '/svc1/app/init.d' });
    w.check(st.output.trim() === '1', 'weblauncher status exits 1 while the server is stopped', `got: ${st.output}`);
  },
};

export const appResource: Step = {
  section: 'Application Integration',
  title: 'Applications launcher script: [app#web] in the config',
  async run(w) {
    await w.run('node1', svc1('set', '--kw', 'app#web.script=weblauncher', '--kw', 'app#web.start=10', '--kw', 'app#web.check=10', '--kw', 'app#web.stop=90'));
    const r = await w.run('node1', svc1('get', '--kw', 'app#web.script'), { soft: true });
    w.check(r.output.trim() === 'weblauncher', 'svc1 get --kw app#web.script prints weblauncher', `got: ${r.output}`);
  },
};

export const startApp: Step<StatusTree> = {
  section: 'Application Integration',
  title: 'svc1 start --local with the app: the rest is already up, the launcher runs',
  async run(w) {
    const { svcAddr, ipdev, vg, appDev, appMnt, dataDev, dataMnt } = w.info;
    const mark = await eventMark(w, 'node1');
    const start = await w.run('node1', svc1('start', '--local'));
    w.expectLines(
      start,
      [
        logLine(prefix('node1', 'ip#0'), `${svcAddr} is already up on ${ipdev}`),
        logLine(prefix('node1', 'disk#0'), `vg ${vg} is already up`),
        logLine(prefix('node1', 'fs#app'), `ext4 ${appDev}@${appMnt} is already mounted`),
        logLine(prefix('node1', 'fs#data'), `ext4 ${dataDev}@${dataMnt} is already mounted`),
        logLine(prefix('node1', 'app#web'), 'exec /svc1/app/init.d/weblauncher start as user root'),
        /^node1\.svc1\.app#web +start done in \d+:\d\d:\d\d\.\d+ ret 0$/,
      ],
      'start: ip, vg and filesystems already up, then the launcher',
    );
    await checkActionEvents(w, 'node1', mark, { action: 'start', result: 'ok', rids: ['ip#0', 'disk#0', 'fs#app', 'fs#data', 'app#web'] });
    const tree = await printStatus(w, 'node1');
    checkResources(w, tree, 'node1', { 'ip#0': 'up', 'disk#0': 'up', 'fs#app': 'up', 'fs#data': 'up', 'app#web': 'up' });
    await checkWebServer(w, 'node1', true);
    w.note('the page, fetched from node2 through the service address (python3: the lab installs no wget)');
    await fetchPage(w, 'node2');
    return tree;
  },
};

export const stopService: Step<StatusTree> = {
  section: 'Application Integration',
  title: 'svc1 stop --local: the app, the filesystems, the vg, the address, in reverse order',
  async run(w) {
    const { svcAddr, prefixLength, ipdev, vg, appMnt, dataMnt } = w.info;
    const mark = await eventMark(w, 'node1');
    const stop = await w.run('node1', svc1('stop', '--local'));
    w.expectLines(
      stop,
      [
        logLine(prefix('node1', 'app#web'), 'exec /svc1/app/init.d/weblauncher stop as user root'),
        logLine(prefix('node1', 'fs#data'), `umount ${dataMnt}`),
        logLine(prefix('node1', 'fs#app'), `umount ${appMnt}`),
        logLine(prefix('node1', 'disk#0'), `vgchange --deltag @node1 ${vg}`),
        new RegExp(`^node1\\.svc1\\.ip#0 +ip addr del ${svcAddr.replace(/\./g, '\\.')}/${prefixLength} dev ${ipdev}`),
      ],
      'stop: launcher stop, umounts, vg untagged, address removed',
    );
    const order = ['app#web', 'fs#data', 'fs#app', 'disk#0', 'ip#0'].map((rid) => stop.lines.findIndex((l) => l.startsWith(`${prefix('node1', rid)} `)));
    w.check(order.every((i, k) => i >= 0 && (k === 0 || i > (order[k - 1] ?? -1))), 'stop order is the reverse of start: app#web, fs#data, fs#app, disk#0, ip#0');
    await checkActionEvents(w, 'node1', mark, { action: 'stop', result: 'ok', rids: ['app#web', 'fs#data', 'fs#app', 'disk#0', 'ip#0'] });
    const tree = await printStatus(w, 'node1');
    w.check(tree.avail === 'down', 'print status: svc1 down', `svc1 ${tree.avail}`);
    checkResources(w, tree, 'node1', { 'ip#0': 'down', 'disk#0': 'down', 'fs#app': 'down', 'fs#data': 'down', 'app#web': 'down' });
    await checkAddress(w, 'node1', false);
    await checkMounts(w, 'node1', false);
    await checkTags(w, []);
    await checkWebServer(w, 'node1', false);
    w.state.runningOn = undefined;
    return tree;
  },
};

export const restartService: Step = {
  section: 'Application Integration',
  title: 'Let\'s restart the service to continue this tutorial',
  async run(w) {
    await w.run('node1', svc1('start', '--local'));
    await checkAddress(w, 'node1', true);
    await checkMounts(w, 'node1', true);
    await checkWebServer(w, 'node1', true);
    w.state.runningOn = 'node1';
  },
};

export const joinCluster: Step = {
  section: 'Service Failover',
  title: 'node2 joins node1\'s cluster',
  async run(w) {
    const secret = await w.run('node1', ['nodemgr', 'get', '--param', 'cluster.secret'], { soft: true });
    const value = secret.output.trim();
    if (w.check(/^\S{16,}$/.test(value), 'nodemgr get --param cluster.secret prints the secret', `got: ${secret.output}`)) w.state.secret = value;
    if (!(await w.available('node2', 'nodemgr', 'daemon join'))) {
      w.skip('nodemgr daemon join --secret ... --node node1, svcmon', 'cluster join is not built yet (nodemgr has no "daemon join" action)');
      return;
    }
    if (!w.state.daemon) {
      w.skip('nodemgr daemon join', 'nodemgr daemon join exists but the daemons did not start (see OpenSVC Installation)');
      return;
    }
    const join = await w.run('node2', ['nodemgr', 'daemon', 'join', '--secret', value, '--node', 'node1'], { shown: `nodemgr daemon join --secret ${value} --node node1` });
    const expected = ['node2        freeze local node', 'node2        add heartbeat hb#1', 'node2        join node node1', 'node2        thaw local node'];
    w.check(join.lines.length === expected.length && join.lines.every((l, i) => l.trimEnd() === expected[i]), 'the four lines of the tutorial: freeze, add heartbeat hb#1, join node node1, thaw', `got:\n${join.output}`);
    w.state.joined = true;
    if (!(await w.available('node2', 'svcmon', ''))) {
      w.skip('svcmon', 'bin/svcmon is not built yet');
      return;
    }
    // the first beats and node1's events take a few seconds (hb#1 interval 5s) to reach node2
    const rxUp = /^ hb#1\.rx +running 0\.0\.0\.0:10000 +\| O +\/$/;
    const svc1Seen = /^ svc1 +\S+ +failover +\| O/;
    for (let i = 0; i < 60; i++) {
      const mon = await w.run('node2', ['svcmon', '--color', 'no'], { quiet: true, exit: 'any' });
      if (mon.lines.some((l) => rxUp.test(l)) && mon.lines.some((l) => svc1Seen.test(l))) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const mon = await w.run('node2', ['svcmon'], { soft: true });
    w.expectLines(
      mon,
      [
        /^Threads +node1 node2$/,
        rxUp,
        /^ hb#1\.tx +running +\| O +\/$/,
        / listener +running 0\.0\.0\.0:1214$/,
        /^Nodes +node1 node2$/,
        /^ {2}15m +\| \d+\.\d +\d+\.\d$/,
        /^Services +node1 node2$/,
        svc1Seen,
      ],
      'svcmon on node2: both nodes, hb#1 receiving from node1, both loads, svc1 running on node1',
    );
  },
};

export const syncNodes: Step = {
  section: 'Service Failover',
  title: 'svc1 sync nodes: the service config to node2',
  async run(w) {
    const n1 = w.info.nodes.node1.etc;
    const n2 = w.info.nodes.node2.etc;
    const canSync = await w.available('node1', 'svcmgr', 'sync nodes');
    if (canSync && !w.state.daemon) {
      w.skip('svc1 sync nodes', 'the daemons did not start: node2 has no listener to receive the config');
    } else if (canSync && !w.state.joined && w.state.secret === undefined) {
      w.skip('svc1 sync nodes', 'node1\'s cluster secret is unknown (nodemgr get --param cluster.secret failed): node1 cannot be trusted by node2');
    }
    if (canSync && w.state.daemon && (w.state.joined || w.state.secret !== undefined)) {
      if (!w.state.joined) {
        // sync nodes is signed with the cluster secret: node2 must trust node1, which `daemon join` does
        w.note('node2 did not join (nodemgr daemon join is not there): node1\'s cluster secret is written in node2\'s cluster.conf instead, so node2 trusts node1\'s signed request');
        await w.run('node2', ['nodemgr', 'set', '--kw', `cluster.secret=${w.state.secret!}`], { shown: 'nodemgr set --kw cluster.secret=<node1\'s secret>' });
      }
      await w.run('node1', svc1('sync', 'nodes'));
      const events = await nodeEvents(w, 'node1');
      const synced = events.filter((e) => e.type === 'ServiceConfigSynced' && e.svc === SVC);
      w.check(synced.length > 0, 'node1 recorded ServiceConfigSynced for svc1', `got: ${events.filter((e) => e.type.startsWith('ServiceConfigSync')).map((e) => e.type).join(', ') || 'none'}`);
    } else {
      if (!canSync) w.skip('svc1 sync nodes', 'sync nodes is not built yet');
      w.note('copy of svc1.conf to node2 by hand, as sync nodes could not run. From the host, what sync would copy:');
      w.note('node1\'s /etc/opensvc/svc1* (svc1.conf, the svc1 and svc1.d symlinks) into node2\'s /etc/opensvc');
      await w.onHost(['cp', '-a', ...['svc1.conf', 'svc1', 'svc1.d'].map((f) => path.join(n1, f)), `${n2}/`]);
    }
    const ls = await w.sh('node2', 'ls -lart | grep svc1', { cwd: '/etc/opensvc' });
    w.expectLines(ls, [/ svc1\.conf$/, / svc1 -> \S*\/svcmgr$/], 'node2 has svc1.conf and the svc1 command');
    const [a, b] = await Promise.all([fs.readFile(path.join(n1, 'svc1.conf'), 'utf8'), fs.readFile(path.join(n2, 'svc1.conf'), 'utf8')]);
    w.check(a === b, 'node2\'s svc1.conf is node1\'s');
  },
};

export const relocate: Step<StatusTree> = {
  section: 'Service Failover',
  title: 'relocation: stop on node1 (svcmgr -s svc1 stop), start on node2',
  async run(w) {
    await w.run('node1', ['svcmgr', '-s', SVC, 'stop', '--wait']);
    await checkAddress(w, 'node1', false);
    await checkMounts(w, 'node1', false);
    w.state.runningOn = undefined;
    const mark = await eventMark(w, 'node2');
    const start = await w.run('node2', svc1('start', '--local'));
    w.expectLines(
      start,
      [logLine(prefix('node2', 'disk#0'), `vgchange --addtag @node2 ${w.info.vg}`), logLine(prefix('node2', 'app#web'), 'exec /svc1/app/init.d/weblauncher start as user root')],
      'node2 tags the vg and runs the launcher from its own /svc1/app/init.d',
    );
    w.state.runningOn = 'node2';
    await checkActionEvents(w, 'node2', mark, { action: 'start', result: 'ok', rids: ['ip#0', 'disk#0', 'fs#app', 'fs#data', 'app#web'] });
    await checkAddress(w, 'node2', true);
    await checkMounts(w, 'node2', true);
    await checkTags(w, ['node2']);
    const tree = await printStatus(w, 'node2');
    checkResources(w, tree, 'node2', { 'ip#0': 'up', 'disk#0': 'up', 'fs#app': 'up', 'fs#data': 'up', 'app#web': 'up' });
    w.note('the page, now served by node2, fetched from node1');
    await fetchPage(w, 'node1');
    return tree;
  },
};

export const conflict: Step<Ran> = {
  section: 'Service Failover',
  title: 'start on node1 while svc1 runs on node2: the ip conflict aborts it',
  async run(w) {
    const mark = await eventMark(w, 'node1');
    const r = await w.run('node1', svc1('start', '--local'), { exit: 'nonzero', soft: true });
    const expected = [
      logLine(prefix('node1', 'ip#0'), `checking ${w.info.svcAddr} availability`),
      logLine(prefix('node1'), 'start aborted due to resource ip#0 conflict', 'E'),
      logLine(prefix('node1'), 'skip rollback start: no resource activated'),
    ];
    const same = r.lines.length === expected.length && r.lines.every((l, i) => l.trimEnd() === expected[i]);
    w.check(same, 'the three lines of the tutorial, and nothing else', `expected:\n${expected.join('\n')}\ngot:\n${r.output}`);
    await checkActionEvents(w, 'node1', mark, { action: 'start', result: 'failed', rids: [], failed: ['ip#0'], noneStarted: true });
    await checkAddress(w, 'node1', false);
    await checkMounts(w, 'node1', false);
    await checkTags(w, ['node2']);
    await checkAddress(w, 'node2', true);
    await checkWebServer(w, 'node2', true);
    return r;
  },
};

export const highAvailability: Step = {
  section: 'High Availability',
  title: 'orchestrate = ha, monitor = True, thaw: failover when the web server dies',
  async run(w) {
    if (!w.state.joined) {
      const missing = w.state.daemon ? 'nodemgr daemon join is' : 'nodemgr daemon start and daemon join are';
      w.skip('orchestrate = ha, app#web monitor = True, svc1 thaw, automatic failover', `needs the daemons of a joined cluster to orchestrate (${missing} not built yet)`);
      return;
    }
    const from = w.state.runningOn ?? 'node2';
    const to = OTHER[from];
    await w.run(from, svc1('set', '--kw', 'orchestrate=ha', '--kw', 'app#web.monitor=True'));
    // the other node must orchestrate the same config: sent from where svc1 runs
    await w.run(from, svc1('sync', 'nodes', '--force'));
    await w.run(from, svc1('thaw'));
    w.note(`the web server dies on ${from}`);
    await w.sh(from, 'pkill --ns $$ --nslist net -f "http\\.server 8080 "', { shown: 'pkill -f "http.server 8080 "' });
    const deadline = Date.now() + 120_000;
    let tree = await printStatus(w, to, true);
    while (tree.instances[to]?.avail !== 'up' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      tree = await printStatus(w, to, true);
    }
    tree = await printStatus(w, to);
    w.check(tree.instances[to]?.avail === 'up', `the daemon relocated svc1 to ${to}`, `${to} is ${tree.instances[to]?.avail ?? 'absent'}`);
    w.state.runningOn = to;
    await checkAddress(w, to, true);
    await fetchPage(w, from);
  },
};

async function checkRunsOn(w: Walk, on: LabNode): Promise<void> {
  const off = OTHER[on];
  await checkAddress(w, on, true);
  await checkMounts(w, on, true);
  await checkWebServer(w, on, true);
  await checkTags(w, [on]);
  await checkAddress(w, off, false);
  await checkMounts(w, off, false);
  await checkWebServer(w, off, false);
}

export const operatorMoves: Step = {
  section: 'Beyond the tutorial',
  title: 'the operator moves svc1: svcmgr switch to the other node, then nodemgr drain there sends it back',
  async run(w) {
    const from = w.state.runningOn;
    if (!w.state.joined || from === undefined) {
      w.skip('svcmgr switch, nodemgr drain', 'needs the orchestrated cluster of the High Availability step with svc1 running');
      return;
    }
    const to = OTHER[from];
    w.note(`a switch is a target for the cluster (OpenSVC's global expect): ${from} stops svc1, then ${to} starts it; --wait until it is reached`);
    await w.run(from, ['svcmgr', '-s', SVC, 'switch', '--node', to, '--wait', '--time', '120']);
    w.state.runningOn = to;
    const tree = await printStatus(w, to);
    w.check(tree.instances[to]?.avail === 'up' && tree.instances[from]?.avail === 'down', `print status: svc1 up on ${to}, down on ${from}`, `${to} ${tree.instances[to]?.avail ?? '?'}, ${from} ${tree.instances[from]?.avail ?? '?'}`);
    await checkRunsOn(w, to);

    w.note(`before maintenance on ${to}: nodemgr drain freezes it and stops what runs there; ${from}'s orchestrator takes svc1 over; --wait until it runs there`);
    const drain = await w.run(to, ['nodemgr', 'drain', '--wait', '--time', '120']);
    w.expectLines(drain, [new RegExp(`svc1 taken over: running on ${from}$`)], `drain --wait says svc1 runs on ${from}`);
    w.state.runningOn = from;
    await checkRunsOn(w, from);
    w.note(`maintenance over: ${to} thawed, so it can take svc1 over again`);
    await w.run(to, ['nodemgr', 'thaw']);
    await fetchPage(w, to);
  },
};

/** The page as a client on the lab's bridge gets it (the host is one: 10.199.0.1), by address: the host's /etc/hosts has no svc1.opensvc.com. */
function hostFetchArgv(addr: string): string[] {
  return [...FETCH_ARGV.slice(0, 3), `http://${addr}:8080/`];
}

export const nodeFailure: Step = {
  section: 'High Availability',
  title: 'node failure: with a disk heartbeat (hb#2), the node running svc1 loses power, the other takes svc1 over',
  async run(w) {
    if (!w.state.joined || w.state.runningOn === undefined) {
      w.skip('hb#2 type = disk, power loss of the node running svc1', 'needs the joined cluster of the High Availability step with svc1 running');
      return;
    }
    const from = w.state.runningOn;
    const to = OTHER[from];
    const { hbDev, vg, svcAddr } = w.info;
    w.note(`a heartbeat on a shared disk (the lab's ${hbDev}) proves a silent node down; the network alone never does`);
    w.note('cluster.conf is each node\'s own: hb#2 is set on both');
    for (const n of NODES) await w.run(n, ['nodemgr', 'set', '--kw', 'hb#2.type=disk', '--kw', `hb#2.dev=${hbDev}`]);
    // each daemon picks hb#2 up within a second, then sees the other's beats on the disk
    const rxUp = /^ hb#2\.rx +running +\S+ +\| (O +\/|\/ +O)$/;
    let mon = await w.run(to, ['svcmon', '--color', 'no'], { quiet: true, exit: 'any' });
    for (let i = 0; i < 60 && !mon.lines.some((l) => rxUp.test(l)); i++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      mon = await w.run(to, ['svcmon', '--color', 'no'], { quiet: true, exit: 'any' });
    }
    mon = await w.run(to, ['svcmon'], { soft: true });
    w.expectLines(mon, [rxUp, /^ hb#2\.tx +running/], `svcmon on ${to}: hb#2 sees ${from} beating on the disk`);

    w.note(`${from} loses power: every process of it killed, its link cut, its addresses and mounts gone; the vg tag stays @${from}, as a real power loss leaves it`);
    await powerLoss(w.info, from);
    w.state.runningOn = undefined;
    const deadline = Date.now() + 120_000;
    let tree = await printStatus(w, to, true);
    while (tree.instances[to]?.avail !== 'up' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      tree = await printStatus(w, to, true);
    }
    tree = await printStatus(w, to);
    if (!w.check(tree.instances[to]?.avail === 'up', `the daemon on ${to} took svc1 over`, `${to} is ${tree.instances[to]?.avail ?? 'absent'}`)) return;
    w.state.runningOn = to;
    await w.run(to, ['svcmon'], { soft: true });
    await checkAddress(w, to, true);
    await checkMounts(w, to, true);
    await checkTags(w, [to]);
    await checkWebServer(w, to, true);
    w.note(`the page, from a client on the lab's network (the host), answered by ${to}`);
    const fetch = hostFetchArgv(svcAddr);
    for (let i = 0; i < 50 && (await cmd(fetch)).exitCode !== 0; i++) await new Promise((resolve) => setTimeout(resolve, 200));
    await w.onHost(fetch);
    const neigh = await cmd(['ip', 'neigh', 'show', svcAddr]);
    const mac = (await w.run(to, ['cat', '/sys/class/net/eth0/address'], { quiet: true })).output.trim();
    w.check(neigh.stdout.includes(mac), `${svcAddr} is at ${to}'s eth0 (${mac}) for the client`, `ip neigh: ${neigh.stdout.trim()}`);
    w.note(`${from} stays off: its vg tag was taken over (${vg} @${to})`);
  },
};

/** Debian's chromium (npm run setup installs it): browsers are not downloaded here. */
const CHROMIUM = '/usr/bin/chromium';

/** Where the web step saves its picture of the cluster, under the walk's work dir (npm run demo copies it to demo-web.png). */
export const WEB_SHOT = 'demo-web.png';

export const webView: Step = {
  section: 'Beyond the tutorial',
  title: 'the web view after the node failure: the cluster as svcmon shows it, in a real browser',
  async run(w) {
    const on = w.state.runningOn;
    if (on === undefined) {
      w.skip('the web view', 'needs svc1 running after the node failure step');
      return;
    }
    await w.run(on, ['nodemgr', 'set', '--kw', 'web.enable=true']);
    const url = `http://${w.info.nodes[on].addr}:1214/web/`;
    w.note(`a browser on the lab's network (the host) opens ${url}: read-only, live from ${on}'s log`);
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: process.getuid?.() === 0 ? ['--no-sandbox'] : [] });
    try {
      const page = await browser.newPage({ viewport: { width: 1100, height: 760 } });
      await page.goto(url);
      const cell = `#services td.cell[data-svc=${SVC}][data-node=${on}][data-avail=up]`;
      const shown = await page.waitForSelector(cell, { timeout: 15_000 }).then(
        () => true,
        () => false,
      );
      w.check(shown, `the page shows ${SVC} up on ${on}, as svcmon does`, `no ${cell} on the page within 15 s`);
      const text = (await page.textContent('body')) ?? '';
      const other = OTHER[on];
      w.check(text.includes(other), `the page names ${other}, the node that lost power`);
      const file = path.join(w.workDir, WEB_SHOT);
      await page.screenshot({ path: file, fullPage: true });
      w.note(`screenshot: ${WEB_SHOT}`);
    } finally {
      await browser.close();
    }
  },
};

export const stopAtEnd: Step = {
  section: 'End of the walk',
  title: 'stop svc1 where it runs: nothing of it is left on either node',
  async run(w) {
    const where = w.state.runningOn;
    if (where !== undefined) await w.run(where, w.state.joined ? ['svcmgr', '-s', SVC, 'stop', '--wait'] : svc1('stop', '--local'));
    w.state.runningOn = undefined;
    for (const n of NODES) {
      await checkAddress(w, n, false);
      await checkMounts(w, n, false);
      await checkWebServer(w, n, false);
    }
    await checkTags(w, []);
  },
};

/** The whole walk, in the tutorial's order. */
export const TUTORIAL: readonly Step<unknown>[] = [
  startAgents,
  clusterBuild,
  createService,
  editConfig,
  queryStatus,
  startService,
  launcherDir,
  appBinary,
  appResource,
  startApp,
  stopService,
  restartService,
  joinCluster,
  syncNodes,
  relocate,
  conflict,
  highAvailability,
  operatorMoves,
  nodeFailure,
  webView,
  stopAtEnd,
];
