import { DeliverPolicy } from '@nats-io/jetstream';
import type { EventStore } from '../../adapters/nats/eventStore.js';

/** The baseline of every replay figure: the raw ordered consumer over the whole audit stream, decoding nothing. Messages/s. */
export async function rawOrderedConsumerRate(store: EventStore): Promise<number> {
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
}
