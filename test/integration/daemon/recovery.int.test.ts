import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, test } from '@jest/globals';
import { daemonRequest } from '../../../src/daemon/client.js';
import type { ServiceStatusView } from '../../../projections/statusView.js';
import { useTestScope } from '../../support/jest.js';
import { pidAlive } from '../../support/proc.js';
import { trackPid } from '../../support/process.js';
import { waitFor } from '../../support/wait.js';
import { agentLog, daemonNode, ensureBuilt, eventsOf, pgidOf, spawnNodeCommand, waitForEvents, type DaemonNode } from './support.js';

/** A launcher whose start takes `startSeconds`, counting its starts; status is a state file. */
function slowStartService(n: DaemonNode, startSeconds: number): { starts: string; launcherPid: string } {
  const starts = path.join(n.root, 'starts');
  const launcherPid = path.join(n.root, 'launcher.pid');
  const state = path.join(n.root, 'app.state');
  n.writeAppService(
    'svc1',
    [
      'case $1 in',
      `start) echo start >> '${starts}'; echo $$ > '${launcherPid}'; sleep ${startSeconds}; touch '${state}' ;;`,
      `stop) rm -f '${state}' ;;`,
      `status) test -f '${state}' ;;`,
      '*) exit 0 ;;',
      'esac',
    ].join('\n'),
  );
  return { starts, launcherPid };
}

async function instance(n: DaemonNode): Promise<ServiceStatusView['instances'][number] | undefined> {
  const r = await daemonRequest<ServiceStatusView>(n.paths, 'GET', '/services/svc1/status');
  return r.status === 200 ? r.body.instances.find((i) => i.node === n.node) : undefined;
}

function kill9(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* gone */
  }
}

