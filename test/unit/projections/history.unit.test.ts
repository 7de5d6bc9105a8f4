import { describe, expect, it } from '@jest/globals';
import { clusterHistory, emptyHistory, evolveHistory, filterHistory, historyOf } from '../../../projections/history.js';
import { formatHistory } from '../../../src/cli/status/printHistory.js';
import { LogBuilder } from '../../support/events.js';

function cluster() {
  const b = new LogBuilder();
  b.add('node1', { type: 'DaemonStarted', data: { pid: 10, version: '0.1.0' } });
  b.add('node1', { type: 'InstanceThawed', svc: 'svc1', data: {} });
  b.add('node2', { type: 'PeerStateChanged', data: { node: 'node1', from: 'up', to: 'lost', why: 'silent on hb#1, no disk heartbeat or quorum to prove it down' } });
  b.add('node2', { type: 'InstanceFrozen', svc: 'svc2', data: {} });
  b.add('node1', { type: 'ResourceLogged', svc: 'svc1', rid: 'app#1', data: { level: 'info', message: 'x' } });
  b.add('node1', { type: 'QuorumChanged', data: { held: false, votes: 1, total: 3 } });
  return b;
}

describe('the cluster\'s history: every service and the nodes', () => {
  it('nodemgr print history: services\' and nodes\' entries in log order; a service\'s history has its own only', () => {
    const h = cluster().log.reduce(evolveHistory, emptyHistory);
    expect(clusterHistory(h).map((e) => `${e.node} ${e.svc ?? '-'} ${e.type}: ${e.what} -> ${e.result}`)).toEqual([
      'node1 - DaemonStarted: daemon started -> pid 10, version 0.1.0',
      'node1 svc1 InstanceThawed: thawed -> ok',
      'node2 - PeerStateChanged: peer node1 lost (was up) -> silent on hb#1, no disk heartbeat or quorum to prove it down',
      'node2 svc2 InstanceFrozen: frozen -> ok',
      'node1 - QuorumChanged: quorum lost -> 1 of 3 votes',
    ]);
    expect(historyOf(h, 'svc1').map((e) => e.type)).toEqual(['InstanceThawed']);
  });

  it('--node, --until and --type filter the entries', () => {
    const b = cluster();
    const all = clusterHistory(b.log.reduce(evolveHistory, emptyHistory));
    expect(filterHistory(all, { node: 'node2' }).map((e) => e.type)).toEqual(['PeerStateChanged', 'InstanceFrozen']);
    expect(filterHistory(all, { until: Date.parse(b.log[2]!.event.time) }).map((e) => e.type)).toEqual(['DaemonStarted', 'InstanceThawed', 'PeerStateChanged']);
    expect(filterHistory(all, { types: new Set(['InstanceFrozen', 'QuorumChanged']), node: 'node1' }).map((e) => e.type)).toEqual(['QuorumChanged']);
  });

  it('a version built before node events came keeps its own entries (a branch copies its part of the book)', () => {
    const b = cluster();
    const older = b.log.slice(0, 2).reduce(evolveHistory, emptyHistory);
    const newer = b.log.slice(2).reduce(evolveHistory, older);
    const branch = evolveHistory(older, b.log[3]!);
    expect(clusterHistory(older)).toHaveLength(2);
    expect(clusterHistory(newer)).toHaveLength(5);
    expect(clusterHistory(branch).map((e) => e.type)).toEqual(['DaemonStarted', 'InstanceThawed', 'InstanceFrozen']);
  });

  it('the cluster\'s lines have a service column, - for a node\'s own event', () => {
    const all = clusterHistory(cluster().log.reduce(evolveHistory, emptyHistory));
    expect(formatHistory(all.slice(0, 2), { svc: true })).toEqual([
      '2026-01-02 14:36:01Z  node1    -     daemon started  pid 10, version 0.1.0',
      '2026-01-02 14:36:02Z  node1    svc1  thawed          ok',
    ]);
  });
});
