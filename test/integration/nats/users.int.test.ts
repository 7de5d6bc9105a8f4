import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { JetStreamManager } from '@nats-io/jetstream';
import { connect, createInbox } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import { connectNats } from '../../../adapters/nats/connect.js';
import { EventStore, auditStreamName, heartbeatStreamName } from '../../../adapters/nats/eventStore.js';
import { makeEvent, subjectOf } from '../../../domain/events.js';
import type { AnyEvent } from '../../../domain/events.js';
import { startTestNats, type TestNats } from '../../support/nats.js';
import { waitFor } from '../../support/wait.js';

const cluster = 'users';
const EVT = auditStreamName(cluster);
const HB = heartbeatStreamName(cluster);

function event(seq: number, e: Parameters<typeof makeEvent>[0] = { type: 'InstanceFrozen', svc: 'svc1', data: {} }): AnyEvent {
  return makeEvent(e, { cluster, origin: 'node1', seq, time: new Date(1_700_000_000_000 + seq).toISOString() }) as AnyEvent;
}

/** Messages the server has for a stream, asked as the writer. */
async function count(jsm: JetStreamManager, stream: string): Promise<number> {
  return (await jsm.streams.info(stream)).state.messages;
}

describe('embedded nats-server users: the writer appends, the reader reads and writes nothing', () => {
  let nats: TestNats;
  let writer: EventStore;
  let reader: NatsConnection;
  /** what the server said to the reader out of band (permission violations of plain publishes and subscriptions) */
  const readerErrors: string[] = [];
  beforeAll(async () => {
    nats = await startTestNats('hasvct-users-');
    writer = await EventStore.open({ ...nats.endpoint, cluster });
    await writer.append([event(1), event(2), event(3)]);
    await writer.publishHeartbeat(`osvc.${cluster}.hb.node1`, { node: 'node1' });
    reader = await connectNats(nats.supervisor.readerEndpoint, { timeoutMs: 2000, name: 'consumer' });
    void (async () => {
      for await (const s of reader.status()) if (s.type === 'error') readerErrors.push(s.error.message);
    })();
  });
  afterAll(async () => {
    await reader?.close();
    await writer?.close();
    await nats?.stop();
  });

  it('the writer appends and reads back', async () => {
    const got: string[] = [];
    await writer.replay({}, (e) => got.push(e.event.id));
    expect(got).toEqual(['node1:1', 'node1:2', 'node1:3']);
  });

  it('the reader reads stream info and the events through an ordered consumer', async () => {
    const jsm = await jetstreamManager(reader);
    expect((await jsm.streams.info(EVT)).state.messages).toBe(3);
    expect((await jsm.streams.getMessage(EVT, { seq: 2 }))?.subject).toBe(subjectOf(event(2)));
    const consumer = await jetstream(reader).consumers.get(EVT, { filter_subjects: `osvc.${cluster}.evt.>` });
    const msgs = await consumer.fetch({ max_messages: 3, expires: 5000 });
    const ids: string[] = [];
    for await (const m of msgs) ids.push((m.json() as AnyEvent).id);
    expect(ids).toEqual(['node1:1', 'node1:2', 'node1:3']);
  });

  it('the reader creates a durable consumer, reads and acks', async () => {
    const jsm = await jetstreamManager(reader);
    await jsm.consumers.add(EVT, { durable_name: 'audit', ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All, inactive_threshold: 60e9 });
    const consumer = await jetstream(reader).consumers.get(EVT, 'audit');
    const msgs = await consumer.fetch({ max_messages: 3, expires: 5000 });
    for await (const m of msgs) expect(await m.ackAck()).toBe(true);
    expect((await consumer.info()).ack_floor.stream_seq).toBe(3);
  });

  it('the reader is refused publishing an event, through JetStream or plain', async () => {
    const forged = event(4, { type: 'InstanceThawed', svc: 'svc1', data: {} });
    const body = new TextEncoder().encode(JSON.stringify(forged));
    await expect(jetstream(reader).publish(subjectOf(forged), body, { msgID: forged.id })).rejects.toThrow(`Permissions Violation for Publish to "${subjectOf(forged)}"`);
    reader.publish(subjectOf(forged), body);
    await waitFor('the server to refuse the plain publish', () => readerErrors.some((m) => m.includes(`Publish to "${subjectOf(forged)}"`)));
    expect(await count(writer.jsm, EVT)).toBe(3);
  });

  it('the reader is refused deleting, purging or changing a stream, and deleting a consumer', async () => {
    const jsm = await jetstreamManager(reader);
    const info = await jsm.streams.info(EVT);
    await expect(jsm.streams.delete(EVT)).rejects.toThrow(`Permissions Violation for Publish to "$JS.API.STREAM.DELETE.${EVT}"`);
    await expect(jsm.streams.purge(EVT)).rejects.toThrow(`Permissions Violation for Publish to "$JS.API.STREAM.PURGE.${EVT}"`);
    await expect(jsm.streams.update(EVT, { ...info.config, max_msgs: 1 })).rejects.toThrow(`Permissions Violation for Publish to "$JS.API.STREAM.UPDATE.${EVT}"`);
    await expect(jsm.streams.deleteMessage(EVT, 1)).rejects.toThrow(`Permissions Violation for Publish to "$JS.API.STREAM.MSG.DELETE.${EVT}"`);
    await expect(jsm.streams.add({ name: 'OTHER', subjects: [`osvc.${cluster}.evt.node9.>`] })).rejects.toThrow('Permissions Violation for Publish to "$JS.API.STREAM.CREATE.OTHER"');
    await expect(jsm.consumers.delete(EVT, 'audit')).rejects.toThrow(`Permissions Violation for Publish to "$JS.API.CONSUMER.DELETE.${EVT}.audit"`);
    expect(await count(writer.jsm, EVT)).toBe(3);
    expect((await writer.jsm.streams.info(EVT)).config.max_msgs).toBe(info.config.max_msgs);
  });

  it('nobody may subscribe to the streams\' subjects: a push consumer aimed at them, or at the API, delivers nothing', async () => {
    // were anyone subscribed there, the server would deliver into that subject on its own authority: into a stream
    const sub = reader.subscribe(`osvc.${cluster}.>`);
    expect(((await sub.closed) as Error | undefined)?.message).toBe(`Permissions Violation for Subscription to "osvc.${cluster}.>"`);
    const wsub = writer.nc.subscribe(`osvc.${cluster}.>`);
    expect(((await wsub.closed) as Error | undefined)?.message).toBe(`Permissions Violation for Subscription to "osvc.${cluster}.>"`);

    const jsm = await jetstreamManager(reader);
    const aimed = [
      { stream: HB, deliver: `osvc.${cluster}.evt.node1.svc.svc1.InstanceThawed` },
      { stream: EVT, deliver: `osvc.${cluster}.hb.node1` },
      { stream: EVT, deliver: `$JS.API.STREAM.DELETE.${HB}` },
    ];
    const names: string[] = [];
    for (const a of aimed) names.push((await jsm.consumers.add(a.stream, { deliver_subject: a.deliver, ack_policy: AckPolicy.None, deliver_policy: DeliverPolicy.All })).name);
    // the control: a push consumer to the reader's own inbox, created after them, is delivered to
    const inbox = createInbox();
    const mine = reader.subscribe(inbox, { max: 1 });
    await jsm.consumers.add(HB, { deliver_subject: inbox, ack_policy: AckPolicy.None, deliver_policy: DeliverPolicy.All });
    for await (const m of mine) expect(m.subject).toBe(`osvc.${cluster}.hb.node1`);

    for (const [i, a] of aimed.entries()) expect((await jsm.consumers.info(a.stream, names[i]!)).delivered.consumer_seq).toBe(0);
    expect(await count(writer.jsm, EVT)).toBe(3);
    expect(await count(writer.jsm, HB)).toBe(1);
  });

  it('a client without a key, or with the reader\'s key pretending to be the writer, is refused', async () => {
    await expect(connect({ servers: `127.0.0.1:${nats.port}`, maxReconnectAttempts: 0 })).rejects.toThrow(/Authorization Violation/);
    // the writer's public key is in the config for anyone with the config to see: without its seed it opens nothing
    const noSeed = connect({ servers: `127.0.0.1:${nats.port}`, maxReconnectAttempts: 0, authenticator: () => ({ nkey: nats.supervisor.keys.writer, sig: '' }) });
    await expect(noSeed).rejects.toThrow(/Authorization Violation/);
  });
});
