import { describe, expect, it } from '@jest/globals';
import { parseServiceConfig } from '../../../domain/config/service.js';
import { makeEvent } from '../../../domain/events.js';
import type { AnyEvent, NewEvent } from '../../../domain/events.js';
import { actionLines } from '../../../src/cli/svc/logs.js';
import { every, scheduleLines } from '../../../src/cli/svc/printSchedule.js';

const ev = (e: NewEvent, origin = 'node1'): AnyEvent => makeEvent(e, { cluster: 'c1', origin, seq: 1, time: '2026-01-02T14:36:00.000Z' }) as AnyEvent;

describe('svcmgr disable: DEFAULT.disable disables the whole service', () => {
  const config = (extra: string) =>
    parseServiceConfig({ text: `[DEFAULT]\nid = 9e2c1f4a-52d8-4c43-9f8e-1b3a3c5f6d7e\n${extra}\n[app#web]\nscript = w\n\n[app#db]\nscript = d\ndisable = true\n`, file: '/etc/opensvc/svc1.conf', svcname: 'svc1', nodename: 'node1' });
  it('every resource disabled with it; a resource keeps its own otherwise', () => {
    expect(config('disable = true').resources.map((r) => [r.rid, r.disable])).toEqual([['app#web', true], ['app#db', true], ['sync#i0', true]]);
    expect(config('').resources.map((r) => [r.rid, r.disable])).toEqual([['app#web', false], ['app#db', true], ['sync#i0', false]]);
    expect(config('disable = true').defaults.disable).toBe(true);
  });
});

describe('svcmgr logs: the lines an action printed, from its events', () => {
  it('the tutorial lines of the resources, framed by who started the action and how it ended', () => {
    const started = ev({ type: 'ActionStarted', svc: 'svc1', data: { action: 'start', rids: ['app#web'], argv: [], user: 'root' } });
    expect(actionLines(started)).toEqual(['node1.svc1             start by root']);
    expect(actionLines(ev({ type: 'ResourceLogged', svc: 'svc1', rid: 'app#web', data: { level: 'info', message: 'exec /svc1/app/init.d/weblauncher start as user root' } }))).toEqual(['node1.svc1.app#web     exec /svc1/app/init.d/weblauncher start as user root']);
    expect(actionLines(ev({ type: 'ResourceStartFailed', svc: 'svc1', rid: 'ip#0', data: { reason: 'boom' } }))).toEqual(['node1.svc1.ip#0      E boom']);
    expect(actionLines(ev({ type: 'ActionFinished', svc: 'svc1', data: { action: 'start', result: 'failed', durationMs: 12, conflict: 'ip#0' } }))).toEqual(['node1.svc1           E start aborted due to resource ip#0 conflict']);
    expect(actionLines(ev({ type: 'ActionFinished', svc: 'svc1', data: { action: 'stop', result: 'ok', durationMs: 1234 } }))).toEqual(['node1.svc1             stop done in 1.234s']);
    const orchestrated = ev({ type: 'ActionStarted', svc: 'svc1', data: { action: 'stop', rids: [], argv: [], user: 'orchestrator', reason: 'monitored resource app#web down: stopping to relocate', relocation: true } }, 'node2');
    expect(actionLines(orchestrated)).toEqual(['node2.svc1             stop by orchestrator: relocation: monitored resource app#web down: stopping to relocate']);
    expect(actionLines(ev({ type: 'ServiceTargetRequested', svc: 'svc1', data: { target: 'placed', node: 'node2', action: 'switch', by: 'root' } }))).toEqual(['node1.svc1             target placed@node2 requested (switch by root)']);
    expect(actionLines(ev({ type: 'InstanceStatusChanged', svc: 'svc1', data: { avail: 'up', overall: 'up' } }))).toEqual([]);
  });
});

describe('print schedule', () => {
  it('each job with its keyword, interval, last run and result', () => {
    expect([every(60_000), every(90_000), every(3_600_000), every(500)]).toEqual(['1m', '90s', '1h', '500ms']);
    const jobs = [
      { svc: 'svc1', job: 'status', intervalMs: 60_000, running: false, runs: 3, lastResult: 'ok', lastDurationMs: 20, lastRunAt: '2026-01-02T14:36:00.123Z' },
      { svc: 'svc1', job: 'monitor', intervalMs: 1000, running: true, runs: 0, lastResult: undefined, lastDurationMs: undefined, lastRunAt: undefined },
    ];
    expect(scheduleLines(jobs, { svc: false })).toEqual([
      'Action             Last Run              Config Parameter          Schedule  Runs  Last Result',
      'status             2026-01-02 14:36:00Z  DEFAULT.status_schedule   1m        3     ok',
      'monitor (running)  -                     DEFAULT.monitor_schedule  1s        0     -',
    ]);
    expect(scheduleLines(jobs, { svc: true })[1]).toMatch(/^svc1 status +2026/);
  });
});
