import path from 'node:path';
import { AsOfCheckpointFiles } from '../../adapters/fs/asOfCheckpoints.js';
import type { EventStore } from '../../adapters/nats/eventStore.js';
import { Spool } from '../../adapters/nats/spool.js';
import { AS_OF_TYPES, AsOfCheckpointer, ClusterAsOf, chainOf, metaOf, planAsOf } from '../../projections/asOf.js';
import type { AsOfBound, AsOfCheckpoint } from '../../projections/asOf.js';
import type { NodePaths } from '../paths.js';
import { readLogFrom, withLocalStore } from './localLog.js';

/**
 * A checkpoint every so many stream sequences: a view reads at most about
 * that many records past one. OSVC_ASOF_EVERY sets another spacing (tests
 * cut checkpoints in a short log); checkpoints cut at another spacing are
 * not used, they are cut again.
 */
export function asOfEvery(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env.OSVC_ASOF_EVERY);
  return Number.isInteger(n) && n > 0 ? n : 20_000;
}

export function asOfDir(p: NodePaths): string {
  return path.join(p.var, 'projections', 'asof');
}

/**
 * The checkpoints of this node's log, brought up to its end: the valid
 * chain from the start (a checkpoint whose last event is no longer at its
 * place in the stream — a stream wiped or replaced — is dropped with those
 * after it), then the log read from the last one, a checkpoint cut at each
 * multiple of asOfEvery(). Returns them, with the per-origin heads of the
 * whole stream (what a spooled event is compared with).
 */
export async function extendCheckpoints(p: NodePaths, store: EventStore, onInvalid: (m: string) => void, signal?: AbortSignal): Promise<{ readonly chain: AsOfCheckpoint[]; readonly heads: Readonly<Record<string, number>> }> {
  const files = new AsOfCheckpointFiles(asOfDir(p), store.cluster);
  const chain: AsOfCheckpoint[] = [];
  const every = asOfEvery();
  // a spacing changed: the old cuts are dropped, the chain is cut again
  if (files.list().some((seq) => seq % every !== 0)) files.dropFrom(0);
  for (const c of chainOf(files.list().map((seq) => ({ seq, from: files.read(seq)?.from ?? -1 })))) {
    const cp = files.read(c.seq);
    const last = cp?.state.last;
    if (cp === undefined || (last !== undefined && (await store.eventAt(last.streamSeq))?.id !== last.event.id)) {
      files.dropFrom(c.seq);
      break;
    }
    chain.push(cp);
  }
  const builder = new AsOfCheckpointer(
    every,
    (c) => {
      files.write(c);
      chain.push(c);
    },
    chain.at(-1),
  );
  const from = chain.at(-1)?.seq ?? 0;
  // the records read are those up to the stream's end when the read began: checkpoints are cut up to there only
  const end = await readLogFrom(p, store, { fromSeq: from + 1, types: AS_OF_TYPES, spool: false, onInvalid }, (a) => {
    // stopped midway (a daemon stopping): the checkpoints cut so far are kept, the next run goes on from them
    signal?.throwIfAborted();
    builder.apply(a);
  });
  builder.passTo(end);
  return { chain, heads: builder.model.originHeads };
}

/**
 * The read models as they were at `bound` (svcmon --at, print status --at),
 * from the nearest checkpoint and the stretches of the log after it that
 * hold events within the bound, then the spool's events the stream does not
 * have yet. Same answer as a replay of the whole log, without reading it.
 */
export async function rebuildAsOf(p: NodePaths, bound: AsOfBound, onInvalid: (m: string) => void): Promise<ClusterAsOf> {
  const within = (a: { readonly streamSeq: number; readonly event: { readonly time: string } }) => ('seq' in bound ? a.streamSeq <= bound.seq : Date.parse(a.event.time) <= bound.time);
  return withLocalStore(p, async (store) => {
    let model: ClusterAsOf;
    let heads: Readonly<Record<string, number>> = {};
    let last = 0;
    if (store === undefined) {
      model = new ClusterAsOf();
    } else {
      const ext = await extendCheckpoints(p, store, onInvalid);
      heads = ext.heads;
      const plan = planAsOf(ext.chain.map(metaOf), bound);
      model = new ClusterAsOf(plan.base && ext.chain.find((c) => c.seq === plan.base!.seq)!.state);
      for (const r of plan.ranges) {
        await readLogFrom(p, store, { fromSeq: r.from, ...(r.to !== undefined ? { toSeq: r.to } : {}), types: AS_OF_TYPES, spool: false, onInvalid }, (a) => {
          if (within(a)) model.apply(a);
        });
      }
      last = await store.lastSeq();
    }
    const spooled = new Spool(p.spool).read((pb) => onInvalid(`${p.spool}:${pb.line}: ${pb.reason}, skipped`));
    for (const e of spooled) {
      if (e.seq <= (heads[e.origin] ?? 0) || !AS_OF_TYPES.has(e.type)) continue;
      const a = { streamSeq: ++last, event: e };
      if (within(a)) model.apply(a);
    }
    return model;
  });
}
