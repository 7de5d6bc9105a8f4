#!/usr/bin/env node
// Follow a hasvc cluster's moves from outside the agent: a durable JetStream
// consumer on the services' events, as the read-only user, with nothing but
// the plain NATS client (npm i @nats-io/transport-node @nats-io/jetstream).
// Stopped and started again, it goes on after the last event it acked.
//
//   HASVC_CLUSTER=mycluster HASVC_NKEY=/home/monitor/hasvc-reader.nk node consumer.mjs
//
// HASVC_NATS_URL (default nats://127.0.0.1:4222), HASVC_DURABLE (default moves).
import fs from 'node:fs';
import { connect, nkeyAuthenticator } from '@nats-io/transport-node';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';

const cluster = process.env.HASVC_CLUSTER;
const nkey = process.env.HASVC_NKEY ?? '/var/lib/opensvc/nats/reader.nk';
const durable = process.env.HASVC_DURABLE ?? 'moves';
if (!cluster) {
  console.error('consumer: set HASVC_CLUSTER to the cluster name (nodemgr get --param cluster.name)');
  process.exit(2);
}
const stream = `OSVC_${cluster.replace(/[-.]/g, '_').toUpperCase()}_EVT`;

const nc = await connect({
  servers: process.env.HASVC_NATS_URL ?? 'nats://127.0.0.1:4222',
  authenticator: nkeyAuthenticator(new TextEncoder().encode(fs.readFileSync(nkey, 'utf8').trim())),
  name: `hasvc-consumer-${durable}`,
});
// created once, found again on the next run: the server keeps where it is
const jsm = await jetstreamManager(nc);
await jsm.consumers.add(stream, {
  durable_name: durable,
  filter_subject: `osvc.${cluster}.evt.*.svc.>`,
  ack_policy: AckPolicy.Explicit,
  deliver_policy: DeliverPolicy.All,
});
const messages = await (await jetstream(nc).consumers.get(stream, durable)).consume();
for (const sig of ['SIGINT', 'SIGTERM']) process.once(sig, () => void messages.close());
console.error(`following ${stream} as ${durable}`);

/** A move in the words of `print history`: an action begun or ended, an instance's status. */
function line(e) {
  const at = `${e.time} ${e.origin} ${e.svc}`;
  switch (e.type) {
    case 'ActionStarted':
      return `${at} ${e.data.action} by ${e.data.user ?? '?'}${e.data.reason ? `: ${e.data.reason}` : ''} [${e.id}]`;
    case 'ActionFinished':
      return `${at} ${e.data.action} ${e.data.result}${e.data.error ? `: ${e.data.error}` : ''} [${e.id}]`;
    case 'InstanceStatusChanged':
      return `${at} ${e.data.avail} [${e.id}]`;
    default:
      return undefined;
  }
}

for await (const m of messages) {
  const text = line(m.json());
  if (text) console.log(text);
  m.ack();
}
await nc.drain();
