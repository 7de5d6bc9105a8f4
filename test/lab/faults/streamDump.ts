import { jetstream } from '@nats-io/jetstream';
import { connect, nkeyAuthenticator } from '@nats-io/transport-node';
import { auditStreamName } from '../../../adapters/nats/eventStore.js';
import { readSeed, seedFile } from '../../../adapters/nats/nkeys.js';
import { getValue } from '../../../domain/config/document.js';
import { readConfigDocument } from '../../../src/config/identity.js';
import { natsTarget } from '../../../src/events/natsTarget.js';
import { nodePaths } from '../../../src/paths.js';

/**
 * A node's log as an outside consumer reads it (docs/nats.md): through the
 * node's own nats-server, logged in as the read-only `reader`, an ordered
 * consumer over the audit stream from its first record to its last. One JSON
 * line (a StreamRecord) per record, in stream order. Run inside the node
 * (its nats-server listens on the node's loopback).
 */

export interface StreamRecord {
  readonly streamSeq: number;
  readonly id: string;
  readonly origin: string;
  readonly seq: number;
  readonly type: string;
}

async function main(): Promise<number> {
  const paths = nodePaths(process.env);
  const cluster = getValue(readConfigDocument(paths.clusterConf).doc, 'cluster', 'name');
  if (cluster === undefined) throw new Error(`no cluster name in ${paths.clusterConf}`);
  const seed = readSeed(seedFile(paths.natsDir, 'reader'));
  if (seed === undefined) throw new Error(`no reader key in ${paths.natsDir}: the daemon never started here`);
  const nc = await connect({ servers: `127.0.0.1:${natsTarget(paths).port}`, authenticator: nkeyAuthenticator(seed), timeout: 3000, maxReconnectAttempts: 0 });
  try {
    const stream = auditStreamName(cluster);
    const js = jetstream(nc);
    const end = (await (await js.streams.get(stream)).info()).state.last_seq;
    if (end === 0) return 0;
    const consumer = await js.consumers.get(stream);
    const out: string[] = [];
    for (let seq = 0; seq < end; ) {
      const m = await consumer.next({ expires: 5000 });
      if (m === null) throw new Error(`${stream}: no record after ${seq} of ${end} within 5 s`);
      seq = m.seq;
      const e = m.json<{ id?: unknown; origin?: unknown; seq?: unknown; type?: unknown }>();
      const rec: StreamRecord = { streamSeq: m.seq, id: String(e.id), origin: String(e.origin), seq: Number(e.seq), type: String(e.type) };
      out.push(JSON.stringify(rec));
    }
    process.stdout.write(out.length > 0 ? `${out.join('\n')}\n` : '');
    return 0;
  } finally {
    await nc.close();
  }
}

try {
  process.exitCode = await main();
} catch (err) {
  process.stderr.write(`streamDump: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
