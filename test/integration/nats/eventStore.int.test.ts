import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { EventStore } from '../../../adapters/nats/eventStore.js';
import type { InvalidRecord, SkippedRecord, StoredEvent } from '../../../adapters/nats/eventStore.js';
import { makeEvent } from '../../../domain/events.js';
import type { AnyEvent } from '../../../domain/events.js';
import { startTestNats, type TestNats } from '../../support/nats.js';
import { waitFor } from '../../support/wait.js';

function events(origin: string, from: number, n: number, cluster = 'c1'): AnyEvent[] {
  const out: AnyEvent[] = [];
  for (let i = 0; i < n; i++) {
    out.push(
      makeEvent(
        { type: 'ResourceLogged', svc: 'svc1', rid: 'app#web', data: { level: 'info', message: `line ${from + i}` } },
        { cluster, origin, seq: from + i, time: new Date(1_700_000_000_000 + i).toISOString() },
      ),
    );
  }
  return out;
}

async function all(store: EventStore, invalid: InvalidRecord[] = []): Promise<StoredEvent[]> {
  const got: StoredEvent[] = [];
  await store.replay({ onInvalid: (r) => invalid.push(r) }, (e) => got.push(e));
  return got;
}

describe('EventStore against a real nats-server', () => {
  let nats: TestNats;
  beforeAll(async () => {
    nats = await startTestNats();
  });
  afterAll(async () => {
    await nats.stop();
  });

  it('replays appended events in order', async () => {
    const store = await EventStore.open({ ...nats.endpoint, cluster: 'order' });
    try {
      await store.append(events('node1', 1, 50, 'order'));
      await store.append(events('node1', 51, 50, 'order'));
      const got = await all(store);
      expect(got.map((g) => g.event.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
      expect(await store.lastSeqOf('node1')).toBe(100);
      expect(await store.lastSeqOf('node2')).toBe(0);
    } finally {
      await store.close();
    }
  });

  it('stores a retried append once', async () => {
    const store = await EventStore.open({ ...nats.endpoint, cluster: 'retry' });
    try {
      const batch = events('node1', 1, 20, 'retry');
      await store.append(batch);
      await store.append(batch.slice(5, 12));
      await store.append(batch);
      const got = await all(store);
      expect(got).toHaveLength(20);
      expect(got.map((g) => g.event.id)).toEqual(batch.map((e) => e.id));
    } finally {
      await store.close();
    }
  });

  it('replays from a sequence and from a time, and filters by subject', async () => {
    const store = await EventStore.open({ ...nats.endpoint, cluster: 'from' });
    try {
      await store.append(events('node1', 1, 10, 'from'));
      await store.append(events('node2', 1, 5, 'from'));
      const fromSeq: StoredEvent[] = [];
      await store.replay({ fromSeq: 8 }, (e) => fromSeq.push(e));
      expect(fromSeq.map((e) => e.event.id)).toEqual(['node1:8', 'node1:9', 'node1:10', 'node2:1', 'node2:2', 'node2:3', 'node2:4', 'node2:5']);
      const n2: StoredEvent[] = [];
      await store.replay({ subject: 'osvc.from.evt.node2.>' }, (e) => n2.push(e));
      expect(n2.map((e) => e.event.origin)).toEqual(Array(5).fill('node2'));
      const future: StoredEvent[] = [];
      await store.replay({ fromTime: new Date(Date.now() + 60_000) }, (e) => future.push(e));
      expect(future).toHaveLength(0);
      const past: StoredEvent[] = [];
      await store.replay({ fromTime: new Date(Date.now() - 60_000) }, (e) => past.push(e));
      expect(past).toHaveLength(15);
    } finally {
      await store.close();
    }
  });

  it('decodes only the types asked for, the last N records whatever their type, and says what the others are', async () => {
    const store = await EventStore.open({ ...nats.endpoint, cluster: 'types.x' });
    try {
      const at = (seq: number) => ({ cluster: 'types.x', origin: 'node1', seq, time: new Date(1_700_000_000_000 + seq).toISOString() });
      await store.append([
        makeEvent({ type: 'NodeFrozen', data: {} }, at(1)),
        makeEvent({ type: 'ActionStarted', svc: 'svc1', data: { action: 'start', rids: [], argv: [] } }, at(2)),
        makeEvent({ type: 'ResourceStarted', svc: 'svc1', rid: 'fs#1', data: { alreadyUp: false } }, at(3)),
        makeEvent({ type: 'SchedulerJobRan', svc: 'svc1', data: { job: 'status', durationMs: 1, result: 'ok' } }, at(4)),
        makeEvent({ type: 'ActionFinished', svc: 'svc1', data: { action: 'start', result: 'ok', durationMs: 1 } }, at(5)),
        makeEvent({ type: 'ResourceStarted', svc: 'svc1', rid: 'ip#0', data: { alreadyUp: true } }, at(6)),
      ]);
      const decoded: string[] = [];
      const skipped: SkippedRecord[] = [];
      const types = new Set(['ActionStarted', 'ActionFinished']);
      const end = await store.replay({ types, onSkipped: (r) => skipped.push(r) }, (e) => decoded.push(`${e.streamSeq} ${e.event.type}`));
      expect(end).toBe(6);
      expect(decoded).toEqual(['2 ActionStarted', '5 ActionFinished']);
      expect(skipped).toEqual([
        { streamSeq: 1, type: 'NodeFrozen', origin: 'node1', svc: undefined, rid: undefined },
        { streamSeq: 3, type: 'ResourceStarted', origin: 'node1', svc: 'svc1', rid: 'fs#1' },
        { streamSeq: 4, type: 'SchedulerJobRan', origin: 'node1', svc: 'svc1', rid: undefined },
        { streamSeq: 6, type: 'ResourceStarted', origin: 'node1', svc: 'svc1', rid: 'ip#0' },
      ]);
      decoded.length = 0;
      skipped.length = 0;
      await store.replay({ types, decodeLast: 3, onSkipped: (r) => skipped.push(r) }, (e) => decoded.push(`${e.streamSeq} ${e.event.type}`));
      expect(decoded).toEqual(['2 ActionStarted', '4 SchedulerJobRan', '5 ActionFinished', '6 ResourceStarted']);
      expect(skipped.map((r) => r.streamSeq)).toEqual([1, 3]);
    } finally {
      await store.close();
    }
  });

  it('replays event ids from message ids; a record without one is decoded, a bad one reported', async () => {
    const store = await EventStore.open({ ...nats.endpoint, cluster: 'ids' });
    try {
      await store.append([...events('node1', 1, 3, 'ids'), ...events('node2', 1, 2, 'ids')]);
      const raw = events('node3', 7, 1, 'ids')[0]!;
      await store.publishRaw('osvc.ids.evt.node3.svc.svc1.res.app#web.ResourceLogged', new TextEncoder().encode(JSON.stringify(raw)));
      await store.publishRaw('osvc.ids.evt.node3.node.NodeFrozen', new TextEncoder().encode('{not json'));
      // a message id that is not <origin>:<seq> of the subject's origin is not believed: the body is read
      await store.js.publish('osvc.ids.evt.node3.node.NodeThawed', new TextEncoder().encode('{not json either'), { msgID: 'node1:999999' });
      await store.js.publish('osvc.ids.evt.node3.node.NodeThawed', new TextEncoder().encode('{not json either'), { msgID: 'node3:1e3' });
      const ids: string[] = [];
      const invalid: InvalidRecord[] = [];
      const end = await store.replayIds({ onInvalid: (r) => invalid.push(r) }, (streamSeq, origin, seq) => ids.push(`${streamSeq} ${origin}:${seq}`));
      expect(end).toBe(9);
      expect(ids).toEqual(['1 node1:1', '2 node1:2', '3 node1:3', '4 node2:1', '5 node2:2', '6 node3:7']);
      expect(invalid.map((r) => [r.streamSeq, r.reason])).toEqual([
        [7, 'not valid JSON'],
        [8, 'not valid JSON'],
        [9, 'not valid JSON'],
      ]);
    } finally {
      await store.close();
    }
  });

  it('decodes a record whose subject is not of the shape it expects, and reports it if it is bad', async () => {
    const store = await EventStore.open({ ...nats.endpoint, cluster: 'oddsubj' });
    try {
      await store.append(events('node1', 1, 1, 'oddsubj'));
      await store.publishRaw('osvc.oddsubj.evt.node1.weird', new TextEncoder().encode('{not json'));
      await store.publishRaw('osvc.oddsubj.evt.node1.svc.svc1.Bogus', new TextEncoder().encode('{not json'));
      const invalid: InvalidRecord[] = [];
      const skipped: SkippedRecord[] = [];
      await store.replay({ types: new Set(), onInvalid: (r) => invalid.push(r), onSkipped: (r) => skipped.push(r) }, () => undefined);
      expect(skipped.map((r) => r.type)).toEqual(['ResourceLogged']);
      // an unknown type is decoded, not skipped: reported
      expect(invalid).toEqual([
        { streamSeq: 2, subject: 'osvc.oddsubj.evt.node1.weird', reason: 'not valid JSON' },
        { streamSeq: 3, subject: 'osvc.oddsubj.evt.node1.svc.svc1.Bogus', reason: 'not valid JSON' },
      ]);
    } finally {
      await store.close();
    }
  });

  it('skips a corrupt record with a clear report and keeps reading', async () => {
    const store = await EventStore.open({ ...nats.endpoint, cluster: 'corrupt' });
    try {
      await store.append(events('node1', 1, 3, 'corrupt'));
      await store.publishRaw('osvc.corrupt.evt.node1.node.Garbage', new TextEncoder().encode('{not json'));
      await store.publishRaw('osvc.corrupt.evt.node1.node.NodeFrozen', new TextEncoder().encode('{"type":"NodeFrozen"}'));
      await store.append(events('node1', 4, 2, 'corrupt'));
      const invalid: InvalidRecord[] = [];
      const got = await all(store, invalid);
      expect(got.map((g) => g.event.seq)).toEqual([1, 2, 3, 4, 5]);
      expect(invalid).toEqual([
        { streamSeq: 4, subject: 'osvc.corrupt.evt.node1.node.Garbage', reason: 'not valid JSON' },
        { streamSeq: 5, subject: 'osvc.corrupt.evt.node1.node.NodeFrozen', reason: 'NodeFrozen: envelope field id must be a non-empty string' },
      ]);
    } finally {
      await store.close();
    }
  });

  it('follows new events live', async () => {
    const store = await EventStore.open({ ...nats.endpoint, cluster: 'live' });
    try {
      const seen: string[] = [];
      const stop = await store.follow({}, (e) => seen.push(e.event.id));
      await store.append(events('node1', 1, 3, 'live'));
      await waitFor('the three events followed', () => seen.length >= 3, 5000, 10);
      await stop();
      expect(seen).toEqual(['node1:1', 'node1:2', 'node1:3']);
    } finally {
      await store.close();
    }
  });

  it('keeps every event exactly once and in order when nats-server is killed -9 mid-append', async () => {
    const store = await EventStore.open({ ...nats.endpoint, cluster: 'crash' });
    try {
      const batch = events('node1', 1, 10_000, 'crash');
      const appending = store.append(batch, 64);
      // kill once the stream holds some of the batch, then bring the server back
      await waitFor('the stream to hold part of the batch', async () => ((await store.jsm.streams.info(store.auditStream).catch(() => undefined))?.state.messages ?? 0) > 1500, 30_000, 5);
      const pid = nats.supervisor.pid!;
      process.kill(pid, 'SIGKILL');
      await appending;
      expect(nats.supervisor.pid).not.toBe(pid);
      const got = await all(store);
      expect(got).toHaveLength(10_000);
      expect(got.every((g, i) => g.event.seq === i + 1)).toBe(true);
    } finally {
      await store.close();
    }
  });

  it('the stream\'s end watched: every watcher of a period gets each reading, until it stops watching', async () => {
    const store = await EventStore.open({ ...nats.endpoint, cluster: 'end' });
    try {
      await store.append(events('node1', 1, 3, 'end'));
      const a: (number | Error)[] = [];
      const b: (number | Error)[] = [];
      const stopA = store.watchStreamEnd(100, (x) => a.push(x));
      const stopB = store.watchStreamEnd(100, (x) => b.push(x));
      await waitFor('both watchers read the end', () => a.includes(3) && b.includes(3), 5000);
      await store.append(events('node1', 4, 2, 'end'));
      await waitFor('both watchers read the new end', () => a.includes(5) && b.includes(5), 5000);
      // one reading hands the same value to each watcher, in the same turn
      expect(b.slice(0, a.length)).toEqual(a.slice(0, b.length));
      stopA();
      const seen = a.length;
      await waitFor('b still watching', () => b.length >= seen + 3, 5000);
      expect(a).toHaveLength(seen);
      stopB();
    } finally {
      await store.close();
    }
  });
});

