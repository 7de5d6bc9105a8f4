import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, test } from '@jest/globals';
import type { AuditReport } from '../../../projections/audit.js';
import type { HistoryEntry } from '../../../projections/history.js';
import type { Why } from '../../../projections/why.js';
import { useTestScope } from '../../support/jest.js';
import { trackPid } from '../../support/process.js';
import { waitFor } from '../../support/wait.js';
import { agentLog, daemonNode, ensureBuilt, eventsOf, sleepAppLauncher, waitForEvents } from './support.js';

describe('audit commands on a real log: why, the past, history, decisions re-checked', () => {
  const scope = useTestScope();
  beforeAll(() => ensureBuilt(), 240_000);

  test('a monitored app killed: why tells the chain, print status --at and svcmon --at show the past, nodemgr audit finds every decision the same; with the daemon down too', async () => {
    const n = await daemonNode(scope());
    const appPid = path.join(n.root, 'app.pid');
    n.writeAppService('svc1', sleepAppLauncher(appPid), { monitor: true, defaults: { orchestrate: 'ha' } });
    await n.start();
    // set records the config's checksum in the log: what audit re-checks decisions with
    expect((await n.svcmgr(['-s', 'svc1', 'set', '--kw', 'monitor_schedule=1s'])).exitCode).toBe(0);
    expect((await n.svcmgr(['-s', 'svc1', 'thaw'])).exitCode).toBe(0);
    await waitForEvents(n, 'the orchestrated start', (a) => eventsOf(a, 'ActionFinished', 'svc1').length === 1, 20_000);
    await waitFor('the app pid file', () => fs.existsSync(appPid), 5000);
    const pid = Number(fs.readFileSync(appPid, 'utf8'));
    trackPid(scope(), pid);
    process.kill(pid, 'SIGKILL');
    // whatever the orchestrator does about it (relocation stop then start here, the last resort, or a start here
    // at once): the app runs again, and the log says why
    await waitFor('the app running again', () => fs.existsSync(appPid) && Number(fs.readFileSync(appPid, 'utf8')) !== pid, 30_000);
    trackPid(scope(), Number(fs.readFileSync(appPid, 'utf8')));
    const all = await waitForEvents(n, 'the last start finished', (a) => {
      const s = eventsOf(a, 'ActionStarted', 'svc1');
      return s.length >= 2 && eventsOf(a, 'ActionFinished', 'svc1').length === s.length;
    }, 15_000);
    const actions = eventsOf(all, 'ActionStarted', 'svc1');
    const finished = eventsOf(all, 'ActionFinished', 'svc1');
    const last = actions[actions.length - 1]!;
    // the status check that saw it down: the instance down, caused by no action
    const seenDown = all.find((s) => s.event.type === 'InstanceStatusChanged' && s.event.causation === undefined && s.event.data.avail === 'down' && s.streamSeq > all.find((x) => x.event.id === finished[0]!.id)!.streamSeq)!;

    // why: the last action by default, the fault first, each decision with its rule
    const why = await n.svcmgr(['-s', 'svc1', 'why', '--color', 'no']);
    expect(why).toMatchObject({ exitCode: 0, stderr: '' });
    const lines = why.stdout.split('\n');
    expect(lines[0]).toMatch(/^svc1 start on node1: start ok in \d+\.\ds; svc1 up on node1 {2}\(\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ to \d\d:\d\d:\d\dZ\)$/);
    expect(lines[2]).toMatch(/ node1 {2}fault {5}app#main down .*\(seen by the scheduler\) {2}node1:\d+$/);
    expect(lines.filter((l) => / decision {2}orchestrator: /.test(l)).length).toBe(actions.length - 1);
    expect(why.stdout).toContain(`decision  orchestrator: start: ${(last.data as { reason?: string }).reason}  ${last.id}`);
    expect(why.stdout).toMatch(/\n {20,}rule: \w/);
    const json = JSON.parse((await n.svcmgr(['-s', 'svc1', 'why', '--format', 'json'])).stdout) as Why;
    expect(json).toMatchObject({ svc: 'svc1', action: last.id });
    expect(json.links[0]).toMatchObject({ kind: 'fault', by: 'scheduler', node: 'node1' });
    expect(json.links[json.links.length - 1]).toMatchObject({ kind: 'result', id: finished[finished.length - 1]!.id });
    expect(await n.svcmgr(['-s', 'svc1', 'why', '--last', 'restart'])).toMatchObject({ exitCode: 1, stderr: 'why: no restart action of svc1 in the log' });
    expect(await n.svcmgr(['-s', 'svc1', 'why', 'node1:1', '--last', 'stop'])).toMatchObject({ exitCode: 2 });

    // the past: when the status check saw the app gone, svc1 was down here; svcmon shows it so
    const at = `seq:${seenDown.streamSeq}`;
    const status = await n.svcmgr(['-s', 'svc1', 'print', 'status', '--at', at, '--color', 'no']);
    expect(status).toMatchObject({ exitCode: 0 });
    expect(status.stdout.split('\n')[0]).toMatch(/^svc1 +down$/);
    expect(status.stderr).toContain(`(as of stream sequence ${seenDown.streamSeq}: the log up to ${seenDown.event.id}`);
    const mon = await n.svcmon(['--at', at]);
    expect(mon).toMatchObject({ exitCode: 0 });
    // the start that follows may already be recorded at that point (the resource status woke the orchestrator first)
    expect(mon.stdout).toMatch(/\n svc1 +down +failover +\| X( starting)?\n?$/);
    // by time: when the first start was over, it was up
    const upAt = finished[0]!.time;
    expect(JSON.parse((await n.svcmon(['--at', upAt, '--format', 'json'])).stdout)).toMatchObject({ services: [{ name: 'svc1', avail: 'up', instances: [{ node: 'node1', avail: 'up', monitorState: 'idle' }] }] });
    expect(await n.svcmon(['--at', '2001-01-01T00:00:00Z'])).toMatchObject({ exitCode: 1, stderr: 'svcmon: nothing in the log at or before 2001-01-01T00:00:00.000Z' });

    // history: the cluster's, filtered
    const starts = JSON.parse((await n.nodemgr(['print', 'history', '--type', 'ActionStarted', '--format', 'json'])).stdout) as HistoryEntry[];
    expect(starts.map((e) => [e.svc, e.type, e.by, e.id])).toEqual(actions.map((a) => ['svc1', 'ActionStarted', 'orchestrator', a.id]));
    const nodeLines = (await n.nodemgr(['print', 'history', '--type', 'DaemonStarted'])).stdout;
    expect(nodeLines).toMatch(/ node1 +- +daemon started +pid \d+, version /);
    const until = JSON.parse((await n.svcmgr(['-s', 'svc1', 'print', 'history', '--until', upAt, '--node', 'node1', '--format', 'json'])).stdout) as HistoryEntry[];
    expect(until.map((e) => e.id)).toContain(finished[0]!.id);
    expect(until.map((e) => e.id)).not.toContain(last.id);
    expect(await n.nodemgr(['print', 'history', '--type', 'Nope'])).toMatchObject({ exitCode: 2, stderr: 'print history: --type "Nope" is not an event type (docs/events.md lists them)' });

    // audit: the decisions this build recorded, replayed through this build's decide, are the same
    const report = await n.nodemgr(['audit', '--color', 'no']);
    expect(report).toMatchObject({ exitCode: 0 });
    expect(report.stdout.split('\n')[0]).toBe(`${actions.length} orchestrator decisions in node1's log replayed through today's code: ${actions.length} the same, 0 different, 0 that cannot be re-checked`);

    // the daemon down: why reads the stream itself, the same answer
    await n.stop();
    expect((await n.svcmgr(['-s', 'svc1', 'why', '--color', 'no'])).stdout).toBe(why.stdout);
    // a config changed since: the decisions are re-checked with the config the log carried then, not the file now
    expect((await n.svcmgr(['-s', 'svc1', 'set', '--kw', 'nodes=node1 node2'])).exitCode).toBe(0);
    const after = JSON.parse((await n.nodemgr(['audit', '--format', 'json'])).stdout) as AuditReport;
    expect(after.decisions.map((d) => d.verdict)).toEqual(actions.map(() => 'same'));
    await n.svcmgr(['-s', 'svc1', 'freeze']);
    await n.svcmgr(['-s', 'svc1', 'stop', '--local']);
  });

  test('--at from checkpoints of the log: the same views as a whole replay, cut once, dropped when the stream no longer holds what they were cut from', async () => {
    const n = await daemonNode(scope());
    n.writeAppService('svc1', sleepAppLauncher(path.join(n.root, 'app.pid')), { monitor: true });
    // the daemon keeps them cut as the log grows: here every 7 records, looked at twice a second
    n.env.OSVC_ASOF_EVERY = '7';
    n.env.OSVC_ASOF_CHECK_MS = '500';
    await n.start();
    for (const a of ['start', 'freeze', 'stop', 'thaw', 'start', 'stop']) expect((await n.svcmgr(['-s', 'svc1', a, '--local'])).exitCode).toBe(0);
    const all = await waitForEvents(n, 'the actions', (a) => eventsOf(a, 'ActionFinished', 'svc1').length === 4, 10_000);
    const dir = path.join(n.root, 'var/lib/opensvc/projections/asof');
    const upTo = Math.floor(all.at(-1)!.streamSeq / 7) * 7;
    await waitFor('the daemon cutting checkpoints up to the actions', () => fs.existsSync(path.join(dir, `${upTo}.json`)), 10_000);
    expect(agentLog(n).some((l) => l.msg === 'as-of checkpoints cut')).toBe(true);
    delete n.env.OSVC_ASOF_CHECK_MS;
    // the daemon down: the log no longer grows under the views compared (its stop adds a few events past those bounds)
    await n.stop();
    // every sequence and every event time of the log: a view from checkpoints cut every 7 records is the whole replay's
    const bounds = [...all.filter((_, i) => i % 3 === 1).map((a) => `seq:${a.streamSeq}`), ...all.filter((_, i) => i % 4 === 0).map((a) => a.event.time)];
    const view = async (at: string, every: string) => {
      n.env.OSVC_ASOF_EVERY = every;
      const r = await n.svcmon(['--at', at, '--format', 'json']);
      return { at, exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr.replace(/\(as of .*\)/, '') };
    };
    const whole: unknown[] = [];
    for (const at of bounds) whole.push(await view(at, '1000000000'));
    expect(fs.existsSync(dir) ? fs.readdirSync(dir) : []).toEqual([]);
    const cut: unknown[] = [];
    for (const at of bounds) cut.push(await view(at, '7'));
    expect(cut).toEqual(whole);
    const files = fs.readdirSync(dir).sort((a, b) => parseInt(a) - parseInt(b));
    expect(files.length).toBeGreaterThanOrEqual(Math.floor(all.at(-1)!.streamSeq / 7));
    expect(files[0]).toBe('7.json');
    // a checkpoint whose last event is not the one the stream holds at its place (a store wiped and refilled): it and those after it are dropped and cut again
    const f = path.join(dir, files[1]!);
    const cp = JSON.parse(fs.readFileSync(f, 'utf8')) as { checkpoint: { state: { last: { event: { id: string } } } } };
    cp.checkpoint.state.last.event.id = 'node1:999999';
    fs.writeFileSync(f, JSON.stringify(cp));
    expect(await view(bounds.at(-1)!, '7')).toEqual(whole.at(-1));
    expect(JSON.parse(fs.readFileSync(f, 'utf8')).checkpoint.state.last.event.id).not.toBe('node1:999999');
    // a file that does not read is as if missing
    fs.writeFileSync(path.join(dir, files[0]!), '{');
    expect(await view(bounds[3]!, '7')).toEqual(whole[3]);
    delete n.env.OSVC_ASOF_EVERY;
  }, 300_000);
});
