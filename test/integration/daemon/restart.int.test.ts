import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, test } from '@jest/globals';
import { useTestScope } from '../../support/jest.js';
import { trackPid } from '../../support/process.js';
import { waitFor } from '../../support/wait.js';
import { daemonNode, ensureBuilt, eventsOf, sleepAppLauncher, sleepAppRunning, waitForEvents } from './support.js';

describe('restart in place (the resource\'s restart keyword), then relocation', () => {
  const scope = useTestScope();
  beforeAll(() => ensureBuilt(), 240_000);

  test('app#main restart = 1, monitored: killed once, restarted in place; killed again, the monitored rule starts it again (no other node)', async () => {
    const n = await daemonNode(scope());
    const appPid = path.join(n.root, 'app.pid');
    n.writeAppService('svc1', sleepAppLauncher(appPid), { monitor: true, defaults: { orchestrate: 'ha', monitor_schedule: '1s' } });
    fs.appendFileSync(path.join(n.paths.etc, 'svc1.conf'), 'restart = 1\n');
    await n.start();
    expect((await n.svcmgr(['-s', 'svc1', 'thaw'])).exitCode).toBe(0);
    await waitForEvents(n, 'the orchestrated start', (a) => eventsOf(a, 'ActionFinished', 'svc1').length > 0, 20_000);
    await waitFor('the app running', () => sleepAppRunning(appPid), 5000);
    const pid1 = Number(fs.readFileSync(appPid, 'utf8'));
    trackPid(scope(), pid1);

    process.kill(pid1, 'SIGKILL');
    const killedAt = Date.now();
    const after1 = await waitForEvents(n, 'the restart in place', (a) => eventsOf(a, 'ActionFinished', 'svc1').length >= 2, 20_000);
    const restart = eventsOf(after1, 'ActionStarted', 'svc1')[1]!;
    expect(restart.data).toMatchObject({ action: 'start', rids: ['app#main'], restart: true, user: 'orchestrator', reason: 'app#main down: restart 1 of 1 in place' });
    expect(eventsOf(after1, 'ActionFinished', 'svc1')[1]!.data).toMatchObject({ result: 'ok' });
    await waitFor('the app running again', () => sleepAppRunning(appPid) && Number(fs.readFileSync(appPid, 'utf8')) !== pid1, 5000);
    process.stdout.write(`restart in place: app killed -> running again in ${Date.now() - killedAt} ms (monitor_schedule 1s)\n`);
    const pid2 = Number(fs.readFileSync(appPid, 'utf8'));
    trackPid(scope(), pid2);

    // the one restart used: the next failure is the monitored rule's (no other node here: the whole instance started again)
    process.kill(pid2, 'SIGKILL');
    const after2 = await waitForEvents(n, 'the start after the restarts', (a) => eventsOf(a, 'ActionStarted', 'svc1').length >= 3, 20_000);
    const third = eventsOf(after2, 'ActionStarted', 'svc1')[2]!;
    expect(third.data).toMatchObject({ action: 'start', reason: 'monitored resource app#main down, no live node to relocate to: starting again here' });
    expect(third.data).not.toHaveProperty('restart');
    await n.stop();
  }, 120_000);
});
