import fs from 'node:fs';
import { beforeAll, describe, expect, test } from '@jest/globals';
import { EventStore } from '../../../adapters/nats/eventStore.js';
import { makeEvent } from '../../../domain/events.js';
import type { AnyEvent } from '../../../domain/events.js';
import { loadClusterIdentity } from '../../../src/config/identity.js';
import { daemonRequest } from '../../../src/daemon/client.js';
import type { EventsPage } from '../../../src/daemon/monitor.js';
import { natsTarget } from '../../../src/events/natsTarget.js';
import { useTestScope } from '../../support/jest.js';
import { daemonNode, ensureBuilt } from './support.js';
import type { DaemonNode } from './support.js';

/** Every page of GET /events from `since`, following `more`. */
async function allPages(n: DaemonNode, since: number, limit: number): Promise<EventsPage[]> {
  const pages: EventsPage[] = [];
  for (let s = since; ; ) {
    const p = (await daemonRequest<EventsPage>(n.paths, 'GET', `/events?since=${s}&limit=${limit}`)).body;
    pages.push(p);
    if (!p.more) return pages;
    expect(p.events.length).toBeGreaterThan(0);
    s = p.events[p.events.length - 1]!.streamSeq;
  }
}

async function writer(n: DaemonNode): Promise<EventStore> {
  const target = natsTarget(n.paths);
  return EventStore.open({ ...target.endpoint, cluster: loadClusterIdentity(n.paths).name, limits: target.limits });
}

describe('GET /events pages through the whole log, after a restart too', () => {
  const scope = useTestScope();
  beforeAll(() => ensureBuilt(), 240_000);

  test('since=0 after a restart starts at the stream\'s first event, not the snapshot: more says a page follows, truncated says what is gone and why', async () => {
    const n = await daemonNode(scope());
    await n.start();
    // a peer's events, as the heartbeats would have brought them
    const store = await writer(n);
    try {
      const cluster = store.cluster;
      const peer: AnyEvent[] = Array.from({ length: 120 }, (_, i) => makeEvent({ type: i % 2 ? 'InstanceThawed' : 'InstanceFrozen', svc: 'svc9', data: {} }, { cluster, origin: 'node9', seq: i + 1, time: new Date(Date.UTC(2026, 0, 2, 14, 0, i)).toISOString() }) as AnyEvent);
      await store.append(peer);
      await n.stop();
      // restarted, the daemon holds the events after its snapshot only
      await n.start();
      const rebuilt = fs.readFileSync(n.paths.agentLog, 'utf8').split('\n').filter((l) => l.includes('projections rebuilt from the log')).map((l) => JSON.parse(l) as { fromSnapshot: number });
      expect(rebuilt[rebuilt.length - 1]!.fromSnapshot).toBeGreaterThan(120);
      const stored = (await n.events()).map((e) => [e.streamSeq, e.event.id]);

      const first = (await daemonRequest<EventsPage>(n.paths, 'GET', '/events?since=0&limit=50')).body;
      expect(first).toMatchObject({ more: true, truncated: false });
      expect(first.events.map((e) => e.streamSeq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
      const pages = await allPages(n, 0, 50);
      const read = pages.flatMap((p) => p.events.map((e) => [e.streamSeq, e.event.id]));
      expect(read).toEqual(stored.filter(([seq]) => (seq as number) <= pages[pages.length - 1]!.lastSeq));
      expect(pages.every((p) => p.truncated === false)).toBe(true);
      expect(pages[pages.length - 1]).toMatchObject({ more: false });

      // a sequence past the stream's end: another stream than the caller followed
      const ahead = (await daemonRequest<EventsPage>(n.paths, 'GET', `/events?since=${first.lastSeq + 1000}`)).body;
      expect(ahead).toMatchObject({ events: [], more: false, truncated: 'stream' });

      // the stream's limits dropped the oldest: what remains is served, and it says they are gone
      await store.jsm.streams.purge(store.auditStream, { seq: 11 });
      const purged = (await daemonRequest<EventsPage>(n.paths, 'GET', '/events?since=0&limit=5')).body;
      expect(purged).toMatchObject({ more: true, truncated: 'retention' });
      expect(purged.events.map((e) => e.streamSeq)).toEqual([11, 12, 13, 14, 15]);
      expect((await daemonRequest<EventsPage>(n.paths, 'GET', '/events?since=10&limit=5')).body).toMatchObject({ truncated: false });
    } finally {
      await store.close();
    }
    await n.stop();
  });
});
