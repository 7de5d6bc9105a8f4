import { describe, expect, it } from '@jest/globals';
import { InstancesProjection } from '../../../projections/instances.js';
import { LoggedConfigs } from '../../../projections/serviceConfigs.js';
import { serviceStatus, serviceSummary } from '../../../src/daemon/readModel.js';
import { LogBuilder } from '../../support/events.js';

const text = (topology: string) => `[DEFAULT]\nid = 9e2c1f4a-52d8-4c43-9f8e-1b3a3c5f6d7e\nnodes = node1 node2 node3\ntopology = ${topology}\n[app#web]\nscript = weblauncher\noptional = true\n`;

/** svc1 created on node1 and node2 (their configs in the log), never on node3. */
function log(): LogBuilder {
  const b = new LogBuilder();
  b.add('node1', { type: 'ServiceCreated', svc: 'svc1', data: { id: '1', checksum: 'a', text: text('failover') } as never });
  b.add('node2', { type: 'ServiceCreated', svc: 'svc1', data: { id: '1', checksum: 'a', text: text('failover') } as never });
  b.add('node1', { type: 'ServiceConfigChanged', svc: 'svc1', data: { changed: ['DEFAULT.topology'], checksum: 'b', text: text('flex') } as never });
  b.add('node1', { type: 'ResourceStatusChanged', svc: 'svc1', rid: 'app#web', data: { status: 'up', label: 'weblauncher', log: [] } });
  return b;
}

describe('the configs the log carries', () => {
  it('each node\'s last record stands, whatever order they are applied in; the newest on any node is the service\'s', () => {
    const events = log().log.map((a) => a.event);
    const inOrder = new LoggedConfigs();
    const reversed = new LoggedConfigs();
    for (const e of events) inOrder.apply(e);
    for (const e of [...events].reverse()) reversed.apply(e);
    for (const c of [inOrder, reversed]) {
      expect(c.of('svc1', 'node1')?.topology).toBe('flex');
      expect(c.of('svc1', 'node2')?.topology).toBe('failover');
      expect(c.of('svc1', 'node3')).toBeUndefined();
      expect(c.newest('svc1')?.topology).toBe('flex');
    }
  });

  it('a whole service deleted on a node: its config there is gone', () => {
    const b = log();
    b.add('node1', { type: 'ServiceDeleted', svc: 'svc1', data: { rids: [] } });
    const c = new LoggedConfigs();
    for (const a of b.log) c.apply(a.event);
    expect(c.of('svc1', 'node1')).toBeUndefined();
    expect(c.newest('svc1')?.topology).toBe('failover');
  });

  it('print status and svcmon from node1 (config here) and node3 (none): the same service, node3 not configured while it beats', () => {
    const b = log();
    const p = new InstancesProjection();
    for (const a of b.log) p.apply(a);
    const logged = new LoggedConfigs();
    for (const a of b.log) logged.apply(a.event);
    const local1 = { config: logged.of('svc1', 'node1'), error: undefined };
    const on = (node: string, local: typeof local1 | undefined) => {
      const v = serviceStatus('svc1', node, p, local, () => false, { logged, peerUp: () => true })!;
      return { ...v, instances: [...v.instances].sort((x, y) => x.node.localeCompare(y.node)) };
    };
    const from1 = on('node1', local1);
    const from3 = on('node3', undefined);
    expect(from3).toEqual(from1);
    expect(from1.topology).toBe('flex');
    expect(from1.instances.map((i) => [i.node, i.notConfigured === true, i.daemonDown])).toEqual([['node1', false, false], ['node2', false, false], ['node3', true, false]]);
    // node1's resources with its own flags, read from its record on node3 too
    expect(from3.instances[0]!.resources.find((r) => r.rid === 'app#web')).toMatchObject({ status: 'up', optional: true });
    // not beating: daemon down, as before
    expect(serviceStatus('svc1', 'node1', p, local1, () => false, { logged })!.instances.find((i) => i.node === 'node3')).toMatchObject({ daemonDown: true });
    expect(serviceSummary('svc1', p, undefined, () => false, logged)).toEqual(serviceSummary('svc1', p, local1, () => false, logged));
  });
});
