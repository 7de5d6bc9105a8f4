import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { EventStore } from '../../../adapters/nats/eventStore.js';
import type { InvalidRecord } from '../../../adapters/nats/eventStore.js';
import { makeEvent } from '../../../domain/events.js';
import type { AnyEvent, NewEvent } from '../../../domain/events.js';
import { historyOf } from '../../../projections/history.js';
import { catchUp } from '../../../src/events/catchUp.js';
import type { CatchUpResult } from '../../../src/events/catchUp.js';
import { ensureBuilt } from '../daemon/support.js';
import { startTestNats, type TestNats } from '../../support/nats.js';

const REPO = path.resolve(import.meta.dirname, '../../..');
const WORKER = pathToFileURL(path.join(REPO, 'dist/src/events/replayWorker.js'));

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
  const svcs = [...new Set(r.instances.instances.map((i) => i.svc))].sort();
  return {
    end: r.end,
    count: r.count,
    lastId: r.lastId,
    lastIdSeq: r.lastIdSeq,
    nodes: r.nodes,
    instances: [...r.instances.instances].sort((a, b) => `${a.svc}/${a.node}`.localeCompare(`${b.svc}/${b.node}`)),
    lastSeq: r.instances.lastSeq,
    recent: r.recent.map((e) => `${e.streamSeq} ${e.event.id}`),
    history: r.history ? svcs.map((s) => historyOf(r.history!, s)) : undefined,
  };
}

describe('catching up the read models from the log', () => {
  let nats: TestNats;
  let store: EventStore;
  let tmp: string;
  beforeAll(async () => {
    ensureBuilt();
    nats = await startTestNats();
    store = await EventStore.open({ servers: nats.url, cluster: 'cu' });
    await store.append(log('cu', 7, 1500));
    await store.publishRaw('osvc.cu.evt.node1.svc.svc1.ActionStarted', new TextEncoder().encode('{not json'));
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hasvct-catchup-'));
  }, 120_000);
  afterAll(async () => {
    await store?.close();
    await nats?.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('builds the same models in the replay worker as beside the consumer, and reports bad records from both', async () => {
    const invalidW: InvalidRecord[] = [];
    const invalidB: InvalidRecord[] = [];
    const spec = { history: true, recent: 50 };
    const w = await catchUp(store, { spec, worker: WORKER, workerMin: 0, onInvalid: (r) => invalidW.push(r) });
    const b = await catchUp(store, { spec, worker: false, onInvalid: (r) => invalidB.push(r) });
    expect(w.inWorker).toBe(true);
    expect(b.inWorker).toBe(false);
    expect(view(w)).toEqual(view(b));
    expect(invalidW).toEqual(invalidB);
    expect(invalidW.map((r) => r.reason)).toEqual(['not valid JSON']);
    expect(w.count).toBe(w.end - invalidW.length);
    expect(w.recent).toHaveLength(50);
    expect(w.nodes).toEqual({ node1: { frozen: true }, node2: { frozen: false } });
    expect(w.notApplied).toEqual([]);
  });

  it('from a checkpoint reaches what a catch-up from the start does', async () => {
    const other = await EventStore.open({ servers: nats.url, cluster: 'cu2' });
    try {
      const events = log('cu2', 5, 600);
      const half = Math.floor(events.length / 2) + 3; // within an action
      await other.append(events.slice(0, half));
      const spec = { history: false, recent: 10 };
      const early = await catchUp(other, { spec, worker: WORKER, workerMin: 0 });
      await other.append(events.slice(half));
      const resumed = await catchUp(other, { spec, worker: WORKER, workerMin: 0, from: { instances: early.instances, nodes: early.nodes, lastId: early.lastId } });
      const full = await catchUp(other, { spec, worker: false });
      expect(resumed.count).toBe(events.length - half);
      expect(view({ ...resumed, count: full.count })).toEqual(view(full));
      const again = await catchUp(other, { spec, worker: WORKER, workerMin: 0, from: { instances: full.instances, nodes: full.nodes, lastId: full.lastId } });
      expect(again.count).toBe(0);
      expect(again.instances).toEqual(full.instances);
    } finally {
      await other.close();
    }
  });

  it('falls back beside the consumer when the worker cannot run', async () => {
    const broken = path.join(tmp, 'broken.mjs');
    fs.writeFileSync(broken, "throw new Error('no worker here');\n");
    const spec = { history: false, recent: 0 };
    const r = await catchUp(store, { spec, worker: pathToFileURL(broken), workerMin: 0 });
    const b = await catchUp(store, { spec, worker: false });
    expect(r.inWorker).toBe(false);
    expect(view(r)).toEqual(view(b));
  });

  it('replays a short log beside the consumer: a worker would cost more than it saves', async () => {
    const r = await catchUp(store, { spec: { history: false, recent: 0 }, worker: WORKER });
    expect(r.end).toBeLessThan(20_000);
    expect(r.inWorker).toBe(false);
  });
});
