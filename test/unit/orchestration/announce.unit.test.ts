import { describe, expect, it } from '@jest/globals';
import { announcements } from '../../../domain/orchestration/announce.js';
import { LogBuilder } from '../../support/events.js';

describe('gratuitous ARP again after a heal', () => {
  const runs = new Set(['svc1']);
  const on = (b: LogBuilder) => announcements(b.log.at(-1)!.event, 'node1', (s) => runs.has(s), () => ['svc1', 'svc2']);

  it('a peer up again after a loss or a cut: every service running here', () => {
    for (const from of ['alive', 'lost', 'down']) {
      const b = new LogBuilder();
      b.add('node1', { type: 'PeerStateChanged', data: { node: 'node2', from, to: 'up', why: 'beating on hb#1' } });
      expect(on(b)).toEqual([{ svc: 'svc1', reason: `node2 up again (was ${from})` }]);
    }
  });

  it('not for a first contact, another state, or what a peer recorded', () => {
    const b = new LogBuilder();
    b.add('node1', { type: 'PeerStateChanged', data: { node: 'node2', from: 'unknown', to: 'up', why: 'beating on hb#1' } });
    expect(on(b)).toEqual([]);
    b.add('node1', { type: 'PeerStateChanged', data: { node: 'node2', from: 'up', to: 'lost', why: 'silent' } });
    expect(on(b)).toEqual([]);
    b.add('node2', { type: 'PeerStateChanged', data: { node: 'node1', from: 'lost', to: 'up', why: 'beating on hb#1' } });
    expect(on(b)).toEqual([]);
  });

  it('a peer\'s stop of a service running here: that service', () => {
    const b = new LogBuilder();
    b.add('node2', { type: 'ActionFinished', svc: 'svc1', data: { action: 'stop', result: 'ok', durationMs: 900 } });
    expect(on(b)).toEqual([{ svc: 'svc1', reason: 'node2 stopped its copy' }]);
    b.add('node2', { type: 'ActionFinished', svc: 'svc2', data: { action: 'stop', result: 'ok', durationMs: 900 } });
    expect(on(b)).toEqual([]);
    b.add('node1', { type: 'ActionFinished', svc: 'svc1', data: { action: 'stop', result: 'ok', durationMs: 900 } });
    expect(on(b)).toEqual([]);
  });
});
