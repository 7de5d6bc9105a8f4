import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, test } from '@jest/globals';
import type { LogLevel } from '../../../adapters/resources/driver.js';
import type { AnyEvent } from '../../../domain/events.js';
import { actionLine } from '../../../src/action/output.js';
import { useTestScope } from '../../support/jest.js';
import { createImageFile, mkfsExt4 } from '../../support/loop.js';
import { trackMount } from '../../support/mount.js';
import { isMountPoint, pidAlive, processStartTime } from '../../support/proc.js';
import { trackPid } from '../../support/process.js';
import type { TestScope } from '../../support/scope.js';
import { waitFor } from '../../support/wait.js';
import { daemonNode, ensureBuilt, pgidOf, REPO, type DaemonNode } from '../daemon/support.js';

/**
 * A start killed in the middle of a driver: every step the drivers took
 * before the kill is in the log already (each line an event as it is
 * logged, not a batch appended when the driver returns), once each, and it
 * is exactly what the terminal showed.
 */

interface Rig {
  readonly img: string;
  readonly mnt: string;
  readonly launcherPid: string;
}

/** svc1: fs#data (an ext4 image: fsck, mount) then app#main, whose start blocks until killed. */
async function rig(s: TestScope, n: DaemonNode): Promise<Rig> {
  const img = await createImageFile(n.root, 16, 'data.img');
  await mkfsExt4(img);
  const mnt = path.join(n.root, 'data');
  trackMount(s, mnt);
  const launcherPid = path.join(n.root, 'launcher.pid');
  const dir = path.join(n.paths.etc, 'svc1.dir');
  fs.mkdirSync(dir, { recursive: true });
  fs.symlinkSync('svc1.dir', path.join(n.paths.etc, 'svc1.d'));
  fs.writeFileSync(path.join(dir, 'launcher'), `#!/bin/bash\ncase $1 in\nstart) echo $$ > '${launcherPid}'; sleep 60 ;;\nstatus) exit 1 ;;\nesac\nexit 0\n`, { mode: 0o755 });
  fs.writeFileSync(
    path.join(n.paths.etc, 'svc1.conf'),
    ['[DEFAULT]', `id = ${crypto.randomUUID()}`, `nodes = ${n.node}`, '', '[fs#data]', 'type = ext4', `dev = ${img}`, `mnt = ${mnt}`, '', '[app#main]', 'script = launcher', 'start = 10', ''].join('\n'),
  );
  return { img, mnt, launcherPid };
}

/** svcmgr as a process of its own (own group, tracked), its output in a file as a terminal would show it. */
async function svcmgr(s: TestScope, n: DaemonNode, args: readonly string[], out: string): Promise<{ pid: number; exited: Promise<void> }> {
  const fd = fs.openSync(out, 'w');
  const child = spawn(process.execPath, [path.join(REPO, 'bin', 'svcmgr'), ...args], { env: n.env, detached: true, stdio: ['ignore', fd, fd], cwd: n.root });
  fs.closeSync(fd);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const pid = await new Promise<number>((resolve, reject) => {
    child.once('spawn', () => resolve(child.pid ?? -1));
    child.once('error', reject);
  });
  await waitFor(`pid ${pid} in /proc`, () => processStartTime(pid) !== undefined, 2000);
  trackPid(s, pid, true);
  return { pid, exited };
}

/** Wait for the launcher to block in its start; returns its process group (coreutils timeout gives it one), tracked. */
async function launcherGroup(s: TestScope, r: Rig): Promise<number> {
  await waitFor('the launcher blocking in start', () => fs.existsSync(r.launcherPid) && fs.readFileSync(r.launcherPid, 'utf8').trim() !== '', 30_000);
  const group = pgidOf(Number(fs.readFileSync(r.launcherPid, 'utf8')))!;
  trackPid(s, group, true);
  return group;
}

function kill9(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* gone */
  }
}

/** What the log holds of the one start of svc1: its ActionStarted and what it caused, in log order. */
function theStart(all: readonly AnyEvent[]): { started: AnyEvent; caused: AnyEvent[] } {
  const starts = all.filter((e) => e.type === 'ActionStarted' && e.svc === 'svc1');
  expect(starts).toHaveLength(1);
  const started = starts[0]!;
  return { started, caused: all.filter((e) => e.causation === started.id) };
}

