import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, test } from '@jest/globals';
import { useTestScope } from '../../support/jest.js';
import { attachLoop, createImageFile } from '../../support/loop.js';
import { createVg } from '../../support/lvm.js';
import { trackPid } from '../../support/process.js';
import { createTempDir } from '../../support/tmp.js';
import { waitFor } from '../../support/wait.js';
import { REPO, daemonNode, ensureBuilt, eventsOf, sleepAppLauncher, waitForEvents } from './support.js';

/** A line of svcmgr logs without its time: what the action printed. */
const untimed = (l: string) => l.replace(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ {2}/, '');

describe("the service's operator commands: logs, print schedule, print devs, enable, disable", () => {
  const scope = useTestScope();
  beforeAll(() => ensureBuilt(), 240_000);

  test('logs shows what the actions printed, and follows; print schedule the daemon\'s jobs; print devs the vg\'s and fs\'s devices; disable and enable, of the service or of a resource', async () => {
    const n = await daemonNode(scope());
    const appPid = path.join(n.root, 'app.pid');
    n.writeAppService('svc1', sleepAppLauncher(appPid), { defaults: { status_schedule: '2s' } });
    // svc2: a vg on a loop device (no LV: no device-mapper here) and a fs on another, never started
    const dir = await createTempDir(scope());
    const pv = await attachLoop(scope(), await createImageFile(dir, 16, 'pv.img'));
    const vg = await createVg(scope(), [pv]);
    const fsDev = await attachLoop(scope(), await createImageFile(dir, 8, 'fs.img'));
    fs.writeFileSync(path.join(n.paths.etc, 'svc2.conf'), ['[DEFAULT]', `id = ${crypto.randomUUID()}`, 'nodes = node1', '', '[disk#0]', 'type = vg', `name = ${vg}`, '', '[fs#data]', 'type = ext4', `dev = ${fsDev}`, `mnt = ${path.join(n.root, 'data')}`, ''].join('\n'));
    await n.start();

    // logs: every line the start printed, framed by who started it and how it ended
    const start = await n.svcmgr(['-s', 'svc1', 'start', '--local']);
    expect(start.exitCode).toBe(0);
    trackPid(scope(), Number(fs.readFileSync(appPid, 'utf8')));
    const logs = await n.svcmgr(['-s', 'svc1', 'logs']);
    expect(logs).toMatchObject({ exitCode: 0, stderr: '' });
    const lines = logs.stdout.split('\n');
    expect(lines.every((l) => /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ {2}node1\.svc1/.test(l))).toBe(true);
    expect(lines.map(untimed)).toEqual(['node1.svc1             start by root', ...start.stdout.split('\n'), expect.stringMatching(/^node1\.svc1 {13}start done in \d+\.\d{3}s$/)]);
    expect((await n.svcmgr(['-s', 'svc1', 'logs', '--node', 'node2'])).stdout).toBe('');
    const json = (await n.svcmgr(['-s', 'svc1', 'logs', '--format', 'json'])).stdout.split('\n').map((l) => (JSON.parse(l) as { type: string }).type);
    expect(json[0]).toBe('ActionStarted');
    expect(json.at(-1)).toBe('ActionFinished');

    // --follow: what was there, then the stop's lines as they are stored
    const follower = spawn(process.execPath, [path.join(REPO, 'bin', 'svcmgr'), '-s', 'svc1', 'logs', '--follow'], { env: { ...process.env, ...n.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    trackPid(scope(), follower.pid!);
    let followed = '';
    follower.stdout.on('data', (c: Buffer) => (followed += c.toString('utf8')));
    await waitFor('the follower to print the log so far', () => followed.split('\n').filter(Boolean).length === lines.length, 15_000);
    const stop = await n.svcmgr(['-s', 'svc1', 'stop', '--local']);
    expect(stop.exitCode).toBe(0);
    await waitFor('the stop lines followed', () => /stop done in/.test(followed), 15_000);
    const exited = new Promise<number | null>((r) => follower.once('exit', (code) => r(code)));
    follower.kill('SIGTERM');
    expect(await exited).toBe(0);
    const tail = followed.split('\n').filter(Boolean).slice(lines.length).map(untimed);
    expect(tail).toEqual(['node1.svc1             stop by root', ...stop.stdout.split('\n'), expect.stringMatching(/stop done in/)]);

    // print schedule: the daemon's jobs, every run counted
    // a run during the stop above is `skipped: action in progress`: wait for one after it
    await waitFor('svc1 status checked twice, the last one ok', async () => {
      const j = (await n.status()).jobs.find((x) => x.svc === 'svc1' && x.job === 'status');
      return (j?.runs ?? 0) >= 2 && j?.lastResult === 'ok';
    }, 15_000);
    const schedule = await n.svcmgr(['-s', 'svc1', 'print', 'schedule']);
    expect(schedule.exitCode).toBe(0);
    const rows = schedule.stdout.split('\n');
    expect(rows[0]).toMatch(/^Action +Last Run +Config Parameter +Schedule +Runs +Last Result$/);
    expect(rows.find((r) => r.startsWith('status'))).toMatch(/^status +\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ +DEFAULT\.status_schedule +2s +\d+ +ok$/);
    const all = await n.nodemgr(['print', 'schedule']);
    expect(all.stdout.split('\n').filter((r) => /^svc[12] status /.test(r))).toHaveLength(2);

    // print devs: the vg built on its PV, the fs on its device; ip and app have none
    const devs = await n.svcmgr(['-s', 'svc2', 'print', 'devs']);
    expect(devs).toMatchObject({ exitCode: 0, stderr: '' });
    expect(devs.stdout.split('\n')).toEqual([`disk#0   vg ${vg}`, `  \`- sub     ${pv}`, `fs#data  ext4 ${fsDev}@${path.join(n.root, 'data')}`, `  \`- sub     ${fsDev}`]);
    expect(JSON.parse((await n.svcmgr(['-s', 'svc2', 'print', 'devs', '--format', 'json'])).stdout)).toEqual([
      { rid: 'disk#0', label: `vg ${vg}`, exposed: [], sub: [pv] },
      { rid: 'fs#data', label: `ext4 ${fsDev}@${path.join(n.root, 'data')}`, exposed: [], sub: [fsDev] },
    ]);

    // disable: the whole service, then no target is taken for it; enable: it is again
    expect(await n.svcmgr(['-s', 'svc1', 'disable'])).toMatchObject({ exitCode: 0, stdout: '', stderr: '' });
    expect(fs.readFileSync(path.join(n.paths.etc, 'svc1.conf'), 'utf8')).toMatch(/^disable = true$/m);
    const changed = await waitForEvents(n, 'the change recorded', (a) => eventsOf(a, 'ServiceConfigChanged', 'svc1').length === 1);
    expect(eventsOf(changed, 'ServiceConfigChanged', 'svc1')[0]!.data).toMatchObject({ changed: ['DEFAULT.disable'] });
    expect(await n.svcmgr(['-s', 'svc1', 'start'])).toMatchObject({ exitCode: 1, stderr: 'start: svc1 is disabled (svcmgr -s svc1 enable)' });
    const status = await n.svcmgr(['-s', 'svc1', 'print', 'status', '--color', 'no']);
    expect(status.stdout.split('\n').find((l) => l.includes('app#main'))).toMatch(/ app#main +\.D\.\.\/\. n\/a +launcher$/);
    expect(await n.svcmgr(['-s', 'svc1', 'enable'])).toMatchObject({ exitCode: 0 });
    expect(fs.readFileSync(path.join(n.paths.etc, 'svc1.conf'), 'utf8')).not.toMatch(/disable/);

    // of a resource: its own keyword; a resource the service does not have is named
    expect(await n.svcmgr(['-s', 'svc1', 'disable', '--rid', 'nosuch'])).toMatchObject({ exitCode: 2, stderr: 'disable: svc1 has no resource nosuch (app#main, sync#i0)' });
    expect(await n.svcmgr(['-s', 'svc1', 'disable', '--rid', 'app#main'])).toMatchObject({ exitCode: 0 });
    expect(fs.readFileSync(path.join(n.paths.etc, 'svc1.conf'), 'utf8')).toMatch(/\[app#main\][^[]*^disable = true$/m);
    expect((await n.svcmgr(['-s', 'svc1', 'disable', '--help'])).stdout).toMatch(/^svcmgr disable: disable the service/);
    await n.stop();
  }, 180_000);
});
