import { describe, expect, it } from '@jest/globals';
import type { AnyEvent } from '../../../domain/events.js';
import { explain } from '../../../projections/why.js';
import type { Why, WhyTarget } from '../../../projections/why.js';
import { LogBuilder } from '../../support/events.js';

/** An action with its steps on a node, as the runner records it: ActionStarted, per rid its step, the status, ActionFinished. */
function action(
  b: LogBuilder,
  node: string,
  verb: 'start' | 'stop',
  o: { user?: string; argv?: string[]; reason?: string; relocation?: boolean; fail?: { rid: string; reason: string }; rids?: string[]; avail?: string } = {},
): AnyEvent {
  const rids = o.rids ?? ['ip#0', 'app#main'];
  const user = o.user ?? 'orchestrator';
  const started = b.add(node, {
    type: 'ActionStarted',
    svc: 'svc1',
    data: { action: verb, rids, argv: o.argv ?? (user === 'orchestrator' ? ['orchestrator', verb] : ['svcmgr', '-s', 'svc1', verb]), user, ...(o.reason ? { reason: o.reason } : {}), ...(o.relocation ? { relocation: true } : {}) },
  });
  const causation = started.id;
  for (const rid of verb === 'start' ? rids : [...rids].reverse()) {
    b.add(node, { type: verb === 'start' ? 'ResourceStartRequested' : 'ResourceStopRequested', svc: 'svc1', rid, causation, data: {} });
    b.add(node, { type: 'ResourceLogged', svc: 'svc1', rid, causation, data: { level: 'info', message: `${rid} ${verb}` } });
    if (o.fail?.rid === rid) {
      b.add(node, { type: 'ResourceStartFailed', svc: 'svc1', rid, causation, data: { reason: o.fail.reason } });
      break;
    }
    if (verb === 'start') b.add(node, { type: 'ResourceStarted', svc: 'svc1', rid, causation, data: { alreadyUp: false } });
    else b.add(node, { type: 'ResourceStopped', svc: 'svc1', rid, causation, data: { alreadyDown: false } });
  }
  if (o.fail) {
    b.add(node, { type: 'RollbackStarted', svc: 'svc1', causation, data: { rids: ['ip#0'] } });
    b.add(node, { type: 'ResourceStopped', svc: 'svc1', rid: 'ip#0', causation, data: { alreadyDown: false } });
    b.add(node, { type: 'RollbackFinished', svc: 'svc1', causation, data: { result: 'ok' } });
  }
  b.add(node, { type: 'InstanceStatusChanged', svc: 'svc1', causation, data: { avail: o.avail ?? (verb === 'start' && !o.fail ? 'up' : 'down'), overall: o.avail ?? (verb === 'start' && !o.fail ? 'up' : 'down') } });
  b.add(node, {
    type: 'ActionFinished',
    svc: 'svc1',
    causation,
    data: { action: verb, result: o.fail ? 'failed' : 'ok', durationMs: 1500, ...(o.fail ? { error: `${o.fail.rid}: ${o.fail.reason}` } : {}) },
  });
  return started;
}

/** The tutorial's move: svc1 runs on node1, its monitored app dies, node1 stops it to relocate, node2 starts it. */
function relocation() {
  const b = new LogBuilder();
  b.add('node1', { type: 'DaemonStarted', data: { pid: 10, version: '0.1.0' } });
  b.add('node2', { type: 'DaemonStarted', data: { pid: 20, version: '0.1.0' } });
  b.add('node1', { type: 'PeerStateChanged', data: { node: 'node2', to: 'up', why: 'beating on hb#1' } });
  b.add('node1', { type: 'InstanceThawed', svc: 'svc1', data: {} });
  const first = action(b, 'node1', 'start', { reason: 'not running on any live node: node1 is first of node1, node2' });
  b.add('node1', { type: 'SchedulerJobRan', svc: 'svc1', data: { job: 'monitor', durationMs: 3, result: 'ok' } });
  const down = b.add('node1', { type: 'ResourceStatusChanged', svc: 'svc1', rid: 'app#main', data: { status: 'down', label: 'launcher', log: ['not running'] } });
  b.add('node1', { type: 'InstanceStatusChanged', svc: 'svc1', data: { avail: 'warn', overall: 'warn' } });
  const stop = action(b, 'node1', 'stop', { reason: 'monitored resource app#main down: stopping to relocate', relocation: true });
  b.add('node2', { type: 'SchedulerJobRan', svc: 'svc1', data: { job: 'status', durationMs: 3, result: 'ok' } });
  const start = action(b, 'node2', 'start', { reason: 'not running on any live node: node2 is first of node2, node1 (penalised: node1 relocated away 6s ago)' });
  return { b, first, down, stop, start };
}

function why(events: ReturnType<typeof relocation>['b'], target: WhyTarget): Why {
  const r = explain(events.log, 'svc1', target);
  if (!r.ok) throw new Error(r.reason);
  return r.why;
}

