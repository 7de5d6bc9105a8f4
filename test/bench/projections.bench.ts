import { DeliverPolicy } from '@nats-io/jetstream';
import { EventStore } from '../../adapters/nats/eventStore.js';
import { makeEvent } from '../../domain/events.js';
import type { AnyEvent, NewEvent } from '../../domain/events.js';
import { emptyHistory, evolveHistory } from '../../projections/history.js';
import { catchUp } from '../../src/events/catchUp.js';
import { InstancesProjection } from '../../projections/instances.js';
import type { Applied } from '../../projections/instances.js';
import type { BenchResult } from './report.js';

/** A realistic mix: actions of 6 resource steps on 100 services, statuses, logs. */
function* actionLog(cluster: string, n: number): Generator<AnyEvent> {
  const t = Date.UTC(2026, 0, 1);
  let seq = 0;
  const ev = <T extends NewEvent['type']>(e: NewEvent<T>): AnyEvent => makeEvent(e, { cluster, origin: 'node1', seq: ++seq, time: new Date(t + seq).toISOString() }) as AnyEvent;
  while (seq < n) {
    const svc = `svc${seq % 100}`;
    const started = ev({ type: 'ActionStarted', svc, data: { action: 'start', rids: ['ip#0', 'fs#app', 'app#web'], argv: ['start'] } });
    yield started;
    for (const rid of ['ip#0', 'fs#app', 'app#web']) {
      yield ev({ type: 'ResourceStartRequested', svc, rid, causation: started.id, data: {} });
      yield ev({ type: 'ResourceLogged', svc, rid, causation: started.id, data: { level: 'info', message: `starting ${rid}` } });
      yield ev({ type: 'ResourceStarted', svc, rid, causation: started.id, data: { alreadyUp: false } });
      yield ev({ type: 'ResourceStatusChanged', svc, rid, causation: started.id, data: { status: 'up', label: rid, log: [] } });
    }
    yield ev({ type: 'InstanceStatusChanged', svc, causation: started.id, data: { avail: 'up', overall: 'up' } });
    yield ev({ type: 'ActionFinished', svc, causation: started.id, data: { action: 'start', result: 'ok', durationMs: 10 } });
  }
}

function feedAll(events: Iterable<Applied>): { instances: InstancesProjection; count: number } {
  const instances = new InstancesProjection();
  let history = emptyHistory;
  let count = 0;
  for (const a of events) {
    instances.apply(a);
    history = evolveHistory(history, a);
    count++;
  }
  return { instances, count };
}

/** Rebuilding every projection from an in-memory log of n events (no I/O): the projections' own cost. */
export function benchRebuild(n: number): BenchResult[] {
  const log: Applied[] = [];
  let i = 0;
  for (const e of actionLog('mem', n)) log.push({ streamSeq: ++i, event: e });
  const t0 = performance.now();
  const { instances, count } = feedAll(log);
  const s = (performance.now() - t0) / 1000;
  instances.stop();
  return [
    { name: `rebuild all projections from ${count.toLocaleString('en-US')} events (in memory)`, unit: 's', ours: s },
    { name: 'projection apply rate', unit: 'events/s', ours: count / s },
  ];
}

/** Replay from the stream into every projection, beside the raw ordered consumer over the same stream. */
export async function benchReplayIntoProjections(url: string, n: number, rounds = 3): Promise<BenchResult[]> {
  const store = await EventStore.open({ servers: url, cluster: 'benchproj' });
  try {
    await store.append([...actionLog('benchproj', n)], 256);
    const raw = async () => {
      const t0 = performance.now();
      const c = await store.js.consumers.get(store.auditStream, { deliver_policy: DeliverPolicy.All });
      const it = await c.consume({ max_messages: 2048 });
      let count = 0;
      for await (const m of it) {
        count++;
        if (m.info.pending === 0) break;
      }
      await it.close();
      return count / ((performance.now() - t0) / 1000);
    };
    let count = 0;
    const ours = async (worker: boolean) => {
      const t0 = performance.now();
      const r = await catchUp(store, { spec: { history: true, recent: 0 }, worker, workerMin: 0 });
      if (worker && !r.inWorker) throw new Error('bench: the replay worker did not run (npm run build?)');
      count = r.count;
      return r.count / ((performance.now() - t0) / 1000);
    };
    // interleaved rounds, medians: the machine's load moves during a run
    const rates = { raw: [] as number[], worker: [] as number[], beside: [] as number[] };
    await ours(true);
    for (let i = 0; i < rounds; i++) {
      rates.raw.push(await raw());
      rates.worker.push(await ours(true));
      rates.beside.push(await ours(false));
    }
    const rawRate = median(rates.raw);
    return [
      { name: `replay ${count} events into all projections (replay worker, median of ${rounds})`, unit: 'events/s', ours: median(rates.worker), raw: rawRate, goal: 0.7 },
      { name: `replay ${count} events into all projections (beside the consumer, no worker)`, unit: 'events/s', ours: median(rates.beside), raw: rawRate },
    ];
  } finally {
    await store.close();
  }
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}
