import { describe, expect, it } from '@jest/globals';
import { parseServiceConfig } from '../../../domain/config/service.js';
import type { AnyEvent } from '../../../domain/events.js';
import { describeEvent } from '../../../projections/history.js';
import { InstancesProjection } from '../../../projections/instances.js';
import { serviceFacts } from '../../../projections/orchestrationFacts.js';
import { LogBuilder } from '../../support/events.js';

const ID = '9e2c1f4a-52d8-4c43-9f8e-1b3a3c5f6d7e';
const config = (extra = '') =>
  parseServiceConfig({ text: `[DEFAULT]\nid = ${ID}\nnodes = node1 node2\norchestrate = ha\n${extra}\n[app#web]\nscript = w\nmonitor = true\n`, file: '/etc/opensvc/svc1.conf', svcname: 'svc1', nodename: 'node1' });

/** An action on node1's svc1: its ActionStarted and ActionFinished (or what ends it). */
function action(b: LogBuilder, verb: 'start' | 'stop', end: { result?: 'ok' | 'failed'; conflict?: string; relocation?: boolean; interrupted?: boolean } = {}): AnyEvent {
  const started = b.add('node1', { type: 'ActionStarted', svc: 'svc1', data: { action: verb, rids: ['app#web'], argv: ['orchestrator', verb], user: 'orchestrator', ...(end.relocation ? { relocation: true } : {}) } });
  if (end.interrupted) return b.add('node1', { type: 'ActionInterrupted', svc: 'svc1', causation: started.id, data: { action: verb, startedEvent: started.id } });
  const failed = (end.result ?? 'ok') === 'failed';
  return b.add('node1', {
    type: 'ActionFinished',
    svc: 'svc1',
    causation: started.id,
    data: { action: verb, result: failed ? 'failed' : 'ok', durationMs: 5, ...(failed ? { error: 'app#web: boom' } : {}), ...(end.conflict !== undefined ? { conflict: end.conflict } : {}) },
  });
}

function factsOf(b: LogBuilder, cfg = config()) {
  const p = new InstancesProjection();
  for (const a of b.log) p.apply(a);
  return serviceFacts(cfg, 'node1', p);
}