const lines = (w: Why) => w.links.map((l) => `${l.node} ${l.kind}: ${l.text}`);

describe('svcmgr why: the causation chain of a move, from the log', () => {
  it('a relocation: the fault, node1\'s decision, its steps and result, then node2\'s decision, steps and result', () => {
    const { b, down, stop, start } = relocation();
    const w = why(b, { last: undefined });
    expect(w.summary).toBe('svc1 moved from node1 to node2');
    expect(w.action).toBe(start.id);
    expect(lines(w)).toEqual([
      'node1 fault: app#main down (launcher): not running',
      'node1 decision: orchestrator: stop to relocate: monitored resource app#main down: stopping to relocate',
      'node1 step: app#main stopped',
      'node1 step: ip#0 stopped',
      'node1 result: stop ok in 1.5s; svc1 down on node1',
      'node2 decision: orchestrator: start: not running on any live node: node2 is first of node2, node1 (penalised: node1 relocated away 6s ago)',
      'node2 step: ip#0 started',
      'node2 step: app#main started',
      'node2 result: start ok in 1.5s; svc1 up on node2',
    ]);
    expect(w.links[0]).toMatchObject({ id: down.id, by: 'scheduler', time: down.time });
    expect(w.links[1]).toMatchObject({ id: stop.id, by: 'orchestrator', rule: 'relocation: a monitored resource down', reason: 'monitored resource app#main down: stopping to relocate' });
    expect(w.links[5]).toMatchObject({ id: start.id, rule: 'placement: not running on any live node' });
    expect([w.from, w.to]).toEqual([down.time, w.links[8]!.time]);
  });

  it('the same move asked from the stop, from the fault, from a step, or at a time within it', () => {
    const { b, down, stop, start } = relocation();
    const all = lines(why(b, { last: undefined }));
    expect(lines(why(b, { last: 'stop' }))).toEqual(all);
    expect(why(b, { event: stop.id }).action).toBe(stop.id);
    expect(lines(why(b, { event: down.id }))).toEqual(all);
    const step = b.log.find((a) => a.event.causation === start.id && a.event.type === 'ResourceStarted')!;
    expect(why(b, { event: step.event.id }).action).toBe(start.id);
    expect(why(b, { at: Date.parse(stop.time) + 1 }).action).toBe(stop.id);
  });

  it('the first start of a thawed service: the thaw asked for it', () => {
    const { b, first } = relocation();
    const w = why(b, { event: first.id });
    expect(lines(w).slice(0, 2)).toEqual(['node1 asked: svc1 thawed on node1', 'node1 decision: orchestrator: start: not running on any live node: node1 is first of node1, node2']);
    expect(w.summary).toBe('svc1 start on node1: start ok in 1.5s; svc1 up on node1');
  });

  it('a takeover: the peer proven down, with the heartbeats\' reason, is the fault', () => {
    const b = new LogBuilder();
    b.add('node2', { type: 'DaemonStarted', data: { pid: 20, version: '0.1.0' } });
    b.add('node2', { type: 'PeerStateChanged', data: { node: 'node1', to: 'up', why: 'beating on hb#1' } });
    const lost = b.add('node2', { type: 'PeerStateChanged', data: { node: 'node1', from: 'up', to: 'down', why: 'no beat on hb#2 (disk) nor hb#1: proven down' } });
    const start = action(b, 'node2', 'start', { argv: ['orchestrator', 'start', '--takeover', 'node1'], reason: 'node1 down (no beat on hb#2 (disk) nor hb#1: proven down): taking over, node2 is first of node2' });
    const w = why(b, { last: 'start' });
    expect(w.summary).toBe('svc1 taken over by node2 from node1');
    expect(w.links[0]).toMatchObject({ kind: 'fault', id: lost.id, by: 'heartbeats', text: 'node1 down (was up): no beat on hb#2 (disk) nor hb#1: proven down' });
    expect(w.links[1]).toMatchObject({ kind: 'decision', id: start.id, rule: 'takeover: the node running it proven down' });
  });

  it('an operator\'s action: who asked and the command line, no earlier cause; a failed start shows its rollback', () => {
    const b = new LogBuilder();
    action(b, 'node1', 'start', { user: 'root', fail: { rid: 'app#main', reason: 'launcher exited 1' } });
    const w = why(b, { last: undefined });
    expect(lines(w)).toEqual([
      'node1 asked: start asked by root: svcmgr -s svc1 start',
      'node1 step: ip#0 started',
      'node1 step: app#main start failed: launcher exited 1',
      'node1 step: rollback ip#0',
      'node1 step: ip#0 stopped',
      'node1 step: rollback ok',
      'node1 result: start failed: app#main: launcher exited 1 in 1.5s; svc1 down on node1',
    ]);
    expect(w.links[0]).toMatchObject({ by: 'root' });
    expect(w.summary).toBe('svc1 start on node1: start failed: app#main: launcher exited 1 in 1.5s; svc1 down on node1');
  });

  it('a start failed on node1 then started on node2: the chain goes through the failed start to its cause', () => {
    const b = new LogBuilder();
    const thaw = b.add('node1', { type: 'InstanceThawed', svc: 'svc1', data: {} });
    action(b, 'node1', 'start', { reason: 'not running on any live node: node1 is first of node1, node2', fail: { rid: 'app#main', reason: 'launcher exited 1' } });
    action(b, 'node2', 'start', { reason: 'not running on any live node: node2 is first of node2, node1 (penalised: node1 start failed 2s ago)' });
    const w = why(b, { last: undefined });
    expect(w.links[0]).toMatchObject({ kind: 'asked', id: thaw.id });
    expect(w.links.filter((l) => l.kind === 'decision').map((l) => l.node)).toEqual(['node1', 'node2']);
    expect(w.summary).toBe('svc1 start on node2: start ok in 1.5s; svc1 up on node2');
  });

  it('an operator\'s switch: who asked, every node\'s action toward the target, and its end', () => {
    const b = new LogBuilder();
    b.add('node1', { type: 'InstanceThawed', svc: 'svc1', data: {} });
    action(b, 'node1', 'start', { reason: 'not running on any live node: node1 is first of node1, node2' });
    const asked = b.add('node1', { type: 'ServiceTargetRequested', svc: 'svc1', data: { target: 'placed', node: 'node2', action: 'switch', by: 'root' } });
    const stop = action(b, 'node1', 'stop', { reason: 'target placed@node2 (switch by root on node1): running here, not on node2: stopping' });
    action(b, 'node2', 'start', { reason: 'target placed@node2 (switch by root on node1): starting here' });
    const reached = b.add('node1', { type: 'ServiceTargetReached', svc: 'svc1', causation: asked.id, data: { of: asked.id, target: 'placed@node2' } });
    const w = why(b, { last: undefined });
    expect(w.summary).toBe('svc1 moved from node1 to node2 (switch by root: target placed@node2 reached)');
    expect(lines(w).filter((l) => !l.includes(' step: '))).toEqual([
      'node1 asked: switch asked by root on node1: target placed@node2',
      'node1 decision: orchestrator: stop: target placed@node2 (switch by root on node1): running here, not on node2: stopping',
      'node1 result: stop ok in 1.5s; svc1 down on node1',
      'node2 decision: orchestrator: start: target placed@node2 (switch by root on node1): starting here',
      'node2 result: start ok in 1.5s; svc1 up on node2',
      'node1 result: target placed@node2 reached',
    ]);
    expect(w.links[0]).toMatchObject({ id: asked.id, by: 'root' });
    expect(w.links[1]).toMatchObject({ rule: "target: an operator's stop, switch or giveback, driven by every node" });
    // the same from the stop, the request or the end
    expect(lines(why(b, { event: stop.id }))).toEqual(lines(w));
    expect(lines(why(b, { event: asked.id }))).toEqual(lines(w));
    expect(lines(why(b, { event: reached.id }))).toEqual(lines(w));
  });

  it('an action still running says so', () => {
    const b = new LogBuilder();
    const s = b.add('node1', { type: 'ActionStarted', svc: 'svc1', data: { action: 'stop', rids: ['app#main'], argv: ['svcmgr', 'stop'], user: 'root' } });
    b.add('node1', { type: 'ResourceStopRequested', svc: 'svc1', rid: 'app#main', causation: s.id, data: {} });
    expect(lines(why(b, { last: undefined }))).toEqual(['node1 asked: stop asked by root: svcmgr stop', 'node1 result: stop running (no result in the log yet)']);
  });

  it('nothing to explain is said in one line', () => {
    const { b, stop } = relocation();
    expect(explain(b.log, 'svc1', { event: 'node9:1' })).toEqual({ ok: false, reason: 'no event node9:1 in the log' });
    expect(explain(b.log, 'svc1', { last: 'restart' })).toEqual({ ok: false, reason: 'no restart action of svc1 in the log' });
    expect(explain(b.log, 'svc2', { last: undefined })).toEqual({ ok: false, reason: 'no action of svc2 in the log' });
    expect(explain(b.log, 'svc1', { at: Date.parse(b.log[0]!.event.time) })).toEqual({ ok: false, reason: `no action of svc1 at or before ${b.log[0]!.event.time} in the log` });
    const job = b.log.find((a) => a.event.type === 'SchedulerJobRan')!.event;
    expect(explain(b.log, 'svc1', { event: job.id })).toEqual({ ok: false, reason: `${job.id} (SchedulerJobRan) led to no action of svc1 in the log` });
    expect(explain(b.log, 'svc1', { event: stop.id }).ok).toBe(true);
  });
});
