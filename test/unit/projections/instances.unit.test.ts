import { describe, expect, it } from '@jest/globals';
import { createActor, getNextSnapshot } from 'xstate';
import { EVENT_CATALOGUE } from '../../../domain/events.js';
import type { EventType } from '../../../domain/events.js';
import { instanceMachine } from '../../../domain/instance/machine.js';
import { UNKNOWN_AVAIL, evolveAvail, evolveResources } from '../../../domain/instance/resources.js';
import { InstancesProjection } from '../../../projections/instances.js';
import { HISTORY_TYPES, describeEvent, emptyHistory, evolveHistory, historyOf, skipHistory } from '../../../projections/history.js';
import { LogBuilder, sampleEvent } from '../../support/events.js';

function startLog(result: 'ok' | 'failed'): LogBuilder {
  const b = new LogBuilder();
  b.add('node1', { type: 'ServiceCreated', svc: 'svc1', data: { id: 'id1', checksum: 'abc' } });
  const started = b.add('node1', { type: 'ActionStarted', svc: 'svc1', data: { action: 'start', rids: ['ip#0'], argv: ['svc1', 'start'], user: 'root' } });
  b.add('node1', { type: 'ResourceLogged', svc: 'svc1', rid: 'ip#0', causation: started.id, data: { level: 'info', message: 'checking 10.0.0.42 availability' } });
  b.add('node1', { type: 'ResourceStatusChanged', svc: 'svc1', rid: 'ip#0', causation: started.id, data: { status: result === 'ok' ? 'up' : 'down', label: '10.0.0.42@eth0', log: [] } });
  b.add('node1', { type: 'ActionFinished', svc: 'svc1', causation: started.id, data: { action: 'start', result, durationMs: 12 } });
  return b;
}

