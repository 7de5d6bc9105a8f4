import fs from 'node:fs';
import path from 'node:path';
import type { NatsEndpoint } from '../../adapters/nats/connect.js';
import { EventStore } from '../../adapters/nats/eventStore.js';
import type { InvalidRecord } from '../../adapters/nats/eventStore.js';
import { NatsServerSupervisor, freePort } from '../../adapters/nats/server.js';
import { FileLock } from '../../adapters/fs/lock.js';
import { UnavailableError } from '../../domain/errors.js';
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
  /** with svc: the nodes' own events too (a peer lost, a daemon start), merged in stream order */
  readonly nodeEvents?: boolean;
  readonly fromTime?: Date;
  /** the stream's records from this sequence on (the spool's events still follow) */
  readonly fromSeq?: number;
  /** the stream's records up to this sequence only */
  readonly toSeq?: number;
  /** false: the stream only, not the spool */
  readonly spool?: boolean;
  /** only events of these types: the stream's other records are not even decoded */
  readonly types?: ReadonlySet<string>;
  /**
   * per origin, the highest sequence of its events the stream holds before
   * fromSeq (a checkpoint's): a spooled event at or below it is in the stream
   * already. A replay from the start knows it from what it reads.
   */
  readonly heads?: Readonly<Record<string, number>>;
  readonly onInvalid?: (message: string) => void;
}

/** how long a command waits for the store's server to answer, or to let go of the store */
const STORE_WAIT_MS = 60_000;

/**
 * This node's store, open: through the running server, or — daemon down —
 * a short-lived nats-server of our own on the node's store, on a free port.
 * Undefined when there is none (no cluster name yet, never started).
 */
export async function withLocalStore<T>(p: NodePaths, use: (store: EventStore | undefined) => Promise<T>): Promise<T> {
  const cluster = getValue(readConfigDocument(p.clusterConf).doc, 'cluster', 'name');
  const target = natsTarget(p);
  const open = (endpoint: NatsEndpoint) => EventStore.open({ ...endpoint, cluster: cluster!, limits: target.limits, connectTimeoutMs: 1000 });
  const using = async (store: EventStore) => {
    try {
      return await use(store);
    } finally {
      await store.close();
    }
  };
  if (cluster !== undefined && target.provisioned) {
    const store = await open(target.endpoint).catch(() => undefined);
    if (store) return using(store);
  }
  if (cluster !== undefined && target.kind === 'embedded' && fs.existsSync(path.join(p.natsDir, 'store'))) {
    // the store's server may be the daemon's, still starting (a long log takes
    // seconds to load), or another command's reader: wait for whichever comes
    // first, its answer or its lock, rather than fail on a lock held for a while
    const lock = new FileLock(path.join(p.natsDir, 'server.lock'));
    const deadline = Date.now() + STORE_WAIT_MS;
    for (;;) {
      const holder = lock.holder();
      if (holder === undefined) break;
      if (target.provisioned) {
        const store = await open(target.endpoint).catch(() => undefined);
        if (store) return using(store);
      }
      if (Date.now() > deadline) {
        throw new UnavailableError(`${p.natsDir}: the event store is held by the nats-server of pid ${holder} (the daemon's, or another command's), which did not answer within ${STORE_WAIT_MS / 1000} s: see nodemgr daemon status`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    const port = await freePort();
    const reader = new NatsServerSupervisor({ dir: p.natsDir, port, serverName: `reader_${process.pid}`, logFile: path.join(p.log, 'nats-reader.log') });
    try {
      await reader.start(STORE_WAIT_MS);
      return await using(await open(reader.endpoint));
    } finally {
      await reader.stop();
    }
  }
  return use(undefined);
}

/**
 * Read this node's log, in order: the stream (see withLocalStore), then
 * what the spool holds that the stream does not have yet. Spooled events
 * get stream sequences after the last one.
 * A read: a node without a cluster name yet has no stream, and gets none.
 */
export async function readLocalLog(p: NodePaths, o: ReadLogOptions, onEvent: (a: Applied) => void): Promise<void> {
  await withLocalStore(p, (store) => readLogFrom(p, store, o, onEvent));
}

/** readLocalLog on a store already open (undefined: the spool only). Returns the stream's last sequence read up to (0 without a store). */
export async function readLogFrom(p: NodePaths, store: EventStore | undefined, o: ReadLogOptions, onEvent: (a: Applied) => void): Promise<number> {
  const seen = new Set<string>();
  let last = 0;
  const keep = (a: Applied) => {
    seen.add(a.event.id);
    last = Math.max(last, a.streamSeq);
    onEvent(a);
  };
  const invalid = (r: InvalidRecord) => o.onInvalid?.(`stream sequence ${r.streamSeq} (${r.subject}): ${r.reason}, skipped`);
  if (store) {
    const replay = (subject: string | undefined, on: (a: Applied) => void) =>
      store.replay({ ...(subject ? { subject } : {}), ...(o.fromSeq ? { fromSeq: o.fromSeq } : {}), ...(o.toSeq ? { toSeq: o.toSeq } : {}), ...(o.fromTime ? { fromTime: o.fromTime } : {}), ...(o.types ? { types: o.types } : {}), onInvalid: invalid }, on);
    const c = store.cluster;
    if (o.svc !== undefined && o.nodeEvents) {
      // two filtered reads (a server before 2.10 takes one filter per consumer), merged in stream order
      const svcEvents: Applied[] = [];
      const nodeEvents: Applied[] = [];
      // at once: the server scans the stream for each filter, and can do both together
      const [svcEnd, nodeEnd] = await Promise.all([replay(`osvc.${c}.evt.*.svc.${o.svc}.>`, (a) => svcEvents.push(a)), replay(`osvc.${c}.evt.*.node.>`, (a) => nodeEvents.push(a))]);
      // the same end for both: what was stored after the first read began is left to the next read
      const end = Math.min(svcEnd, nodeEnd);
      while (svcEvents.length > 0 && svcEvents.at(-1)!.streamSeq > end) svcEvents.pop();
      while (nodeEvents.length > 0 && nodeEvents.at(-1)!.streamSeq > end) nodeEvents.pop();
      let i = 0;
      let j = 0;
      while (i < svcEvents.length || j < nodeEvents.length) {
        if (j >= nodeEvents.length || (i < svcEvents.length && svcEvents[i]!.streamSeq < nodeEvents[j]!.streamSeq)) keep(svcEvents[i++]!);
        else keep(nodeEvents[j++]!);
      }
      last = Math.max(last, end);
    } else {
      last = Math.max(last, await replay(o.svc ? `osvc.${c}.evt.*.svc.${o.svc}.>` : undefined, keep));
    }
  }
  const streamEnd = last;
  if (o.spool === false) return streamEnd;
  const spooled = new Spool(p.spool).read((pb) => o.onInvalid?.(`${p.spool}:${pb.line}: ${pb.reason}, skipped`));
  for (const e of spooled) {
    if (seen.has(e.id) || e.seq <= (o.heads?.[e.origin] ?? 0) || !matches(e, o)) continue;
    keep({ streamSeq: last + 1, event: e });
  }
  return streamEnd;
}

function matches(e: AnyEvent, o: ReadLogOptions): boolean {
  if (o.fromTime && new Date(e.time) < o.fromTime) return false;
  if (o.types && !o.types.has(e.type)) return false;
  return o.svc === undefined || e.svc === o.svc || (o.nodeEvents === true && e.svc === undefined);
}
