import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import { DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { pino } from 'pino';
import { EventStore } from '../../../adapters/nats/eventStore.js';
import { makeEvent, subjectOf } from '../../../domain/events.js';
import type { AnyEvent } from '../../../domain/events.js';
import { Exporter } from '../../../src/daemon/export.js';
import { startExternalNats, startTestNats } from '../../support/nats.js';
import type { TestNats } from '../../support/nats.js';
import { waitFor } from '../../support/wait.js';

const STREAM = 'ORG_EVENTS';

function events(origin: string, from: number, to: number): AnyEvent[] {
  const out: AnyEvent[] = [];
  for (let seq = from; seq <= to; seq++) out.push(makeEvent({ type: seq % 2 ? 'InstanceFrozen' : 'InstanceThawed', svc: 'svc1', data: {} }, { cluster: 'c1', origin, seq, time: new Date(seq * 1000).toISOString() }) as AnyEvent);
  return out;
}

/** The message ids the organisation's stream holds, in its order. */
async function heldIds(nc: NatsConnection): Promise<string[]> {
  const last = (await (await jetstreamManager(nc)).streams.info(STREAM)).state;
  if (last.messages === 0) return [];
  const msgs = await (await jetstream(nc).consumers.get(STREAM, { deliver_policy: DeliverPolicy.All })).consume({ max_messages: 1000 });
  const out: string[] = [];
  for await (const m of msgs) {
    out.push(m.headers?.get('Nats-Msg-Id') ?? '');
    if (m.seq >= last.last_seq) break;
  }
  await msgs.close();
  return out;
}

describe('the exporter resumes from what the organisation\'s stream holds', () => {
  test('skips what is there, sends the rest once in order, and does not refill a purged stream', async () => {
    const local: TestNats = await startTestNats();
    const org = await startExternalNats('hasvct-org-', 'org', 'pw');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hasvct-export-'));
    const store = await EventStore.open({ ...local.endpoint, cluster: 'c1' });
    const nc = await connect({ servers: `127.0.0.1:${org.port}`, user: 'org', pass: 'pw' });
    const exporters: Exporter[] = [];
    const exporter = () => {
      const e = new Exporter({ config: { url: org.urlWithPassword, stream: STREAM, creds: undefined }, node: 'node1', cluster: 'c1', local: local.endpoint, positionFile: path.join(dir, 'export.json'), log: pino({ level: 'silent' }), emit: () => undefined });
      exporters.push(e);
      e.start();
      return e;
    };
    try {
      // the organisation's own stream, with a duplicate window too short to hide a second send
      const jsm = await jetstreamManager(nc);
      await jsm.streams.add({ name: STREAM, subjects: ['osvc.>'], duplicate_window: 1e9 });
      // node1's log: 3000 of its events, node2's mixed in (not node1's to export)
      const mine = events('node1', 1, 3000);
      await store.append([...mine.slice(0, 1000), ...events('node2', 1, 50)]);
      await store.append(mine.slice(1000));
      // the first 1000 reached the organisation before (no position kept here)
      const js = jetstream(nc);
      for (const e of mine.slice(0, 1000)) await js.publish(subjectOf(e), new TextEncoder().encode(JSON.stringify(e)), { msgID: e.id });
      await new Promise((r) => setTimeout(r, 1500));

      const t0 = performance.now();
      const first = exporter();
      await waitFor('3000 events there', async () => (await jsm.streams.info(STREAM)).state.messages >= 3000, 60_000, 50);
      const ms = performance.now() - t0;
      await first.stop();
      expect(await heldIds(nc)).toEqual(mine.map((e) => e.id));
      process.stdout.write(`export: 2000 events sent in ${Math.round(ms)} ms after skipping 1000 held already\n`);

      // the organisation purges its stream: what was sent is not sent again, what comes is
      await jsm.streams.purge(STREAM);
      exporter();
      const more = events('node1', 3001, 3010);
      await store.append(more);
      await waitFor('the 10 new events there', async () => (await jsm.streams.info(STREAM)).state.messages >= 10, 20_000, 50);
      await new Promise((r) => setTimeout(r, 500));
      expect(await heldIds(nc)).toEqual(more.map((e) => e.id));
    } finally {
      for (const e of exporters) await e.stop();
      await nc.close();
      await store.close();
      await org.stop();
      await local.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