describe('instance machine through the projection', () => {
  it('a new instance is frozen and idle; start goes starting -> idle with expect started', () => {
    const b = startLog('ok');
    const p = new InstancesProjection();
    p.apply(b.log[0]!);
    expect(p.get('svc1', 'node1')).toMatchObject({ frozen: true, monitorState: 'idle', expect: undefined });
    p.apply(b.log[1]!);
    expect(p.get('svc1', 'node1')).toMatchObject({ monitorState: 'starting' });
    for (const a of b.log.slice(2)) p.apply(a);
    expect(p.get('svc1', 'node1')).toMatchObject({ monitorState: 'idle', expect: 'started', lastAction: { action: 'start', result: 'ok' } });
    expect(p.get('svc1', 'node1')!.resources['ip#0']).toMatchObject({ status: 'up', label: '10.0.0.42@eth0' });
  });

  it('a failed start is `start failed`; an interrupted one too', () => {
    const p = new InstancesProjection();
    for (const a of startLog('failed').log) p.apply(a);
    expect(p.get('svc1', 'node1')!.monitorState).toBe('start failed');
    const b = new LogBuilder();
    const s = b.add('node1', { type: 'ActionStarted', svc: 'svc2', data: { action: 'stop', rids: [], argv: [] } });
    b.add('node1', { type: 'ActionInterrupted', svc: 'svc2', data: { action: 'stop', startedEvent: s.id } });
    const q = new InstancesProjection();
    for (const a of b.log) q.apply(a);
    expect(q.get('svc2', 'node1')!.monitorState).toBe('stop failed');
  });

  it('a DaemonStarted makes its node\'s instances unchecked until their next InstanceStatusChanged; other nodes\' are left alone', () => {
    const b = new LogBuilder();
    b.add('node1', { type: 'InstanceStatusChanged', svc: 'svc1', data: { avail: 'up', overall: 'up' } });
    b.add('node2', { type: 'InstanceStatusChanged', svc: 'svc1', data: { avail: 'down', overall: 'down' } });
    b.add('node1', { type: 'DaemonStarted', data: { pid: 1, version: 'x' } });
    const p = new InstancesProjection();
    for (const a of b.log) p.apply(a);
    expect(p.get('svc1', 'node1')).toMatchObject({ avail: 'up', unchecked: true });
    expect(p.get('svc1', 'node2')!.unchecked).toBeUndefined();
    // survives a checkpoint
    const q = InstancesProjection.restore(JSON.parse(JSON.stringify(p.checkpoint())) as ReturnType<typeof p.checkpoint>);
    expect(q.get('svc1', 'node1')!.unchecked).toBe(true);
    b.add('node1', { type: 'InstanceStatusChanged', svc: 'svc1', data: { avail: 'down', overall: 'down' } });
    p.apply(b.log[3]!);
    expect(p.get('svc1', 'node1')).toMatchObject({ avail: 'down' });
    expect(p.get('svc1', 'node1')!.unchecked).toBeUndefined();
  });

  it('thaw and freeze', () => {
    const b = new LogBuilder();
    b.add('node1', { type: 'InstanceThawed', svc: 'svc1', data: {} });
    const p = new InstancesProjection();
    p.apply(b.log[0]!);
    expect(p.get('svc1', 'node1')!.frozen).toBe(false);
    b.add('node1', { type: 'InstanceFrozen', svc: 'svc1', data: {} });
    p.apply(b.log[1]!);
    expect(p.get('svc1', 'node1')!.frozen).toBe(true);
  });

  it('takes the status of a resource it did not know, without crashing, and keeps its info/warn lines', () => {
    const b = new LogBuilder();
    b.add('node1', { type: 'ResourceLogged', svc: 'svc1', rid: 'fs#ghost', data: { level: 'info', message: 'x' } });
    b.add('node1', { type: 'ResourceStatusChanged', svc: 'svc1', rid: 'fs#ghost', data: { status: 'warn', label: 'ext4 /dev/loop9@/srv/ghost', log: ['warn: fs#ghost not in the config'] } });
    const p = new InstancesProjection();
    for (const a of b.log) p.apply(a);
    expect(p.get('svc1', 'node1')!.resources['fs#ghost']).toEqual({ status: 'warn', label: 'ext4 /dev/loop9@/srv/ghost', log: ['warn: fs#ghost not in the config'] });
  });

  it('replaying the same log twice gives the same state; a checkpoint restores it', () => {
    const b = startLog('ok');
    const p = new InstancesProjection();
    for (const a of b.log) p.apply(a);
    const once = p.get('svc1', 'node1');
    for (const a of b.log) p.apply(a);
    expect(p.get('svc1', 'node1')).toEqual(once);
    const q = InstancesProjection.restore(JSON.parse(JSON.stringify(p.checkpoint())));
    expect(q.get('svc1', 'node1')).toEqual(once);
    expect(q.lastSeq).toBe(b.log.length);
  });

  it('keeps instances per node', () => {
    const b = new LogBuilder();
    b.add('node1', { type: 'InstanceThawed', svc: 'svc1', data: {} });
    b.add('node2', { type: 'InstanceStatusChanged', svc: 'svc1', data: { avail: 'up', overall: 'up' } });
    const p = new InstancesProjection();
    for (const a of b.log) p.apply(a);
    expect(p.nodesOf('svc1')).toEqual(['node1', 'node2']);
    expect(p.get('svc1', 'node2')!.avail).toBe('up');
    expect(p.get('svc1', 'node1')!.avail).toBe('n/a');
  });
});

describe('history projection', () => {
  it('lists actions with who ran them and their result, once', () => {
    const b = startLog('ok');
    let h = emptyHistory;
    for (const a of [...b.log, ...b.log]) h = evolveHistory(h, a);
    expect(historyOf(h, 'svc1').map((e) => `${e.node} ${e.what} -> ${e.result} by ${e.by ?? '-'}`)).toEqual([
      'node1 config created -> checksum abc by -',
      'node1 start ip#0 -> running by root',
      'node1 start finished in 0.012s -> ok by root',
    ]);
    expect(historyOf(h, 'svc1')[2]!.causation).toBe(historyOf(h, 'svc1')[1]!.id);
  });

  it('is a value: an older version does not see what a newer one added', () => {
    const b = startLog('ok');
    let h = emptyHistory;
    for (const a of b.log.slice(0, 2)) h = evolveHistory(h, a);
    const older = h;
    const newer = evolveHistory(older, b.log[4]!);
    const branch = evolveHistory(older, b.log[4]!);
    expect(historyOf(older, 'svc1')).toHaveLength(2);
    expect(historyOf(newer, 'svc1')).toHaveLength(3);
    expect(historyOf(newer, 'svc1')[2]!.what).toMatch(/^start finished/);
    expect(historyOf(branch, 'svc1')).toHaveLength(3);
    expect(historyOf(newer, 'svc1')).toHaveLength(3);
  });
});