/** The checks both kills share: the steps before the kill, in order, once each, as the terminal showed them. */
function expectStepsBeforeTheKill(n: DaemonNode, r: Rig, all: readonly AnyEvent[], printed: readonly string[]): void {
  const ids = all.map((e) => e.id);
  expect(new Set(ids).size).toBe(ids.length);
  const { caused } = theStart(all);
  const shape = caused.filter((e) => e.type !== 'ResourceLogged').map((e) => `${e.type} ${e.rid ?? ''}`.trim());
  expect(shape).toEqual(['ResourceStartRequested fs#data', 'ResourceStarted fs#data', 'ResourceStartRequested app#main']);
  const logged = caused.filter((e): e is AnyEvent & { type: 'ResourceLogged' } => e.type === 'ResourceLogged');
  const lines = logged.map((e) => actionLine(`${n.node}.svc1.${e.rid}`, e.data.level as LogLevel, e.data.message));
  // the fs's fsck and mount, then the app's exec line: logged before its launcher ran, stored before the kill
  expect(lines).toContain(`${n.node}.svc1.fs#data     e2fsck -p ${r.img}`);
  expect(lines).toContain(`${n.node}.svc1.fs#data     mount -t ext4 -o loop ${r.img} ${r.mnt}`);
  expect(lines[lines.length - 1]).toMatch(new RegExp(`^${n.node}\\.svc1\\.app#main +exec \\S+/svc1\\.dir/launcher start as user \\S+$`));
  // in the log between their request and their result, and exactly what the terminal showed
  const seqOf = (type: string, rid: string) => caused.find((e) => e.type === type && e.rid === rid)!.seq;
  expect(logged.filter((e) => e.rid === 'fs#data').every((e) => e.seq > seqOf('ResourceStartRequested', 'fs#data') && e.seq < seqOf('ResourceStarted', 'fs#data'))).toBe(true);
  expect(logged.filter((e) => e.rid === 'app#main').every((e) => e.seq > seqOf('ResourceStartRequested', 'app#main'))).toBe(true);
  expect(lines).toEqual(printed.filter((l) => l.startsWith(`${n.node}.svc1.`)));
}

const printedLines = (file: string) => fs.readFileSync(file, 'utf8').split('\n').filter((l, i, a) => i < a.length - 1 || l !== '');

describe('a start killed mid-driver: the steps done before the kill are in the log', () => {
  const scope = useTestScope();
  beforeAll(() => ensureBuilt(), 240_000);

  test('svcmgr start --local killed with SIGKILL while the app launcher runs', async () => {
    const s = scope();
    const n = await daemonNode(s);
    await n.start();
    const r = await rig(s, n);
    const out = path.join(n.root, 'start.out');
    const cli = await svcmgr(s, n, ['-s', 'svc1', 'start', '--local'], out);
    const group = await launcherGroup(s, r);
    kill9(cli.pid);
    process.kill(-group, 'SIGKILL');
    await cli.exited;
    await waitFor('the action process gone', () => !pidAlive(cli.pid), 5000);
    expect(await isMountPoint(r.mnt)).toBe(true);

    const all = (await n.events()).map((e) => e.event);
    expectStepsBeforeTheKill(n, r, all, printedLines(out));
    expect(all.filter((e) => e.type === 'ActionFinished' && e.svc === 'svc1')).toHaveLength(0);
    await n.stop();
  });

  test('the daemon running the start (svcmgr start --rid) killed with SIGKILL while the app launcher runs', async () => {
    const s = scope();
    const n = await daemonNode(s);
    const daemon = await n.start();
    const r = await rig(s, n);
    const out = path.join(n.root, 'start.out');
    const cli = await svcmgr(s, n, ['-s', 'svc1', 'start', '--rid', 'fs#data,app#main'], out);
    const group = await launcherGroup(s, r);
    // the daemon alone: its nats-server (the node's log) lives on, orphaned, as after an agent crash
    kill9(daemon);
    process.kill(-group, 'SIGKILL');
    await cli.exited;
    await waitFor('the daemon gone', () => !pidAlive(daemon), 5000);

    const all = (await n.events()).map((e) => e.event);
    expectStepsBeforeTheKill(n, r, all, printedLines(out));
    expect(all.filter((e) => e.type === 'ActionFinished' && e.svc === 'svc1')).toHaveLength(0);
  });
});
