import fs from 'node:fs';
import path from 'node:path';
import type { NatsEndpoint } from '../../adapters/nats/connect.js';
import { EventStore } from '../../adapters/nats/eventStore.js';
import type { InvalidRecord } from '../../adapters/nats/eventStore.js';
import { NatsServerSupervisor, freePort } from '../../adapters/nats/server.js';
import { Spool } from '../../adapters/nats/spool.js';
import type { AnyEvent } from '../../domain/events.js';
import type { Applied } from '../../projections/instances.js';
import { getValue } from '../../domain/config/document.js';
import { readConfigDocument } from '../config/identity.js';
import type { NodePaths } from '../paths.js';
import { natsTarget } from './natsTarget.js';

export interface ReadLogOptions {
  /** only this service's events (every node's) */
  readonly svc?: string;
  readonly fromTime?: Date;
  /** only events of these types: the stream's other records are not even decoded */
  readonly types?: ReadonlySet<string>;
  readonly onInvalid?: (message: string) => void;
}

/**
 * Read this node's whole log, in order: the stream (through the running
 * server, or — daemon down — a short-lived nats-server of our own on the
 * node's store, on a free port), then what the spool holds that the stream
 * does not have yet. Spooled events get stream sequences after the last one.
 * A read: a node without a cluster name yet has no stream, and gets none.
 */
export async function readLocalLog(p: NodePaths, o: ReadLogOptions, onEvent: (a: Applied) => void): Promise<void> {
  const cluster = getValue(readConfigDocument(p.clusterConf).doc, 'cluster', 'name');
  const seen = new Set<string>();
  let last = 0;
  const keep = (a: Applied) => {
    seen.add(a.event.id);
    last = Math.max(last, a.streamSeq);
    onEvent(a);
  };
  const invalid = (r: InvalidRecord) => o.onInvalid?.(`stream sequence ${r.streamSeq} (${r.subject}): ${r.reason}, skipped`);
  const target = natsTarget(p);
  const replay = async (cluster: string, endpoint: NatsEndpoint) => {
    const store = await EventStore.open({ ...endpoint, cluster, limits: target.limits, connectTimeoutMs: 1000 });
    try {
      await store.replay(
        { ...(o.svc ? { subject: `osvc.${cluster}.evt.*.svc.${o.svc}.>` } : {}), ...(o.fromTime ? { fromTime: o.fromTime } : {}), ...(o.types ? { types: o.types } : {}), onInvalid: invalid },
        keep,
      );
    } finally {
      await store.close();
    }
  };

  let read = false;
  if (cluster !== undefined && target.provisioned) {
    try {
      await replay(cluster, target.endpoint);
      read = true;
    } catch {
      read = false;
    }
  }
  if (cluster !== undefined && !read && target.kind === 'embedded' && fs.existsSync(path.join(p.natsDir, 'store'))) {
    const port = await freePort();
    const reader = new NatsServerSupervisor({ dir: p.natsDir, port, serverName: `reader_${process.pid}`, logFile: path.join(p.log, 'nats-reader.log') });
    try {
      await reader.start();
      await replay(cluster, reader.endpoint);
    } finally {
      await reader.stop();
    }
  }

  const spooled = new Spool(p.spool).read((pb) => o.onInvalid?.(`${p.spool}:${pb.line}: ${pb.reason}, skipped`));
  for (const e of spooled) {
    if (seen.has(e.id) || !matches(e, o)) continue;
    keep({ streamSeq: last + 1, event: e });
  }
}

function matches(e: AnyEvent, o: ReadLogOptions): boolean {
  if (o.fromTime && new Date(e.time) < o.fromTime) return false;
  if (o.types && !o.types.has(e.type)) return false;
  return o.svc === undefined || e.svc === o.svc;
}