describe('what the orchestrator learns from the log', () => {
  it('a node back from a power loss: unchecked until its first check; found down then, it expects nothing of its last start', () => {
    const b = new LogBuilder();
    b.add('node1', { type: 'InstanceThawed', svc: 'svc1', data: {} });
    action(b, 'start');
    b.add('node1', { type: 'InstanceStatusChanged', svc: 'svc1', data: { avail: 'up', overall: 'up' } });
    b.add('node1', { type: 'DaemonStarted', data: { pid: 2, version: 'x' } });
    expect(factsOf(b).instances.node1).toMatchObject({ avail: 'up', unchecked: true, expect: 'started' });
    b.add('node1', { type: 'ResourceStatusChanged', svc: 'svc1', rid: 'app#web', data: { status: 'down', label: 'w', log: [] } });
    b.add('node1', { type: 'InstanceStatusChanged', svc: 'svc1', data: { avail: 'down', overall: 'down' } });
    const f = factsOf(b).instances.node1!;
    expect(f).toMatchObject({ avail: 'down', expect: undefined, monitoredDown: ['app#web'] });
    expect(f.unchecked).toBeUndefined();
    // started again: what that start leaves counts
    action(b, 'start');
    b.add('node1', { type: 'InstanceStatusChanged', svc: 'svc1', data: { avail: 'up', overall: 'up' } });
    expect(factsOf(b).instances.node1).toMatchObject({ avail: 'up', expect: 'started' });
  });

  it('a daemon restart with the service still up keeps what its start left', () => {
    const b = new LogBuilder();
    b.add('node1', { type: 'InstanceThawed', svc: 'svc1', data: {} });
    action(b, 'start');
    b.add('node1', { type: 'InstanceStatusChanged', svc: 'svc1', data: { avail: 'up', overall: 'up' } });
    b.add('node1', { type: 'DaemonStarted', data: { pid: 2, version: 'x' } });
    b.add('node1', { type: 'InstanceStatusChanged', svc: 'svc1', data: { avail: 'up', overall: 'up' } });
    expect(factsOf(b).instances.node1).toMatchObject({ avail: 'up', expect: 'started' });
  });

  it('a relocation away and a failed start are penalties, with their time', () => {
    const b = new LogBuilder();
    b.add('node1', { type: 'InstanceThawed', svc: 'svc1', data: {} });
    action(b, 'start');
    const relocated = action(b, 'stop', { relocation: true });
    action(b, 'stop');
    const failed = action(b, 'start', { result: 'failed' });
    const f = factsOf(b).instances.node1!;
    expect(f.monitorState).toBe('start failed');
    expect(f.penalties).toEqual([
      { at: Date.parse(relocated.time), why: 'relocation' },
      { at: Date.parse(failed.time), why: 'start failed' },
    ]);
    expect(f.conflict).toBeUndefined();
  });

  it('a start interrupted by the death of the process running it is a failed start', () => {
    const b = new LogBuilder();
    const interrupted = action(b, 'start', { interrupted: true });
    expect(factsOf(b).instances.node1!.penalties).toEqual([{ at: Date.parse(interrupted.time), why: 'start failed' }]);
  });

  it('a start aborted on a conflict is no penalty: the aborts in a row are counted, a start that is not one ends the run', () => {
    const b = new LogBuilder();
    action(b, 'start', { result: 'failed', conflict: 'ip#0' });
    const second = action(b, 'start', { result: 'failed', conflict: 'ip#0' });
    let f = factsOf(b).instances.node1!;
    expect(f.monitorState).toBe('start failed');
    expect(f.penalties).toEqual([]);
    expect(f.conflict).toEqual({ at: Date.parse(second.time), count: 2, rid: 'ip#0' });
    action(b, 'start');
    f = factsOf(b).instances.node1!;
    expect(f.conflict).toBeUndefined();
    expect(f.penalties).toEqual([]);
  });

  it('InstanceCleared: start failed and stop failed back to idle, penalties and conflicts forgotten; an action in progress goes on', () => {
    const b = new LogBuilder();
    action(b, 'start', { result: 'failed' });
    action(b, 'start', { result: 'failed', conflict: 'ip#0' });
    action(b, 'stop', { result: 'failed' });
    expect(factsOf(b).instances.node1!.monitorState).toBe('stop failed');
    const cleared = b.add('node1', { type: 'InstanceCleared', svc: 'svc1', data: {} });
    expect(factsOf(b).instances.node1).toMatchObject({ monitorState: 'idle', penalties: [], conflict: undefined, clearedAt: Date.parse(cleared.time) });

    const c = new LogBuilder();
    action(c, 'start', { result: 'failed' });
    c.add('node1', { type: 'InstanceCleared', svc: 'svc1', data: {} });
    expect(factsOf(c).instances.node1).toMatchObject({ monitorState: 'idle', penalties: [] });
    c.add('node1', { type: 'ActionStarted', svc: 'svc1', data: { action: 'start', rids: [], argv: [] } });
    c.add('node1', { type: 'InstanceCleared', svc: 'svc1', data: {} });
    expect(factsOf(c).instances.node1!.monitorState).toBe('starting');
  });

  it('the penalties survive a checkpoint', () => {
    const b = new LogBuilder();
    action(b, 'start', { result: 'failed' });
    action(b, 'start', { result: 'failed', conflict: 'ip#0' });
    const p = new InstancesProjection();
    for (const a of b.log) p.apply(a);
    const q = InstancesProjection.restore(JSON.parse(JSON.stringify(p.checkpoint())));
    expect(serviceFacts(config(), 'node1', q)).toEqual(serviceFacts(config(), 'node1', p));
  });

  it('failure_timeout comes from the config, 5 minutes by default', () => {
    expect(factsOf(new LogBuilder()).failureTimeoutMs).toBe(300_000);
    expect(factsOf(new LogBuilder(), config('failure_timeout = 90s')).failureTimeoutMs).toBe(90_000);
  });

  it('history tells a clear and a conflict abort', () => {
    const b = new LogBuilder();
    const aborted = action(b, 'start', { result: 'failed', conflict: 'ip#0' });
    const cleared = b.add('node1', { type: 'InstanceCleared', svc: 'svc1', data: {} });
    expect(describeEvent(aborted)?.result).toBe('aborted: ip#0 conflict');
    expect(describeEvent(cleared)).toEqual({ what: 'cleared: failed states and failover penalties reset', result: 'ok' });
  });
});

