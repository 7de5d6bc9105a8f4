import { describe, expect, it } from '@jest/globals';
import { serviceView } from '../../../projections/statusView.js';
import type { InstanceView } from '../../../projections/statusView.js';
import { painter } from '../../../src/cli/color.js';
import { renderStatus } from '../../../src/cli/status/render.js';
import { columnWidths, instanceCell } from '../../../src/cli/svcmon/render.js';

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
