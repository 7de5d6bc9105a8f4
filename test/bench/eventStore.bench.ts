import type { PubAck } from '@nats-io/jetstream';
import type { NatsEndpoint } from '../../adapters/nats/connect.js';
import { EventStore } from '../../adapters/nats/eventStore.js';
import { makeEvent } from '../../domain/events.js';
import type { AnyEvent } from '../../domain/events.js';
import { rawOrderedConsumerRate } from './raw.js';
import type { BenchResult } from './report.js';

const PAYLOAD = 'x'.repeat(900); // with the envelope, ~1 KB per event

function batch(cluster: string, n: number): AnyEvent[] {
  const t = Date.UTC(2026, 0, 1);
  return Array.from({ length: n }, (_, i) =>
    makeEvent({ type: 'ResourceLogged', svc: 'svc1', rid: 'app#web', data: { level: 'info', message: PAYLOAD } }, { cluster, origin: 'node1', seq: i + 1, time: new Date(t + i).toISOString() }),
  );
}

/** Append and replay throughput of the store adapter, each beside the raw client doing the same work. */
export async function benchEventStore(endpoint: NatsEndpoint, n: number): Promise<BenchResult[]> {
  const enc = new TextEncoder();
  const raw = await EventStore.open({ ...endpoint, cluster: 'benchraw' });
  const ours = await EventStore.open({ ...endpoint, cluster: 'benchours' });
  try {
    // raw: the same bytes, pipelined publishes with message ids, same window
    const rawEvents = batch('benchraw', n);
    let t0 = performance.now();
    const inflight: Promise<PubAck>[] = [];
    for (const e of rawEvents) {
      inflight.push(raw.js.publish(`osvc.benchraw.evt.node1.svc.svc1.res.app#web.ResourceLogged`, enc.encode(JSON.stringify(e)), { msgID: e.id }));
      if (inflight.length >= 256) await inflight.shift();
    }
    await Promise.all(inflight);
    const rawAppend = n / ((performance.now() - t0) / 1000);

    const ourEvents = batch('benchours', n);
    t0 = performance.now();
    await ours.append(ourEvents, 256);
    const oursAppend = n / ((performance.now() - t0) / 1000);

    const rawReplay = await rawOrderedConsumerRate(raw);

    t0 = performance.now();
    let ourCount = 0;
    await ours.replay({}, () => ourCount++);
    const oursReplay = ourCount / ((performance.now() - t0) / 1000);

    return [
      { name: `append ${n} x ~1KB events (pipelined)`, unit: 'events/s', ours: oursAppend, raw: rawAppend, goal: 0.8 },
      { name: `replay ${n} events (ordered consumer, validated)`, unit: 'events/s', ours: oursReplay, raw: rawReplay, goal: 0.7 },
    ];
  } finally {
    await raw.close();
    await ours.close();
  }
}
