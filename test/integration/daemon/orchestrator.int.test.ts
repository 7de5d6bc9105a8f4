import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, test } from '@jest/globals';
import { useTestScope } from '../../support/jest.js';
import { trackPid } from '../../support/process.js';
import { waitFor } from '../../support/wait.js';
import { run } from '../../support/sh.js';
import { REPO, agentLog, daemonNode, ensureBuilt, eventsOf, sleepAppLauncher, sleepAppRunning, waitForEvents } from './support.js';

describe('orchestrator in the daemon (orchestrate = ha, one node)', () => {
  const scope = useTestScope();
  beforeAll(() => ensureBuilt(), 240_000);

  test('a frozen service is left alone; thawed, the daemon starts it; a monitored app killed with no other node: started again here; clear', async () => {
    const n = await daemonNode(scope());
    const appPid = path.join(n.root, 'app.pid');
    n.writeAppService(
      'svc1',
      sleepAppLauncher(appPid),
      { monitor: true, defaults: { orchestrate: 'ha', monitor_schedule: '1s' } },
    );
    await n.start();
    // frozen (new): once the daemon has applied svc1's first status check, and its orchestrator has said why it does not act, nothing was started
    const checked = await waitForEvents(n, "svc1's first status check", (a) => eventsOf(a, 'SchedulerJobRan', 'svc1').length > 0);
    const checkSeq = checked.find((s) => s.event.type === 'SchedulerJobRan' && s.event.svc === 'svc1')!.streamSeq;
    await waitFor('the daemon to apply it', async () => (await n.status()).lastSeq >= checkSeq, 10_000);
    await waitFor('the orchestrator to leave svc1 alone', () => agentLog(n).some((l) => l.msg === 'orchestrator: not acting' && l.svc === 'svc1' && String(l.reason).includes('frozen')), 10_000);
    expect(eventsOf(await n.events(), 'ActionStarted', 'svc1')).toHaveLength(0);
    expect(fs.existsSync(appPid)).toBe(false);

    expect((await n.svcmgr(['-s', 'svc1', 'thaw'])).exitCode).toBe(0);
    const started = await waitForEvents(n, 'the orchestrated start', (a) => eventsOf(a, 'ActionFinished', 'svc1').length > 0, 20_000);
    const start = eventsOf(started, 'ActionStarted', 'svc1')[0]!;
    // what the log holds: the first start comes after the thaw, never before it
    expect(start.seq).toBeGreaterThan(eventsOf(started, 'InstanceThawed', 'svc1')[0]!.seq);
    expect(start.data).toMatchObject({ action: 'start', user: 'orchestrator', reason: 'not running on any live node: node1 is first of node1' });
    expect(eventsOf(started, 'ActionFinished', 'svc1')[0]!.data).toMatchObject({ result: 'ok' });
    await waitFor('the app pid file', () => fs.existsSync(appPid), 5000);
    const pid = Number(fs.readFileSync(appPid, 'utf8'));
    trackPid(scope(), pid);

    process.kill(pid, 'SIGKILL');
    const killedAt = Date.now();
    // no other node to relocate to: node1 starts it again itself, no relocation stop, no penalty
    const all = await waitForEvents(n, 'the start again', (a) => eventsOf(a, 'ActionFinished', 'svc1').length >= 2, 30_000);
    const actions = eventsOf(all, 'ActionStarted', 'svc1');
    const finished = eventsOf(all, 'ActionFinished', 'svc1');
    expect(actions.map((e) => (e.type === 'ActionStarted' ? [e.data.action, e.data.relocation ?? false] : []))).toEqual([['start', false], ['start', false]]);
    expect(actions[1]!.data).toMatchObject({ user: 'orchestrator', reason: 'monitored resource app#main down, no live node to relocate to: starting again here' });
    expect(finished.map((e) => (e.type === 'ActionFinished' ? e.data.result : ''))).toEqual(['ok', 'ok']);
    await waitFor('the app running again', () => sleepAppRunning(appPid), 5000);
    trackPid(scope(), Number(fs.readFileSync(appPid, 'utf8')));
    process.stdout.write(`orchestrator.int: app killed -> running again in ${Date.now() - killedAt} ms\n`);

    // svc1 clear through the per-service command: the penalty is forgotten (recorded in the log)
    const svc1 = path.join(n.paths.etc, 'svc1');
    fs.symlinkSync(path.join(REPO, 'bin', 'svcmgr'), svc1);
    const help = await run([svc1, 'clear', '--help'], { env: n.env });
    expect(help).toMatchObject({ exitCode: 0, stdout: expect.stringMatching(/^svcmgr clear: reset the local instance's start failed \/ stop failed/) });
    expect(await run([svc1, 'clear', '--local'], { env: n.env })).toMatchObject({ exitCode: 2, stderr: expect.stringContaining('clear: unknown option --local') });
    expect(await run([svc1, 'clear'], { env: n.env })).toMatchObject({ exitCode: 0, stdout: '', stderr: '' });
    const cleared = await waitForEvents(n, 'InstanceCleared', (a) => eventsOf(a, 'InstanceCleared', 'svc1').length === 1);
    expect(eventsOf(cleared, 'InstanceCleared', 'svc1')[0]).toMatchObject({ origin: 'node1' });
    const history = await n.svcmgr(['-s', 'svc1', 'print', 'history']);
    expect(history.stdout).toContain('cleared: failed states and failover penalties reset');
    await n.svcmgr(['-s', 'svc1', 'freeze']);
    await n.svcmgr(['-s', 'svc1', 'stop', '--local']);
    await n.stop();
  });
});
