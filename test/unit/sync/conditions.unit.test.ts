import { describe, expect, it } from '@jest/globals';
import { decideSync, formatDelay, syncTargets, type SyncInput } from '../../../domain/sync/conditions.js';
import { checkServiceConfig } from '../../../domain/config/service.js';

const NOW = 1_800_000_000_000;
const given = (o: Partial<SyncInput> = {}): SyncInput => ({
  svc: 'svc1',
  from: 'node1',
  nodes: ['node1', 'node2'],
  drpnodes: [],
  asked: undefined,
  availAppsExcluded: 'up',
  lastSync: {},
  minDelay: 300,
  force: false,
  now: NOW,
  ...o,
});

describe('sync nodes conditions', () => {
  it('sends to every other node of nodes and drpnodes, each once, this node left out', () => {
    expect(syncTargets('node1', ['node1', 'node2'], ['node3', 'node2'])).toEqual(['node2', 'node3']);
    expect(decideSync(given({ drpnodes: ['node3'] }))).toEqual([
      { node: 'node2', send: true },
      { node: 'node3', send: true },
    ]);
  });

  it('has nothing to send when the service has no other node', () => {
    expect(decideSync(given({ nodes: ['node1'] }))).toEqual([]);
  });

  it('refuses a node that is not in nodes or drpnodes', () => {
    expect(decideSync(given({ asked: ['node9'] }))).toEqual([{ node: 'node9', send: false, reason: 'node9 is not in svc1 nodes or drpnodes: not sent' }]);
  });

  it('refuses when the service is not up here, apps excluded, even with --force', () => {
    for (const avail of ['down', 'warn', 'n/a']) {
      expect(decideSync(given({ availAppsExcluded: avail, force: true }))).toEqual([{ node: 'node2', send: false, reason: 'svc1 is not up on node1, apps excluded: not sent' }]);
    }
  });

  it('refuses a sync sooner than sync_min_delay after the previous one, unless --force', () => {
    const lastSync = { node2: NOW - 42_000 };
    expect(decideSync(given({ lastSync }))).toEqual([
      { node: 'node2', send: false, reason: 'the last sync to node2 was 42s ago, less than sync_min_delay 5m: not sent (--force to send now)' },
    ]);
    expect(decideSync(given({ lastSync, force: true }))).toEqual([{ node: 'node2', send: true }]);
    expect(decideSync(given({ lastSync: { node2: NOW - 300_000 } }))).toEqual([{ node: 'node2', send: true }]);
  });

  it('checks the delay per node', () => {
    expect(decideSync(given({ nodes: ['node1', 'node2', 'node3'], lastSync: { node2: NOW - 1000 } })).map((v) => v.send)).toEqual([false, true]);
  });

  it('formats delays as a user writes them', () => {
    expect([0, 59, 60, 300, 3725].map(formatDelay)).toEqual(['0s', '59s', '1m', '5m', '1h2m5s']);
  });
});

describe('sync_min_delay', () => {
  const ID = '0b1d3c1e-9f35-4c86-9c5e-2d3f0e1f2a3b';
  const sync = (text: string) => {
    const c = checkServiceConfig({ text, file: 'svc1.conf', svcname: 'svc1', nodename: 'node1' });
    if (!c.ok) throw new Error(c.problems.join('\n'));
    return c.config.resources.find((r) => r.rid === 'sync#i0')!;
  };

  it('defaults to 5 minutes on the implicit sync#i0', () => {
    expect(sync(`[DEFAULT]\nid = ${ID}\n`).kw.sync_min_delay).toBe(300);
  });

  it('is set in a [sync#i0] section that needs no src nor dst', () => {
    expect(sync(`[DEFAULT]\nid = ${ID}\n\n[sync#i0]\nsync_min_delay = 1m\n`).kw.sync_min_delay).toBe(60);
  });

  it('is a duration', () => {
    const c = checkServiceConfig({ text: `[DEFAULT]\nid = ${ID}\n\n[sync#i0]\nsync_min_delay = soon\n`, file: 'svc1.conf', svcname: 'svc1', nodename: 'node1' });
    expect(c.ok).toBe(false);
  });
});
