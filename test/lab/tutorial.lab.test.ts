import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { lstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { labDown, labUp, runIn, type LabInfo } from './lab.js';
import { FETCH_ARGV, PAGE, addressesOn, lastSeq, serviceMountsIn, vgTags, webServerRunning } from './probes.js';
import {
  appBinary,
  appResource,
  clusterBuild,
  conflict,
  createService,
  editConfig,
  highAvailability,
  joinCluster,
  launcherDir,
  nodeEvents,
  nodeFailure,
  operatorMoves,
  queryStatus,
  relocate,
  restartService,
  startAgents,
  startApp,
  startService,
  stopAtEnd,
  stopService,
  syncNodes,
} from './tutorial.js';
import { Walk, type Step, type StepOutcome } from './walk.js';

/**
 * seed-getting-started.rst on the lab, through the same steps as `npm run demo`
 * (tutorial.ts). Each test runs steps whose own checks must all pass, then
 * asserts again, with jest's diffs, on what the user sees and on the system.
 */

const asRoot = process.getuid?.() === 0;

(asRoot ? describe : describe.skip)('the tutorial on the two-node lab', () => {
  let info: LabInfo;
  let w: Walk;
  let workDir: string;
  const transcript: string[] = [];
  let broken: string | undefined;

  beforeAll(async () => {
    info = await labUp();
    workDir = mkdtempSync(path.join(os.tmpdir(), 'hasvc-tutorial-'));
    w = new Walk({ info, out: (l) => transcript.push(l), workDir });
  }, 120_000);

  afterAll(async () => {
    rmSync(workDir, { recursive: true, force: true });
    await labDown();
  }, 120_000);

  /** Run a step of the walk: it must not stop the walk, and every check it makes must pass. */
  async function step<T>(s: Step<T>): Promise<T> {
    if (broken !== undefined) throw new Error(`not run: an earlier step stopped the walk (${broken})`);
    const from = transcript.length;
    const shown = (): string => `\n--- what the step showed:\n${transcript.slice(from).join('\n')}`;
    let o: StepOutcome<T>;
    try {
      o = await w.step(s);
    } catch (err) {
      broken = s.title;
      throw new Error(`${s.title}: ${err instanceof Error ? err.message : String(err)}${shown()}`, { cause: err });
    }
    if (o.failures.length > 0) throw new Error(`${s.title}:\n${o.failures.join('\n')}${shown()}`);
    return o.value;
  }

  /** Types of the events node recorded after its event number `after` (its spool, or its stream once its daemon runs). */
  const eventTypes = async (node: 'node1' | 'node2', after = 0): Promise<string[]> =>
    (await nodeEvents(w, node)).filter((e) => e.origin === node && e.seq > after).map((e) => e.type);

  test('OpenSVC Installation and Cluster Build: a unicast heartbeat in cluster.conf', async () => {
    await step(startAgents);
    await step(clusterBuild);
    const conf = readFileSync(path.join(info.nodes.node1.etc, 'cluster.conf'), 'utf8');
    expect(conf).toMatch(/^\[hb#1\]$/m);
    expect(conf).toMatch(/^type = unicast$/m);
  });

  test('svcmgr -s svc1 create: svc1.conf, svc1.dir, svc1.d -> svc1.dir, svc1 -> svcmgr', async () => {
    await step(createService);
    const etc = info.nodes.node1.etc;
    expect(lstatSync(path.join(etc, 'svc1.conf')).isFile()).toBe(true);
    expect(lstatSync(path.join(etc, 'svc1.dir')).isDirectory()).toBe(true);
    expect(readlinkSync(path.join(etc, 'svc1.d'))).toBe('svc1.dir');
    expect(readlinkSync(path.join(etc, 'svc1'))).toBe(path.join(info.repoBin, 'svcmgr'));
  });

  test('svcmgr -s svc1 edit config writes the tutorial config, through the editor and validation', async () => {
    const conf = await step(editConfig);
    const live = readFileSync(path.join(info.nodes.node1.etc, 'svc1.conf'), 'utf8');
    for (const line of conf.split('\n').filter(Boolean)) expect(live.split('\n')).toContain(line);
    expect(live).toMatch(/^id = \S+$/m);
  });

  test('svc1 print status: everything down, frozen, idle', async () => {
    const tree = await step(queryStatus);
    expect(tree.svc).toBe('svc1');
    expect(tree.avail).toBe('down');
    const node1 = tree.instances.node1;
    expect(node1?.resources['ip#0']?.status).toBe('down');
    expect(node1?.resources['fs#app']?.status).toBe('down');
    expect(node1?.resources['fs#data']?.status).toBe('down');
    expect(node1?.notes).toEqual(expect.arrayContaining(['frozen', 'idle']));
    // node2 has not joined node1's cluster yet
    expect(tree.instances.node2).toMatchObject({ avail: 'undef', notes: ['daemon down'] });
  });

  test('svc1 start --local: address on eth0, vg tagged, both filesystems mounted, events recorded', async () => {
    const tree = await step(startService);
    expect(tree.avail).toBe('up');
    expect(tree.instances.node1?.notes).toEqual(expect.arrayContaining(['started']));
    expect(await addressesOn('node1', 'eth0')).toContain(`${info.svcAddr}/24`);
    expect((await serviceMountsIn(info, 'node1')).map((m) => `${m.source} ${m.target} ${m.fstype}`).sort()).toEqual(
      [`${info.appDev} ${info.appMnt} ext4`, `${info.dataDev} ${info.dataMnt} ext4`].sort(),
    );
    expect(await vgTags(info.vg)).toEqual(['node1']);
    expect(await eventTypes('node1')).toEqual(expect.arrayContaining(['ActionStarted', 'ResourceStarted', 'ActionFinished']));
  });

  test('Application Integration: launchers in /svc1/app/init.d, app#web started, the page served to node2', async () => {
    await step(launcherDir);
    expect(readlinkSync(path.join(info.nodes.node1.etc, 'svc1.d'))).toBe('/svc1/app/init.d');
    await step(appBinary);
    await step(appResource);
    const tree = await step(startApp);
    expect(tree.instances.node1?.resources['app#web']).toMatchObject({ status: 'up', label: 'weblauncher' });
    expect(await webServerRunning('node1')).toBe(true);
    const page = await runIn('node2', FETCH_ARGV);
    expect(page.stdout).toBe(PAGE);
  });

  test('svc1 stop --local: app stopped, filesystems unmounted, vg untagged, address gone', async () => {
    const tree = await step(stopService);
    expect(tree.avail).toBe('down');
    expect(await addressesOn('node1', 'eth0')).not.toContain(`${info.svcAddr}/24`);
    expect(await serviceMountsIn(info, 'node1')).toEqual([]);
    expect(await vgTags(info.vg)).toEqual([]);
    expect(await webServerRunning('node1')).toBe(false);
    expect(await eventTypes('node1')).toEqual(expect.arrayContaining(['ResourceStopped']));
  });

  test('Service Failover: restart on node1, config to node2, relocation to node2', async () => {
    await step(restartService);
    await step(joinCluster);
    await step(syncNodes);
    await step(relocate);
    expect(await addressesOn('node2', 'eth0')).toContain(`${info.svcAddr}/24`);
    expect(await addressesOn('node1', 'eth0')).not.toContain(`${info.svcAddr}/24`);
    expect((await serviceMountsIn(info, 'node2')).map((m) => m.target).sort()).toEqual([info.appMnt, info.dataMnt].sort());
    expect(await vgTags(info.vg)).toEqual(['node2']);
  });

  test('start on node1 while svc1 runs on node2 aborts on the ip conflict, and changes nothing', async () => {
    const before = lastSeq((await nodeEvents(w, 'node1')).filter((e) => e.origin === 'node1'));
    const r = await step(conflict);
    expect(r.exitCode).not.toBe(0);
    expect(r.lines.map((l) => l.trimEnd())).toEqual([
      `node1.svc1.ip#0        checking ${info.svcAddr} availability`,
      'node1.svc1           E start aborted due to resource ip#0 conflict',
      'node1.svc1             skip rollback start: no resource activated',
    ]);
    expect(await serviceMountsIn(info, 'node1')).toEqual([]);
    expect(await addressesOn('node1', 'eth0')).not.toContain(`${info.svcAddr}/24`);
    expect(await vgTags(info.vg)).toEqual(['node2']);
    const types = await eventTypes('node1', before);
    expect(types).toEqual(expect.arrayContaining(['ActionStarted', 'ResourceStartFailed', 'ActionFinished']));
    expect(types).not.toContain('ResourceStarted');
    expect(types).not.toContain('RollbackStarted');
  });

  test('High Availability: orchestrate = ha, monitor = True, thaw; the web server killed, the daemons move svc1', async () => {
    await step(highAvailability);
  }, 240_000);

  test('the operator moves svc1: switch to the other node, then drain there sends it back', async () => {
    const from = w.state.runningOn;
    await step(operatorMoves);
    expect(w.state.runningOn).toBe(from);
    expect(await addressesOn(from!, 'eth0')).toContain(`${info.svcAddr}/24`);
    expect(await vgTags(info.vg)).toEqual([from]);
    expect(await webServerRunning(from!)).toBe(true);
  }, 300_000);

  test('node failure: with hb#2 on the shared disk, the node running svc1 loses power and the other takes it over', async () => {
    await step(nodeFailure);
    const on = w.state.runningOn;
    expect(on).toBeDefined();
    const off = on === 'node1' ? 'node2' : 'node1';
    expect(await addressesOn(on!, 'eth0')).toContain(`${info.svcAddr}/24`);
    expect(await addressesOn(off, 'eth0')).toEqual([]);
    expect(await vgTags(info.vg)).toEqual([on]);
    expect(await webServerRunning(on!)).toBe(true);
  }, 240_000);

  test('the end: stop svc1 where it runs, nothing of it left', async () => {
    await step(stopAtEnd);
    for (const n of ['node1', 'node2'] as const) {
      expect(await serviceMountsIn(info, n)).toEqual([]);
      expect(await addressesOn(n, 'eth0')).not.toContain(`${info.svcAddr}/24`);
    }
    expect(await vgTags(info.vg)).toEqual([]);
  }, 240_000);
});
