import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, test } from '@jest/globals';
import { useTestScope } from '../../support/jest.js';
import { trackPid } from '../../support/process.js';
import { waitFor } from '../../support/wait.js';
import { daemonNode, ensureBuilt, eventsOf, sleepAppLauncher, waitForEvents } from './support.js';

describe('orchestrator in the daemon (orchestrate = ha, one node)', () => {
  const scope = useTestScope();
  beforeAll(() => ensureBuilt(), 240_000);

  test('a frozen service is left alone; thawed, the daemon starts it; a monitored app killed makes it stop the instance to relocate', async () => {
    const n = await daemonNode(scope());
    const appPid = path.join(n.root, 'app.pid');
    n.writeAppService(
      'svc1',
      sleepAppLauncher(appPid),
      { monitor: true, defaults: { orchestrate: 'ha', monitor_schedule: '1s' } },
    );
    await n.start();
    await new Promise((r) => setTimeout(r, 3000));
    expect(eventsOf(await n.events(), 'ActionStarted', 'svc1')).toHaveLength(0);
    expect(fs.existsSync(appPid)).toBe(false);

    expect((await n.svcmgr(['-s', 'svc1', 'thaw'])).exitCode).toBe(0);
    const started = await waitForEvents(n, 'the orchestrated start', (a) => eventsOf(a, 'ActionFinished', 'svc1').length > 0, 20_000);
    const start = eventsOf(started, 'ActionStarted', 'svc1')[0]!;
    expect(start.data).toMatchObject({ action: 'start', user: 'orchestrator', reason: 'not running on any live node: node1 is first of node1' });
    expect(eventsOf(started, 'ActionFinished', 'svc1')[0]!.data).toMatchObject({ result: 'ok' });
    await waitFor('the app pid file', () => fs.existsSync(appPid), 5000);
    const pid = Number(fs.readFileSync(appPid, 'utf8'));
    trackPid(scope(), pid);

    process.kill(pid, 'SIGKILL');
    const all = await waitForEvents(n, 'the relocation stop', (a) => eventsOf(a, 'ActionStarted', 'svc1').some((e) => e.type === 'ActionStarted' && e.data.relocation === true), 20_000);
    const stop = eventsOf(all, 'ActionStarted', 'svc1').find((e) => e.type === 'ActionStarted' && e.data.relocation === true)!;
    expect(stop.data).toMatchObject({ action: 'stop', user: 'orchestrator', reason: 'monitored resource app#main down: stopping to relocate' });
    // no other node: the service stays down, it is not started again here
    await new Promise((r) => setTimeout(r, 4000));
    const later = eventsOf(await n.events(), 'ActionStarted', 'svc1');
    expect(later.map((e) => (e.type === 'ActionStarted' ? e.data.action : ''))).toEqual(['start', 'stop']);
    await n.stop();
  });
});
