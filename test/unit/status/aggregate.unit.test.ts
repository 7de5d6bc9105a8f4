import { describe, expect, it } from '@jest/globals';
import { aggregateAvail, aggregateOverall, resourceFlags } from '../../../domain/instance/status.js';
import type { ResourceState } from '../../../domain/instance/status.js';

function res(rid: string, status: ResourceState['status'], extra: Partial<ResourceState> = {}): ResourceState {
  return { rid, driver: rid.split('#')[0]!, status, label: '', optional: false, disable: false, standby: false, monitor: false, provisioned: true, log: [], ...extra };
}

describe('status aggregation rules', () => {
  it('all up is up, all down is down, a mix is warn', () => {
    expect(aggregateAvail([res('ip#0', 'up'), res('fs#a', 'up')])).toBe('up');
    expect(aggregateAvail([res('ip#0', 'down'), res('fs#a', 'down')])).toBe('down');
    expect(aggregateAvail([res('ip#0', 'down'), res('disk#0', 'up')])).toBe('warn');
  });
  it('a warn resource makes avail warn', () => {
    expect(aggregateAvail([res('ip#0', 'up'), res('app#a', 'warn')])).toBe('warn');
  });
  it('sync and optional resources do not count for avail, but warn the overall', () => {
    const rs = [res('ip#0', 'down'), res('sync#i0', 'warn'), res('app#x', 'up', { optional: true })];
    expect(aggregateAvail(rs)).toBe('down');
    expect(aggregateOverall(rs, 'down')).toBe('warn');
  });
  it('disabled resources are ignored', () => {
    const rs = [res('ip#0', 'up'), res('fs#a', 'warn', { disable: true })];
    expect(aggregateAvail(rs)).toBe('up');
    expect(aggregateOverall(rs, 'up')).toBe('up');
  });
  it('n/a resources are neutral, and nothing left is n/a', () => {
    expect(aggregateAvail([res('ip#0', 'up'), res('app#a', 'n/a')])).toBe('up');
    expect(aggregateAvail([res('sync#i0', 'n/a')])).toBe('n/a');
  });
  it('flags: monitored, disabled, optional, encap, provisioned, standby', () => {
    expect(resourceFlags(res('ip#0', 'up'))).toBe('......');
    expect(resourceFlags(res('sync#i0', 'n/a', { provisioned: undefined }))).toBe('..O./.');
    expect(resourceFlags(res('app#web', 'up', { provisioned: undefined, monitor: true }))).toBe('M.../.');
    expect(resourceFlags(res('fs#x', 'up', { disable: true, standby: true, provisioned: false }))).toBe('.D..PS');
  });
});