describe('history of orchestrated actions', () => {
  it('says why the orchestrator acted', () => {
    const b = new LogBuilder();
    b.add('node1', { type: 'ActionStarted', svc: 'svc1', data: { action: 'stop', rids: ['app#web'], argv: ['orchestrator', 'stop'], user: 'orchestrator', reason: 'monitored resource app#web down: stopping to relocate', relocation: true } });
    const h = b.log.reduce(evolveHistory, emptyHistory);
    expect(historyOf(h, 'svc1')[0]).toMatchObject({ what: 'stop app#web (relocation: monitored resource app#web down: stopping to relocate)', by: 'orchestrator' });
  });
});

describe('the event types projections read', () => {
  const types = Object.keys(EVENT_CATALOGUE) as EventType[];

  it('the instances projection reads every type that changes an instance, so a replay may skip the others undecoded', () => {
    const actor = createActor(instanceMachine, { input: { svc: 'svc1', node: 'node1' } });
    actor.start();
    const before = actor.getSnapshot();
    const resources = { 'fs#1': { status: 'up' as const, label: 'l', log: ['info: a'] } };
    for (const type of types.filter((t) => !InstancesProjection.consumes.has(t))) {
      const e = sampleEvent(type);
      const after = getNextSnapshot(instanceMachine, before, e);
      expect([type, after.value, after.context]).toEqual([type, before.value, before.context]);
      expect([type, evolveResources(resources, e)]).toEqual([type, resources]);
      expect([type, evolveAvail(UNKNOWN_AVAIL, e)]).toEqual([type, UNKNOWN_AVAIL]);
    }
    actor.stop();
  });

  it('a skipped record makes its instance known as its event would', () => {
    for (const type of types.filter((t) => !InstancesProjection.consumes.has(t))) {
      const e = sampleEvent(type, { origin: 'node2' });
      const applied = new InstancesProjection();
      applied.apply({ streamSeq: 3, event: e });
      const skipped = new InstancesProjection();
      skipped.skip(3, { origin: e.origin, svc: e.svc });
      expect([type, skipped.lastSeq, skipped.services(), skipped.nodesOf('svc1'), skipped.get('svc1', 'node2')]).toEqual([type, 3, applied.services(), applied.nodesOf('svc1'), applied.get('svc1', 'node2')]);
    }
  });

  it('history fed the undecoded records as skips is the history fed every event', () => {
    const b = startLog('ok');
    b.add('node1', { type: 'ResourceStarted', svc: 'svc1', rid: 'ip#0', data: { alreadyUp: false } });
    b.add('node1', { type: 'SchedulerJobRan', svc: 'svc1', data: { job: 'status', durationMs: 3, result: 'ok' } });
    b.add('node2', { type: 'ActionRejected', svc: 'svc1', data: { action: 'start', reason: 'frozen' } });
    const full = b.log.reduce(evolveHistory, emptyHistory);
    const skipping = b.log.reduce((h, a) => (HISTORY_TYPES.has(a.event.type) ? evolveHistory(h, a) : skipHistory(h, a.streamSeq)), emptyHistory);
    expect(skipping.lastSeq).toBe(full.lastSeq);
    expect(historyOf(skipping, 'svc1')).toEqual(historyOf(full, 'svc1'));
    expect(historyOf(full, 'svc1').map((e) => e.what)).toEqual(['config created', 'start ip#0', 'start finished in 0.012s', 'start rejected']);
  });

  it('history versions that moved apart do not see each other\'s entries, from the empty one either', () => {
    const b = startLog('ok');
    const created = b.log[0]!;
    const skipped = skipHistory(emptyHistory, 50);
    const other = evolveHistory(emptyHistory, created);
    expect(historyOf(other, 'svc1')).toHaveLength(1);
    expect(historyOf(skipped, 'svc1')).toEqual([]);
    expect(historyOf(emptyHistory, 'svc1')).toEqual([]);
    // same size, another lastSeq: the one that appends does not leak into the other
    const base = evolveHistory(emptyHistory, created);
    const moved = skipHistory(base, 3);
    const appended = evolveHistory(base, b.log[1]!);
    expect(historyOf(moved, 'svc1')).toHaveLength(1);
    expect(historyOf(appended, 'svc1')).toHaveLength(2);
    expect(historyOf(evolveHistory(moved, { streamSeq: 4, event: b.log[4]!.event }), 'svc1').map((e) => e.what)).toEqual(['config created', 'start finished in 0.012s']);
    expect(historyOf(appended, 'svc1')).toHaveLength(2);
  });

  it('history reads every type that makes a line', () => {
    for (const type of types) {
      expect([type, describeEvent(sampleEvent(type)) !== undefined]).toEqual([type, HISTORY_TYPES.has(type)]);
    }
  });
});
