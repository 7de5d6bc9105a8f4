import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { AS_OF_TYPES, AsOfCheckpointer, ClusterAsOf, chainOf, metaOf, planAsOf } from '../../../projections/asOf.js';
import type { AsOfBound, AsOfCheckpoint } from '../../../projections/asOf.js';
import type { Applied } from '../../../projections/instances.js';

const DIR = path.join(process.cwd(), 'test/fixtures/logs');

/** The recorded lab logs, the types --at reads only (as the replay hands them). */
function recorded(): { readonly name: string; readonly log: Applied[] }[] {
  return fs
    .readdirSync(DIR)
    .filter((f) => f.endsWith('.jsonl'))
    .sort()
    .map((f) => ({
      name: f,
      log: fs
        .readFileSync(path.join(DIR, f), 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as Applied & { fixture?: unknown })
        .filter((a) => a.fixture === undefined && AS_OF_TYPES.has(a.event.type)),
    }));
}

/** The view at `bound` the slow way: every event of the log within it, in order. */
function full(log: readonly Applied[], bound: AsOfBound): ClusterAsOf {
  const m = new ClusterAsOf();
  for (const a of log) if (within(bound, a)) m.apply(a);
  return m;
}

function within(bound: AsOfBound, a: Applied): boolean {
  return 'seq' in bound ? a.streamSeq <= bound.seq : Date.parse(a.event.time) <= bound.time;
}

/** The view at `bound` as rebuildAsOf takes it: a checkpoint, then only the stretches the plan names. */
function planned(log: readonly Applied[], chain: readonly AsOfCheckpoint[], bound: AsOfBound): { model: ClusterAsOf; read: number } {
  const plan = planAsOf(chain.map(metaOf), bound);
  // through JSON, as the checkpoint files hold them
  const base = plan.base && (JSON.parse(JSON.stringify(chain.find((c) => c.seq === plan.base!.seq)!)) as AsOfCheckpoint);
  const m = new ClusterAsOf(base?.state);
  let read = 0;
  for (const r of plan.ranges) {
    for (const a of log) {
      if (a.streamSeq < r.from || (r.to !== undefined && a.streamSeq > r.to)) continue;
      read++;
      if (within(bound, a)) m.apply(a);
    }
  }
  return { model: m, read };
}

function checkpoints(log: readonly Applied[], every: number): AsOfCheckpoint[] {
  const out: AsOfCheckpoint[] = [];
  const b = new AsOfCheckpointer(every, (c) => out.push(c));
  for (const a of log) b.apply(a);
  b.passTo(log.at(-1)?.streamSeq ?? 0);
  b.model.stop();
  return out;
}

/** What svcmon and print status --at show of a view: compared whole. */
function shown(m: ClusterAsOf): unknown {
  const s = m.state();
  const instances = s.instances.instances.map((i) => ({ svc: i.svc, node: i.node, view: m.instances.get(i.svc, i.node), resources: i.resources })).sort((a, b) => `${a.svc} ${a.node}`.localeCompare(`${b.svc} ${b.node}`));
  const peers = m.nodes.flatMap((o) => m.nodes.map((p) => [o, p, m.peerAsSeenBy(o, p)]));
  return { instances, nodes: s.nodes, known: s.known, last: s.last?.event.id, peers, configs: s.configs, heads: s.heads };
}

describe('--at from checkpoints: the same view as a replay of the whole log', () => {
  const logs = recorded();

  it.each(logs.map((l) => [l.name, l.log] as const))('%s: every sequence and every event time, checkpoints every 7 records', (_name, log) => {
    const chain = checkpoints(log, 7);
    expect(chain.length).toBeGreaterThan(3);
    const bounds: AsOfBound[] = [...log.map((a) => ({ seq: a.streamSeq })), ...log.map((a) => ({ time: Date.parse(a.event.time) })), { time: Date.parse(log[0]!.event.time) - 1 }];
    for (const bound of bounds) {
      const a = full(log, bound);
      const b = planned(log, chain, bound);
      expect({ bound, view: shown(b.model) }).toEqual({ bound, view: shown(a) });
      a.stop();
      b.model.stop();
    }
  });

  it('an event stored late (a spool drained after a partition) is in the view of the time it happened', () => {
    const { log } = logs[0]!;
    // the log with its first node event moved to the end, as a drain stores it: stored last, happened early
    const early = log.findIndex((a) => a.event.type === 'DaemonStarted');
    const moved = [...log.slice(0, early), ...log.slice(early + 1), log[early]!].map((a, i) => ({ streamSeq: i + 1, event: a.event }));
    const chain = checkpoints(moved, 5);
    const bound = { time: Date.parse(log[early]!.event.time) };
    const b = planned(moved, chain, bound);
    const a = full(moved, bound);
    expect(shown(b.model)).toEqual(shown(a));
    expect(a.state().heads).toEqual(b.model.state().heads);
  });

  it('a view reads only past its checkpoint: at a time early in a long log, the stretches after are skipped', () => {
    const { log } = logs[0]!;
    const chain = checkpoints(log, 5);
    const bound = { time: Date.parse(log[12]!.event.time) };
    const { read, model } = planned(log, chain, bound);
    // the checkpoint before the bound, the stretch holding it and the log's tail past the last checkpoint
    expect(read).toBeLessThanOrEqual(5 + 5 + 5);
    model.stop();
  });

  it('the chain stops at a missing checkpoint: those after it are not used', () => {
    expect(chainOf([{ seq: 10, from: 0 }, { seq: 20, from: 10 }, { seq: 40, from: 30 }])).toEqual([{ seq: 10, from: 0 }, { seq: 20, from: 10 }]);
    expect(chainOf([{ seq: 20, from: 10 }])).toEqual([]);
  });

  it('a sequence bound: the last checkpoint at or before it, then the records up to it', () => {
    const chain = [
      { seq: 10, from: 0, segmentMinTime: 1, maxTime: 10 },
      { seq: 20, from: 10, segmentMinTime: 11, maxTime: 20 },
    ];
    expect(planAsOf(chain, { seq: 15 })).toEqual({ base: chain[0], ranges: [{ from: 11, to: 15 }] });
    expect(planAsOf(chain, { seq: 20 })).toEqual({ base: chain[1], ranges: [] });
    expect(planAsOf(chain, { seq: 5 })).toEqual({ base: undefined, ranges: [{ from: 1, to: 5 }] });
    // a time: the stretch (10, 20] holds events of time 11 and later; the tail is always read
    expect(planAsOf(chain, { time: 10 })).toEqual({ base: chain[0], ranges: [{ from: 21, to: undefined }] });
    // (10, 20] then the tail: one read
    expect(planAsOf(chain, { time: 12 })).toEqual({ base: chain[0], ranges: [{ from: 11, to: undefined }] });
  });
});
