import { describe, expect, it } from '@jest/globals';
import type { ServiceConfig } from '../../../domain/config/types.js';
import { InstancesProjection } from '../../../projections/instances.js';
import { instanceCell, renderSvcmon, renderThreads } from '../../../src/cli/svcmon/render.js';
import { painter } from '../../../src/cli/color.js';
import { daemonStatus, serviceStatus } from '../../../src/daemon/readModel.js';
import type { StatusInputs } from '../../../src/daemon/readModel.js';
import { serviceFilter } from '../../../src/cli/svcmon/svcmon.js';
import { LogBuilder } from '../../support/events.js';

const plain = painter('no', false);

const THREADS = [
  { name: 'listener', state: 'running' as const, address: '0.0.0.0:1214' },
  { name: 'monitor', state: 'running' as const },
  { name: 'scheduler', state: 'running' as const },
];

function svc1(): ServiceConfig {
  const res = (rid: string, driver: string) => ({ rid, driver, type: undefined, optional: driver === 'sync', disable: false, monitor: false, standby: false, restart: 0, tags: [], subset: undefined, kw: {} });
  return {
    name: 'svc1',
    id: '9e2c1f4a-52d8-4c43-9f8e-1b3a3c5f6d7e',
    app: 'MyApp',
    nodes: ['node1', 'node2'],
    drpnodes: [],
    orchestrate: 'no',
    placement: 'nodes order',
    topology: 'failover',
    defaults: {},
    resources: [res('app#web', 'app'), res('sync#i0', 'sync')],
  };
}

/** The tutorial's svc1 after `start --local` on node1: up, a sync warning, frozen as created. */
function tutorialLog(): InstancesProjection {
  const log = new LogBuilder();
  log.add('node1', { type: 'ServiceCreated', svc: 'svc1', data: { id: 'x', checksum: 'abc' } });
  const started = log.add('node1', { type: 'ActionStarted', svc: 'svc1', data: { action: 'start', rids: ['app#web'], argv: ['svc1', 'start', '--local'] } });
  log.add('node1', { type: 'ResourceStatusChanged', svc: 'svc1', rid: 'app#web', causation: started.id, data: { status: 'up', label: 'weblauncher', log: [] } });
  log.add('node1', { type: 'ResourceStatusChanged', svc: 'svc1', rid: 'sync#i0', causation: started.id, data: { status: 'warn', label: 'rsync svc config to drpnodes, nodes', log: ['warn: passive node needs update'] } });
  log.add('node1', { type: 'InstanceStatusChanged', svc: 'svc1', causation: started.id, data: { avail: 'up', overall: 'warn' } });
  log.add('node1', { type: 'ActionFinished', svc: 'svc1', causation: started.id, data: { action: 'start', result: 'ok', durationMs: 120 } });
  log.add('node2', { type: 'NodeFrozen', data: {} });
  const p = new InstancesProjection();
  for (const a of log.log) p.apply(a);
  return p;
}

function inputs(p: InstancesProjection, over: Partial<StatusInputs> = {}): StatusInputs {
  return {
    node: 'node1',
    cluster: 'c1',
    pid: 42,
    version: '0.1.0',
    threads: THREADS,
    clusterNodes: ['node1', 'node2'],
    load15m: 0.1,
    nodeFrozen: (n) => n === 'node2',
    projection: p,
    localServices: ['svc1'],
    localConfig: () => ({ config: svc1(), error: undefined }),
    ...over,
  };
}

describe('svcmon', () => {
  it('renders the tutorial\'s two-node screen', () => {
    const s = daemonStatus(inputs(tutorialLog()));
    const lines = renderSvcmon({ ...s, nodes: s.nodes.map((n) => ({ ...n, load15m: 0.1 })) }, plain);
    expect(lines).toEqual([
      'Threads                            node1 node2',
      ' listener  running 0.0.0.0:1214',
      ' monitor   running',
      ' scheduler running',
      '',
      'Nodes                              node1 node2',
      '  15m                            | 0.1   0.1',
      '  state                          |       *',
      '',
      'Services                           node1 node2',
      ' svc1      up!     failover      | O!*',
    ]);
  });

  it('renders the tutorial\'s first screen: one node, no service', () => {
    const s = daemonStatus(inputs(new InstancesProjection(), { clusterNodes: ['node1'], localServices: [], nodeFrozen: () => false }));
    expect(renderSvcmon(s, plain)).toEqual([
      'Threads                            node1',
      ' listener  running 0.0.0.0:1214',
      ' monitor   running',
      ' scheduler running',
      '',
      'Nodes                              node1',
      '  15m                            | 0.1',
      '  state                          |',
      '',
      'Services                           node1',
    ]);
    expect(renderThreads(s, plain)[0]).toBe('Threads                            node1');
  });

  it('marks instances: O up, X down, ! warn, / n/a, * frozen, the action in progress or failed', () => {
    const base = { node: 'node1', avail: 'up' as const, overall: 'up' as const, frozen: false, monitorState: 'idle', expect: undefined };
    expect(instanceCell(base)).toBe('O');
    expect(instanceCell({ ...base, avail: 'down', overall: 'down', frozen: true, monitorState: 'start failed' })).toBe('X* start failed');
    expect(instanceCell({ ...base, avail: 'warn', overall: 'warn' })).toBe('!');
    expect(instanceCell({ ...base, avail: 'n/a', overall: 'n/a', monitorState: 'starting' })).toBe('/ starting');
  });

  it('a service frozen on every node shows *, and the filter keeps the services asked for', () => {
    const log = new LogBuilder();
    log.add('node1', { type: 'InstanceStatusChanged', svc: 'web1', data: { avail: 'down', overall: 'down' } });
    log.add('node1', { type: 'InstanceThawed', svc: 'db1', data: {} });
    const p = new InstancesProjection();
    for (const a of log.log) p.apply(a);
    const s = daemonStatus(inputs(p, { clusterNodes: ['node1'], localServices: [], localConfig: () => undefined, nodeFrozen: () => false }));
    const keep = serviceFilter(['web*']);
    const lines = renderSvcmon(s, plain, keep ? { services: keep } : {});
    expect(lines.slice(-1)).toEqual([' web1      down*   failover      | X*']);
    expect(serviceFilter(['db1,web1'])!('db1')).toBe(true);
    expect(serviceFilter([])).toBeUndefined();
  });

  it('answers GET /services/svc1/status from the projection: peers unknown show daemon down', () => {
    const v = serviceStatus('svc1', 'node1', tutorialLog(), { config: svc1(), error: undefined })!;
    expect(v).toMatchObject({ name: 'svc1', avail: 'up', overall: 'warn', topology: 'failover' });
    expect(v.instances.map((i) => [i.node, i.avail, i.daemonDown, i.frozen, i.monitorState, i.expect])).toEqual([
      ['node2', 'undef', true, false, 'idle', undefined],
      ['node1', 'up', false, true, 'idle', 'started'],
    ]);
    expect(v.instances[1]!.resources.map((r) => [r.rid, r.status, r.label])).toEqual([
      ['app#web', 'up', 'weblauncher'],
      ['sync#i0', 'warn', 'rsync svc config to drpnodes, nodes'],
    ]);
    expect(serviceStatus('nope', 'node1', tutorialLog(), undefined)).toBeUndefined();
  });
});
