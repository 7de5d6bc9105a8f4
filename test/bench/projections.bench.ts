import type { NatsEndpoint } from '../../adapters/nats/connect.js';
import { EventStore } from '../../adapters/nats/eventStore.js';
import { makeEvent } from '../../domain/events.js';
import type { AnyEvent, NewEvent } from '../../domain/events.js';
import { emptyHistory, evolveHistory } from '../../projections/history.js';
import { catchUp } from '../../src/events/catchUp.js';
import { InstancesProjection } from '../../projections/instances.js';
import type { Applied } from '../../projections/instances.js';
import { rawOrderedConsumerRate } from './raw.js';
import type { BenchResult } from './report.js';

/** How many lines each resource prints during an action, in the order the action takes the resources. */
type ActionShape = readonly (readonly [rid: string, lines: number])[];

/**
 * The events the engine records for a start and a stop of the tutorial's
 * svc1 (ip, disk, fs), as test/integration/action/engine.int.test.ts
 * records them for real: a start is 26 events (15 of them lines), a stop 23.
 */
const RECORDED: { readonly start: ActionShape; readonly stop: ActionShape } = {
  start: [['ip#0', 3], ['disk#0', 5], ['fs#app', 7]],
  stop: [['fs#app', 1], ['disk#0', 8], ['ip#0', 2]],
};

/** The lightest actions there are, one line per resource: the most decoding per event, the worst case for a replay. */
const ONE_LINE: { readonly start: ActionShape; readonly stop: ActionShape } = {
  start: [['ip#0', 1], ['fs#app', 1], ['app#web', 1]],
  stop: [['app#web', 1], ['fs#app', 1], ['ip#0', 1]],
};

export type LogMix = 'recorded' | 'one-line';

const MIX_NAMES: Record<LogMix, string> = { recorded: 'actions as recorded', 'one-line': 'one line per resource, worst case' };

/** Starts and stops of 100 services, each as a real action is recorded: request, lines, result per resource, then statuses. */
export function* actionLog(cluster: string, n: number, mix: LogMix = 'recorded', origin = 'node1', startMs = Date.UTC(2026, 0, 1)): Generator<AnyEvent> {
  const shapes = mix === 'recorded' ? RECORDED : ONE_LINE;
  const t = startMs;
  let seq = 0;
  let i = 0;
  const ev = <T extends NewEvent['type']>(e: NewEvent<T>): AnyEvent => makeEvent(e, { cluster, origin, seq: ++seq, time: new Date(t + seq).toISOString() }) as AnyEvent;
  while (seq < n) {
    const svc = `svc${i % 100}`;
    const action = Math.floor(i / 100) % 2 === 0 ? 'start' : 'stop';
    i++;
    const shape = shapes[action];
    const started = ev({ type: 'ActionStarted', svc, data: { action, rids: shape.map(([rid]) => rid), argv: [svc, action], user: 'root' } });
    yield started;
    for (const [rid, lines] of shape) {
      yield ev({ type: action === 'start' ? 'ResourceStartRequested' : 'ResourceStopRequested', svc, rid, causation: started.id, data: {} });
      for (let l = 0; l < lines; l++) yield ev({ type: 'ResourceLogged', svc, rid, causation: started.id, data: { level: 'info', message: `${rid} ${action}: command ${l} of ${lines}` } });
      yield action === 'start'
        ? ev({ type: 'ResourceStarted', svc, rid, causation: started.id, data: { alreadyUp: false } })
        : ev({ type: 'ResourceStopped', svc, rid, causation: started.id, data: { alreadyDown: false } });
    }
    const status = action === 'start' ? 'up' : 'down';
    for (const [rid] of shape) yield ev({ type: 'ResourceStatusChanged', svc, rid, causation: started.id, data: { status, label: rid, log: [] } });
    yield ev({ type: 'InstanceStatusChanged', svc, causation: started.id, data: { avail: status, overall: status } });
    yield ev({ type: 'ActionFinished', svc, causation: started.id, data: { action, result: 'ok', durationMs: 10 } });
  }
}

function feedAll(events: Iterable<Applied>): { instances: InstancesProjection; count: number } {
  const instances = new InstancesProjection();
  let history = emptyHistory;
  let count = 0;
  for (const a of events) {
    instances.apply(a);
    history = evolveHistory(history, a);
    count++;
  }
  return { instances, count };
}

/** Rebuilding every projection from an in-memory log of n events (no I/O): the projections' own cost. */
export function benchRebuild(n: number): BenchResult[] {
  const log: Applied[] = [];
  let i = 0;
  for (const e of actionLog('mem', n)) log.push({ streamSeq: ++i, event: e });
  const t0 = performance.now();
  const { instances, count } = feedAll(log);
  const s = (performance.now() - t0) / 1000;
  instances.stop();
  return [
    { name: `rebuild all projections from ${count.toLocaleString('en-US')} events (in memory)`, unit: 's', ours: s },
    { name: 'projection apply rate', unit: 'events/s', ours: count / s },
  ];
}

/** Replay from the stream into every projection, beside the raw ordered consumer over the same stream. */
export async function benchReplayIntoProjections(endpoint: NatsEndpoint, n: number, mix: LogMix, rounds = 5): Promise<BenchResult[]> {
  const cluster = `benchproj-${mix}`;
  const store = await EventStore.open({ ...endpoint, cluster });
  try {
    await store.append([...actionLog(cluster, n, mix)], 256);
    const raw = () => rawOrderedConsumerRate(store);
    let count = 0;
    const ours = async () => {
      const t0 = performance.now();
      const r = await catchUp(store, { spec: { history: true, recent: 0 } });
      count = r.count;
      r.instances.stop();
      return r.count / ((performance.now() - t0) / 1000);
    };
    // interleaved rounds, medians: the machine's load moves during a run
    const rates = { raw: [] as number[], ours: [] as number[] };
    await ours();
    for (let i = 0; i < rounds; i++) {
      rates.raw.push(await raw());
      rates.ours.push(await ours());
    }
    return [
      {
        name: `replay ${count} events (${MIX_NAMES[mix]}) into all projections (median of ${rounds})`,
        unit: 'events/s',
        ours: median(rates.ours),
        raw: median(rates.raw),
        ...(mix === 'recorded' ? { goal: 0.7 } : {}),
      },
    ];
  } finally {
    await store.close();
  }
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}