describe('recovery: the daemon rebuilds its state from the log', () => {
  const scope = useTestScope();
  beforeAll(() => ensureBuilt(), 240_000);

  test('kill -9 of the daemon and of the action mid-start: ActionInterrupted, start failed, nothing started twice', async () => {
    const n = await daemonNode(scope());
    const daemon = await n.start();
    const oldNats = n.natsPid()!;
    const f = slowStartService(n, 60);
    const cli = await spawnNodeCommand(scope(), n, 'svcmgr', ['-s', 'svc1', 'start']);
    await waitFor('the launcher sleeping in start', () => fs.existsSync(f.launcherPid), 20_000);
    const launcher = Number(fs.readFileSync(f.launcherPid, 'utf8'));
    const group = pgidOf(launcher)!;
    trackPid(scope(), group, true);
    await waitFor('the projection to show the start in progress', async () => (await instance(n))?.monitorState === 'starting', 10_000);

    // the node's agent and the command running the action die; the launcher with them
    kill9(daemon);
    kill9(cli);
    process.kill(-group, 'SIGKILL');
    await waitFor('all gone', () => !pidAlive(daemon) && !pidAlive(cli) && !pidAlive(launcher), 5000);
    expect(fs.existsSync(path.join(n.paths.lockDir, 'svc1.action.lock'))).toBe(true); // stale, its owner dead

    await n.start();
    // the nats-server the killed daemon left behind was replaced, not duplicated
    expect(pidAlive(oldNats)).toBe(false);
    const all = await waitForEvents(n, 'ActionInterrupted', (a) => eventsOf(a, 'ActionInterrupted', 'svc1').length > 0, 20_000);
    const started = eventsOf(all, 'ActionStarted', 'svc1');
    expect(started).toHaveLength(1);
    const interrupted = eventsOf(all, 'ActionInterrupted', 'svc1');
    expect(interrupted).toEqual([expect.objectContaining({ causation: started[0]!.id, data: { action: 'start', startedEvent: started[0]!.id } })]);
    expect(eventsOf(all, 'ActionFinished', 'svc1')).toHaveLength(0);

    await waitFor('start failed', async () => (await instance(n))?.monitorState === 'start failed', 10_000);
    const inst = (await instance(n))!;
    expect(inst).toMatchObject({ avail: 'down', monitorState: 'start failed' });
    expect(inst.resources.find((r) => r.rid === 'app#main')?.status).toBe('down');
    const mon = await n.svcmon();
    expect(mon.stdout.split('\n').find((l) => l.startsWith(' svc1'))).toMatch(/^ svc1 +down\*? +failover +\| X\*? start failed$/);

    // a second restart does not interrupt it again, and nothing ever started it again
    await n.stop();
    await n.start();
    const after = await waitForEvents(n, 'third DaemonStarted', (a) => eventsOf(a, 'DaemonStarted').length === 3);
    expect(eventsOf(after, 'ActionInterrupted', 'svc1')).toHaveLength(1);
    expect(eventsOf(after, 'ResourceStartRequested', 'svc1')).toHaveLength(1);
    expect(fs.readFileSync(f.starts, 'utf8')).toBe('start\n');
    await n.stop();
  });

  test('kill -9 of the daemon alone mid-start: the command it was running is waited for, then ended, before the start is recorded interrupted', async () => {
    const n = await daemonNode(scope());
    const daemon = await n.start();
    const f = slowStartService(n, 120);
    await spawnNodeCommand(scope(), n, 'svcmgr', ['-s', 'svc1', 'start']);
    await waitFor('the launcher sleeping in start', () => fs.existsSync(f.launcherPid), 20_000);
    const launcher = Number(fs.readFileSync(f.launcherPid, 'utf8'));
    trackPid(scope(), pgidOf(launcher)!, true);
    // the command the app driver spawned: `timeout ... launcher start`, the launcher's parent
    const stat = fs.readFileSync(`/proc/${launcher}/stat`, 'utf8');
    const spawned = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    expect(fs.readFileSync(`/proc/${spawned}/cmdline`, 'utf8').split('\0')[0]).toBe('timeout');
    const children = path.join(n.paths.lockDir, 'svc1.action.children');
    const recorded = () => new RegExp(`^${spawned} \\d+$`, 'm').test(fs.existsSync(children) ? fs.readFileSync(children, 'utf8') : '');
    await waitFor(`pid ${spawned} recorded in ${children}`, recorded, 5000);

    kill9(daemon);
    await waitFor('the daemon gone', () => !pidAlive(daemon), 5000);
    // its launcher's start runs on: the kernel does not end a killed process's children
    expect(pidAlive(launcher)).toBe(true);
    await n.start();
    const all = await waitForEvents(n, 'ActionInterrupted', (a) => eventsOf(a, 'ActionInterrupted', 'svc1').length > 0, 40_000);
    // ended: timeout passes the TERM on to the launcher
    expect([pidAlive(spawned), pidAlive(launcher)]).toEqual([false, false]);
    expect(eventsOf(all, 'ActionInterrupted', 'svc1')).toHaveLength(1);
    expect(agentLog(n).filter((l) => l.msg === 'interrupted action: its commands still running were ended')).toEqual([expect.objectContaining({ svc: 'svc1', pids: [spawned], ended: [spawned] })]);
    await n.stop();
  }, 120_000);

  test('kill -9 of the daemon alone: a start --local run by the CLI still holds its lock, it is not interrupted and finishes', async () => {
    const n = await daemonNode(scope());
    const daemon = await n.start();
    const f = slowStartService(n, 6);
    await spawnNodeCommand(scope(), n, 'svcmgr', ['-s', 'svc1', 'start', '--local']);
    await waitFor('the launcher sleeping in start', () => fs.existsSync(f.launcherPid), 20_000);
    await waitFor('the projection to show the start in progress', async () => (await instance(n))?.monitorState === 'starting', 10_000);
    kill9(daemon);
    await waitFor('daemon gone', () => !pidAlive(daemon), 5000);
    await n.start();
    await waitFor('the start to finish', async () => (await instance(n))?.expect === 'started', 30_000);
    const all = await n.events();
    expect(eventsOf(all, 'ActionInterrupted', 'svc1')).toHaveLength(0);
    expect(eventsOf(all, 'ActionFinished', 'svc1')).toEqual([expect.objectContaining({ data: expect.objectContaining({ action: 'start', result: 'ok' }) })]);
    expect((await instance(n))?.monitorState).toBe('idle');
    expect(fs.readFileSync(f.starts, 'utf8')).toBe('start\n');
    await n.stop();
  });
});
