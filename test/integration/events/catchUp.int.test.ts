import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { EventStore } from '../../../adapters/nats/eventStore.js';
import type { InvalidRecord } from '../../../adapters/nats/eventStore.js';
import { makeEvent } from '../../../domain/events.js';
import type { AnyEvent, NewEvent } from '../../../domain/events.js';
import { historyOf } from '../../../projections/history.js';
import { catchUp } from '../../../src/events/catchUp.js';
import type { CatchUpResult } from '../../../src/events/catchUp.js';
import { startTestNats, type TestNats } from '../../support/nats.js';

/** A log of every kind the read models care about, and of kinds they skip: actions, statuses, lines, freezes, scheduler runs, on two nodes. */
function log(cluster: string, services: number, actions: number): AnyEvent[] {
  const seqs = new Map<string, number>();
  const out: AnyEvent[] = [];
  const add = (origin: string, e: NewEvent): AnyEvent => {
    const seq = (seqs.get(origin) ?? 0) + 1;
    seqs.set(origin, seq);
    const ev = makeEvent(e, { cluster, origin, seq, time: new Date(Date.UTC(2026, 0, 1) + out.length * 1000).toISOString() }) as AnyEvent;
    out.push(ev);
    return ev;
  };
  add('node1', { type: 'NodeFrozen', data: {} });
  for (let s = 0; s < services; s++) add('node1', { type: 'ServiceCreated', svc: `svc${s}`, data: { id: `id${s}`, checksum: 'abc' } });
  for (let i = 0; i < actions; i++) {
    const svc = `svc${i % services}`;
    const node = i % 3 === 0 ? 'node2' : 'node1';
    if (i % 7 === 0) add(node, { type: 'InstanceThawed', svc, data: {} });
    const action = i % 2 === 0 ? 'start' : 'stop';
    const started = add(node, { type: 'ActionStarted', svc, data: { action, rids: ['ip#0', 'app#web'], argv: [svc, action], user: 'root' } });
    for (const rid of ['ip#0', 'app#web']) {
      add(node, { type: action === 'start' ? 'ResourceStartRequested' : 'ResourceStopRequested', svc, rid, causation: started.id, data: {} });
      add(node, { type: 'ResourceLogged', svc, rid, causation: started.id, data: { level: 'info', message: `${action} ${rid} #${i}` } });
      add(node, { type: 'ResourceStatusChanged', svc, rid, causation: started.id, data: { status: action === 'start' ? 'up' : 'down', label: rid, log: [] } });
    }
    add(node, { type: 'InstanceStatusChanged', svc, causation: started.id, data: { avail: action === 'start' ? 'up' : 'down', overall: action === 'start' ? 'up' : 'down' } });
    add(node, { type: 'ActionFinished', svc, causation: started.id, data: { action, result: i % 11 === 0 ? 'failed' : 'ok', durationMs: 5, ...(i % 11 === 0 ? { error: 'boom' } : {}) } });
    add(node, { type: 'SchedulerJobRan', svc, data: { job: 'status', durationMs: 2, result: 'ok' } });
  }
  add('node2', { type: 'NodeThawed', data: {} });
  return out;
}

/** What a catch-up built, as data to compare. */
function view(r: CatchUpResult) {
  const instances = r.instances.checkpoint();
  const svcs = [...new Set(instances.instances.map((i) => i.svc))].sort();
  return {
    end: r.end,
    count: r.count,
    lastId: r.lastId,
    lastIdSeq: r.lastIdSeq,
    nodes: r.nodes,
    instances: [...instances.instances].sort((a, b) => `${a.svc}/${a.node}`.localeCompare(`${b.svc}/${b.node}`)),
    lastSeq: instances.lastSeq,
    recent: r.recent.map((e) => `${e.streamSeq} ${e.event.id}`),
    history: r.history ? svcs.map((s) => historyOf(r.history!, s)) : undefined,
  };
}

describe('catching up the read models from the log', () => {
  let nats: TestNats;
  let store: EventStore;
  beforeAll(async () => {
    nats = await startTestNats();
    store = await EventStore.open({ ...nats.endpoint, cluster: 'cu' });
    await store.append(log('cu', 7, 1500));
    await store.publishRaw('osvc.cu.evt.node1.svc.svc1.ActionStarted', new TextEncoder().encode('{not json'));
  }, 120_000);
  afterAll(async () => {
    await store?.close();
    await nats?.stop();
  });

  it('builds, without decoding what no model reads, the models every record decoded builds; bad records are reported', async () => {
    const invalid: InvalidRecord[] = [];
    const invalidAll: InvalidRecord[] = [];
    const spec = { history: true, recent: 50 };
    const r = await catchUp(store, { spec, onInvalid: (x) => invalid.push(x) });
    const all = await catchUp(store, { spec, decodeAll: true, onInvalid: (x) => invalidAll.push(x) });
    // the recent events: the tail where every record is decoded, the last 50 records less the bad one
    expect(view({ ...r, recent: [] })).toEqual(view({ ...all, recent: [] }));
    expect(r.recent.map((e) => e.streamSeq)).toEqual(all.recent.map((e) => e.streamSeq).filter((q) => q > r.end - 50));
    expect(r.recent.map((e) => e.streamSeq)).toEqual(Array.from({ length: 49 }, (_, k) => r.end - 49 + k));
    expect(invalid).toEqual(invalidAll);
    expect(invalid.map((x) => x.reason)).toEqual(['not valid JSON']);
    expect(r.count).toBe(r.end - invalid.length);
    expect(r.nodes).toEqual({ node1: { frozen: true }, node2: { frozen: false } });
    expect(r.notApplied).toEqual([]);
    expect(r.instances.checkpoint().instances.map((i) => `${i.svc}@${i.node}`).sort()).toEqual(['svc0', 'svc1', 'svc2', 'svc3', 'svc4', 'svc5', 'svc6'].flatMap((s) => [`${s}@node1`, `${s}@node2`]));
  });

  it('from a checkpoint reaches what a catch-up from the start does', async () => {
    const other = await EventStore.open({ ...nats.endpoint, cluster: 'cu2' });
    try {
      const events = log('cu2', 5, 600);
      const half = Math.floor(events.length / 2) + 3; // within an action
      await other.append(events.slice(0, half));
      const spec = { history: false, recent: 10 };
      const early = await catchUp(other, { spec });
      await other.append(events.slice(half));
      const resumed = await catchUp(other, { spec, from: { instances: early.instances.checkpoint(), nodes: early.nodes, lastId: early.lastId } });
      const full = await catchUp(other, { spec });
      expect(resumed.count).toBe(events.length - half);
      expect(view({ ...resumed, count: full.count })).toEqual(view(full));
      const again = await catchUp(other, { spec, from: { instances: full.instances.checkpoint(), nodes: full.nodes, lastId: full.lastId } });
      expect(again.count).toBe(0);
      expect(again.instances.checkpoint()).toEqual(full.instances.checkpoint());
    } finally {
      await other.close();
    }
  });
});