describe('the placement order the orchestrator follows', () => {
  const nodes = (placement: string, written: string) =>
    serviceFacts(
      parseServiceConfig({ text: `[DEFAULT]\nid = ${ID}\nnodes = ${written}\norchestrate = ha\nplacement = ${placement}\n`, file: '/etc/opensvc/svc1.conf', svcname: 'svc1', nodename: 'node1' }),
      'node1',
      new InstancesProjection(),
    ).nodes;

  it('nodes order: as written', () => {
    expect(nodes('nodes order', 'node2 node1 node3')).toEqual(['node2', 'node1', 'node3']);
  });

  it('spread: one ranking per service whatever the order written, so every node agrees on who starts it', () => {
    const a = nodes('spread', 'node1 node2 node3');
    expect(nodes('spread', 'node3 node2 node1')).toEqual(a);
    expect([...a].sort()).toEqual(['node1', 'node2', 'node3']);
  });
});

describe('an interrupted start (rule 11): what it left up', () => {
  const cfg = () =>
    parseServiceConfig({ text: `[DEFAULT]\nid = ${ID}\nnodes = node1 node2\norchestrate = ha\n\n[ip#0]\nipname = 10.0.0.9\nipdev = eth0\n\n[fs#data]\ntype = ext4\ndev = /dev/loop9\nmnt = /data\n\n[app#web]\nscript = w\nmonitor = true\n`, file: '/etc/opensvc/svc1.conf', svcname: 'svc1', nodename: 'node1' });
  const status = (b: LogBuilder, rid: string, s: string) => b.add('node1', { type: 'ResourceStatusChanged', svc: 'svc1', rid, data: { status: s, label: rid, log: [] } });

  function interrupted(rids: readonly string[]): LogBuilder {
    const b = new LogBuilder();
    const started = b.add('node1', { type: 'ActionStarted', svc: 'svc1', data: { action: 'start', rids: [...rids], argv: ['orchestrator', 'start'], user: 'orchestrator' } });
    b.add('node1', { type: 'DaemonStarted', data: { pid: 3, version: 'x' } });
    b.add('node1', { type: 'ActionInterrupted', svc: 'svc1', causation: started.id, data: { action: 'start', startedEvent: started.id } });
    return b;
  }

  it('those of its resources up while others of it are down: the address up, the filesystem and the app not yet', () => {
    const b = interrupted(['ip#0', 'fs#data', 'app#web']);
    status(b, 'ip#0', 'up');
    status(b, 'fs#data', 'down');
    status(b, 'app#web', 'down');
    expect(factsOf(b, cfg()).instances.node1).toMatchObject({ monitorState: 'start failed', interruptedLeftUp: ['ip#0'], lastAction: { action: 'start', result: 'interrupted' } });
  });

  it('none when it brought all of its resources up, or when it acted on some only and those are up (a restart in place)', () => {
    const all = interrupted(['ip#0', 'fs#data', 'app#web']);
    for (const r of ['ip#0', 'fs#data', 'app#web']) status(all, r, 'up');
    expect(factsOf(all, cfg()).instances.node1?.interruptedLeftUp).toBeUndefined();
    const one = interrupted(['app#web']);
    status(one, 'ip#0', 'down');
    status(one, 'app#web', 'up');
    expect(factsOf(one, cfg()).instances.node1?.interruptedLeftUp).toBeUndefined();
  });
});

describe('a start in progress when its node\'s daemon starts again', () => {
  it('is orphaned until its next daemon records it interrupted', () => {
    const b = new LogBuilder();
    const started = b.add('node1', { type: 'ActionStarted', svc: 'svc1', data: { action: 'start', rids: ['app#web'], argv: ['orchestrator', 'start'], user: 'orchestrator' } });
    expect(factsOf(b).instances.node1).toMatchObject({ monitorState: 'starting' });
    expect(factsOf(b).instances.node1?.actionOrphaned).toBeUndefined();
    b.add('node1', { type: 'DaemonStarted', data: { pid: 3, version: 'x' } });
    expect(factsOf(b).instances.node1).toMatchObject({ monitorState: 'starting', actionOrphaned: true });
    b.add('node1', { type: 'ActionInterrupted', svc: 'svc1', causation: started.id, data: { action: 'start', startedEvent: started.id } });
    expect(factsOf(b).instances.node1?.actionOrphaned).toBeUndefined();
    expect(factsOf(b).instances.node1?.monitorState).toBe('start failed');
  });
});
