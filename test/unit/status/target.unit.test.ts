import { describe, expect, it } from '@jest/globals';
import { InstancesProjection } from '../../../projections/instances.js';
import { serviceView, upOnMany } from '../../../projections/statusView.js';
import type { InstanceView } from '../../../projections/statusView.js';
import { painter } from '../../../src/cli/color.js';
import { renderStatus } from '../../../src/cli/status/render.js';
import { columnWidths, instanceCell } from '../../../src/cli/svcmon/render.js';
import { daemonStatus } from '../../../src/daemon/readModel.js';
import { LogBuilder } from '../../support/events.js';

const plain = painter('no', false);
const inst = (node: string, o: Partial<InstanceView> = {}): InstanceView => ({ node, avail: 'down', overall: 'down', frozen: false, monitorState: 'idle', expect: undefined, daemonDown: false, resources: [], ...o });

describe("a service's target as OpenSVC shows its global expect", () => {
  it('svcmon: after the cell of an idle instance, never over the action in progress nor on an instance unknown', () => {
    const base = { node: 'node1', avail: 'down' as const, overall: 'down' as const, frozen: false, monitorState: 'idle', expect: undefined };
    expect(instanceCell(base, 'placed@node2')).toBe('X >placed@node2');
    expect(instanceCell({ ...base, frozen: true }, 'stopped')).toBe('X* >stopped');
    expect(instanceCell({ ...base, avail: 'up', overall: 'up', monitorState: 'stopping' }, 'placed@node2')).toBe('O stopping');
    expect(instanceCell({ ...base, avail: 'undef', overall: 'undef' }, 'stopped')).toBe('?');
  });

  it('svcmon: a long cell widens the columns, so it never runs into the next one', () => {
    expect(columnWidths(['node1', 'node2'], [['O stopping', 'X >placed@node2']], 33, 200)).toEqual([11, 11]);
    expect(columnWidths(['node1', 'node2'], [['O', 'X']], 33, 200)).toEqual([6, 6]);
  });

  it('print status: in the notes of the instances whose daemon can tell', () => {
    const v = { ...serviceView('svc1', 'failover', 'ha', [inst('node2', { avail: 'undef', overall: 'undef', daemonDown: true }), inst('node1', { avail: 'up', overall: 'up', expect: 'started' })]), target: 'placed@node2' };
    expect(renderStatus(v, plain)).toEqual([
      'svc1                           up',
      '`- instances',
      '   |- node2                    undef      daemon down',
      '   `- node1                    up         idle, started,',
      '                                          >placed@node2',
    ]);
  });
});

describe('a failover service up on two nodes is warn, loudly (OpenSVC\'s merge)', () => {
  const twice = serviceView('svc1', 'failover', 'ha', [inst('node2', { avail: 'up', overall: 'up' }), inst('node1', { avail: 'up', overall: 'up' })]);

  it('warn, never up; a flex service up on two is up', () => {
    expect(twice).toMatchObject({ avail: 'warn', overall: 'warn' });
    expect(upOnMany(twice)).toEqual(['node2', 'node1']);
    expect(serviceView('svc1', 'flex', 'no', [inst('node2', { avail: 'up', overall: 'up' }), inst('node1', { avail: 'up', overall: 'up' })])).toMatchObject({ avail: 'up' });
    // one up and one whose daemon cannot tell: up
    expect(serviceView('svc1', 'failover', 'ha', [inst('node2', { avail: 'up', overall: 'up', daemonDown: true }), inst('node1', { avail: 'up', overall: 'up' })])).toMatchObject({ avail: 'up' });
  });

  it('print status says so on its first line; the daemon status warns, where svcmon shows it', () => {
    expect(renderStatus(twice, plain)[0]).toBe('svc1                           warn       up on node2, node1: a failover service runs on one node');
    const log = new LogBuilder();
    for (const n of ['node1', 'node2']) log.add(n, { type: 'InstanceStatusChanged', svc: 'svc1', data: { avail: 'up', overall: 'up' } });
    const p = new InstancesProjection();
    for (const a of log.log) p.apply(a);
    const s = daemonStatus({ node: 'node1', cluster: 'c1', pid: 1, version: 'x', threads: [], clusterNodes: ['node1', 'node2'], load15m: 0, nodeFrozen: () => false, projection: p, localServices: [], localConfig: () => undefined });
    expect(s.services[0]).toMatchObject({ name: 'svc1', avail: 'warn' });
    expect(s.warnings).toEqual(['svc1: a failover service up on node1, node2 at once']);
  });
});
