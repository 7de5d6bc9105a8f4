import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, test } from '@jest/globals';
import type { StoredEvent } from '../../../adapters/nats/eventStore.js';
import { daemonRequest } from '../../../src/daemon/client.js';
import type { ServiceStatusView } from '../../../projections/statusView.js';
import { useTestScope } from '../../support/jest.js';
import { pidAlive } from '../../support/proc.js';
import { trackPid } from '../../support/process.js';
import { waitFor } from '../../support/wait.js';
import { daemonNode, ensureBuilt, eventsOf, jobRuns, type DaemonNode } from './support.js';

async function appStatus(n: DaemonNode, svc: string): Promise<string | undefined> {
  const r = await daemonRequest<ServiceStatusView>(n.paths, 'GET', `/services/${svc}/status`);
  return r.status === 200 ? r.body.instances.find((i) => i.node === n.node)?.resources.find((x) => x.rid === 'app#main')?.status : undefined;
}

describe('scheduler: periodic status checks of the local services', () => {
  const scope = useTestScope();
  beforeAll(() => ensureBuilt(), 240_000);

  test('an app killed behind the agent\'s back is seen down within one monitor_schedule period; stopping the daemon leaves apps running', async () => {
    const n = await daemonNode(scope());
    const appPid = path.join(n.root, 'app.pid');
    n.writeAppService(
      'svc1',
      [
        'case $1 in',
        `start) nohup sleep 1000 >/dev/null 2>&1 & echo $! > '${appPid}' ;;`,
        `stop) kill $(cat '${appPid}') ;;`,
        // a zombie is dead: its state Z until whoever inherited it reaps it
        `status) s=$(awk '/^State:/{print $2}' /proc/$(cat '${appPid}')/status 2>/dev/null); [ -n "$s" ] && [ "$s" != Z ] ;;`,
        '*) exit 0 ;;',
        'esac',
      ].join('\n'),
      { monitor: true, defaults: { monitor_schedule: '1s' } },
    );
    await n.start();
    const started = await n.svcmgr(['-s', 'svc1', 'start', '--wait']);
    expect(started.exitCode).toBe(0);
    const pid = Number(fs.readFileSync(appPid, 'utf8'));
    trackPid(scope(), pid);
    await waitFor('the daemon to see the app up', async () => (await appStatus(n, 'svc1')) === 'up', 10_000);

    const seqAtKill = (await n.status()).lastSeq;
    process.kill(pid, 'SIGKILL');
    const after = (a: readonly StoredEvent[]) => a.filter((s) => s.streamSeq > seqAtKill);
    // within one period: the first monitor run begun after the kill records it down (the run
    // counted next may have begun before the kill, the one after it began after)
    const runsAtKill = await jobRuns(n, 'svc1');
    await waitFor('two monitor runs after the kill', async () => (await jobRuns(n, 'svc1')) >= runsAtKill + 2, 10_000, 100);
    const all = await n.events();
    const down = eventsOf(after(all), 'ResourceStatusChanged', 'svc1')[0];
    expect(down).toMatchObject({ rid: 'app#main', data: { status: 'down' } });
    const jobs = eventsOf(all, 'SchedulerJobRan', 'svc1');
    expect(jobs.length).toBeGreaterThan(0);
    expect(jobs.every((e) => e.type === 'SchedulerJobRan' && e.data.job === 'monitor' && (e.data.result === 'ok' || e.data.result.startsWith('skipped: action in progress')))).toBe(true);
    // only changes are recorded: the app stays down, and two more runs that saw it down added no event for it
    const runsAtDown = await jobRuns(n, 'svc1');
    await waitFor('two more monitor runs', async () => (await jobRuns(n, 'svc1')) >= runsAtDown + 2, 10_000, 100);
    const later = eventsOf(after(await n.events()), 'ResourceStatusChanged', 'svc1');
    expect(later).toHaveLength(1);
    expect(await appStatus(n, 'svc1')).toBe('down');

    // the daemon is not the services: stopping it leaves the app running
    expect((await n.svcmgr(['-s', 'svc1', 'start', '--wait'])).exitCode).toBe(0);
    const again = Number(fs.readFileSync(appPid, 'utf8'));
    trackPid(scope(), again);
    await n.stop();
    expect(pidAlive(again)).toBe(true);
    process.kill(again, 'SIGKILL');
  });

  test('jobs of one service never overlap: a status slower than its period waits for the previous one', async () => {
    const n = await daemonNode(scope());
    const trace = path.join(n.root, 'trace');
    const busy = path.join(n.root, 'busy');
    n.writeAppService(
      'svc2',
      [
        'case $1 in',
        `status) if [ -e '${busy}' ]; then echo overlap >> '${trace}'; fi; touch '${busy}'; echo begin >> '${trace}'; sleep 1.5; echo end >> '${trace}'; rm -f '${busy}'; exit 1 ;;`,
        '*) exit 0 ;;',
        'esac',
      ].join('\n'),
      { defaults: { status_schedule: '1s' } },
    );
    await n.start();
    await waitFor('three status jobs', async () => ((await n.status()).jobs.find((j) => j.svc === 'svc2')?.runs ?? 0) >= 3, 20_000, 200);
    const job = (await n.status()).jobs.find((j) => j.svc === 'svc2')!;
    expect(job).toMatchObject({ job: 'status', intervalMs: 1000, lastResult: 'ok' });
    expect(job.lastDurationMs).toBeGreaterThanOrEqual(1400);
    const all = await n.events();
    await n.stop();
    const lines = fs.readFileSync(trace, 'utf8').trim().split('\n');
    expect(lines).not.toContain('overlap');
    // begin, end, begin, end...: one at a time (the stop may cut the last one short)
    const complete = lines.length % 2 === 0 ? lines : lines.slice(0, -1);
    expect(complete).toEqual(Array.from({ length: complete.length }, (_, i) => (i % 2 === 0 ? 'begin' : 'end')));
    // every run was ok: the log holds the first one only
    const jobs = eventsOf(all, 'SchedulerJobRan', 'svc2');
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ data: { job: 'status', result: 'ok' } });
    expect((jobs[0] as { data: { durationMs: number } }).data.durationMs).toBeGreaterThanOrEqual(1400);
  });
});
