import { describe, expect, it } from '@jest/globals';
import { parseServiceConfig } from '../../../domain/config/service.js';
import type { AnyEvent } from '../../../domain/events.js';
import type { Applied } from '../../../projections/instances.js';
import { InstancesProjection } from '../../../projections/instances.js';
import { describeEvent } from '../../../projections/history.js';
import { serviceFacts } from '../../../projections/orchestrationFacts.js';
import { targetLabel, targetOf } from '../../../projections/targets.js';
import { LogBuilder } from '../../support/events.js';

function project(log: readonly Applied[]): InstancesProjection {
  const p = new InstancesProjection();
  for (const a of log) p.apply(a);
  return p;
}

/** The same events in another stream order (each node's log holds its own first), sequences renumbered. */
function reordered(log: readonly Applied[], first: string): Applied[] {
  const events = [...log.filter((a) => a.event.origin === first), ...log.filter((a) => a.event.origin !== first)].map((a) => a.event);
  return events.map((event, i) => ({ streamSeq: i + 1, event }));
}

function request(b: LogBuilder, origin: string, target: string, action: string, node?: string): AnyEvent {
  return b.add(origin, { type: 'ServiceTargetRequested', svc: 'svc1', data: { target, action, by: 'root', ...(node !== undefined ? { node } : {}) } });
}

describe("the service's target, as every node reads it from the log", () => {
  it('the newest request on any node, whatever order the log holds them in', () => {
    const b = new LogBuilder();
    request(b, 'node1', 'stopped', 'stop');
    const sw = request(b, 'node2', 'placed', 'switch', 'node1');
    for (const log of [b.log, reordered(b.log, 'node2'), reordered(b.log, 'node1')]) {
      const p = project(log);
      expect(targetOf(p, 'svc1')).toMatchObject({ id: sw.id, target: 'placed', node: 'node1', action: 'switch', by: 'root', origin: 'node2', at: sw.time });
      expect(targetLabel(targetOf(p, 'svc1')!)).toBe('placed@node1');
    }
  });

  it('ended by any node (reached, failed, aborted): no target; a newer request is one again', () => {
    const b = new LogBuilder();
    const stop = request(b, 'node1', 'stopped', 'stop');
    b.add('node2', { type: 'ServiceTargetAborted', svc: 'svc1', causation: stop.id, data: { of: stop.id, target: 'stopped', by: 'root' } });
    expect(targetOf(project(b.log), 'svc1')).toBeUndefined();
    const start = request(b, 'node1', 'started', 'start');
    expect(targetOf(project(b.log), 'svc1')).toMatchObject({ id: start.id, target: 'started' });
    b.add('node1', { type: 'ServiceTargetReached', svc: 'svc1', causation: start.id, data: { of: start.id, target: 'started' } });
    expect(targetOf(project(b.log), 'svc1')).toBeUndefined();
    // an end naming an older request does not end the newer one
    request(b, 'node2', 'stopped', 'stop');
    b.add('node1', { type: 'ServiceTargetFailed', svc: 'svc1', causation: start.id, data: { of: start.id, target: 'started', reason: 'x' } });
    expect(targetOf(project(b.log), 'svc1')).toMatchObject({ target: 'stopped', origin: 'node2' });
  });

  it('a target of a kind this version does not know is none; the projection survives a snapshot', () => {
    const b = new LogBuilder();
    request(b, 'node1', 'provisioned', 'provision');
    expect(targetOf(project(b.log), 'svc1')).toBeUndefined();
    const stop = request(b, 'node1', 'stopped', 'stop');
    const restored = InstancesProjection.restore(JSON.parse(JSON.stringify(project(b.log).checkpoint())));
    expect(targetOf(restored, 'svc1')).toMatchObject({ id: stop.id });
  });

  it('the orchestrator learns the target and each instance\'s last action with its time, an interrupted one included', () => {
    const b = new LogBuilder();
    b.add('node1', { type: 'InstanceThawed', svc: 'svc1', data: {} });
    const stop = request(b, 'node1', 'stopped', 'stop');
    const begun = b.add('node1', { type: 'ActionStarted', svc: 'svc1', data: { action: 'stop', rids: [], argv: [], user: 'orchestrator' } });
    const cut = b.add('node1', { type: 'ActionInterrupted', svc: 'svc1', causation: begun.id, data: { action: 'stop', startedEvent: begun.id } });
    const cfg = parseServiceConfig({ text: '[DEFAULT]\nid = 9e2c1f4a-52d8-4c43-9f8e-1b3a3c5f6d7e\nnodes = node1 node2\norchestrate = ha\n', file: '/etc/opensvc/svc1.conf', svcname: 'svc1', nodename: 'node1' });
    const f = serviceFacts(cfg, 'node1', project(b.log));
    expect(f.target).toEqual({ id: stop.id, target: 'stopped', node: undefined, action: 'stop', by: 'root', origin: 'node1', at: Date.parse(stop.time) });
    expect(f.instances.node1).toMatchObject({ monitorState: 'stop failed', lastAction: { action: 'stop', result: 'interrupted', at: Date.parse(cut.time) } });
  });

  it('print history says which target who asked for, and how it ended', () => {
    const b = new LogBuilder();
    const sw = request(b, 'node1', 'placed', 'switch', 'node2');
    const ends = [
      b.add('node1', { type: 'ServiceTargetReached', svc: 'svc1', causation: sw.id, data: { of: sw.id, target: 'placed@node2' } }),
      b.add('node1', { type: 'ServiceTargetFailed', svc: 'svc1', causation: sw.id, data: { of: sw.id, target: 'placed@node2', reason: 'start failed on node2' } }),
      b.add('node2', { type: 'ServiceTargetAborted', svc: 'svc1', causation: sw.id, data: { of: sw.id, target: 'placed@node2', by: 'admin' } }),
    ];
    expect([sw, ...ends].map(describeEvent)).toEqual([
      { what: 'target placed@node2 (switch by root)', result: 'requested' },
      { what: 'target placed@node2', result: 'reached' },
      { what: 'target placed@node2', result: 'failed: start failed on node2' },
      { what: 'target placed@node2 aborted by admin', result: 'aborted' },
    ]);
  });
});
