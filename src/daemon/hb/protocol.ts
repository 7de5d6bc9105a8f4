import { NODE_RE, validateEvent } from '../../../domain/events.js';
import type { AnyEvent } from '../../../domain/events.js';

/**
 * The unicast heartbeat, one HTTP request per peer and beat:
 *
 *   POST /hb  (on the peer's hb#N port, signed like listener requests:
 *             Authorization: Bearer HMAC-SHA256(cluster secret, "<node>:<unix-time>"),
 *             X-Hasvc-Node, X-Hasvc-Time)
 *   body:   Beat  { v, cluster, node, hb, status, heads, events }
 *   answer: Ack   { node, acks }
 *
 * `heads` says, per origin, the last sequence the sender's stream holds;
 * `acks` says, per origin of those, the last sequence the receiver's stream
 * holds once the beat's events are appended. The next beat carries, per
 * origin, the events after the receiver's ack, in order: every node's log
 * converges to the whole cluster's events, each once, per origin in order.
 */

export const BEAT_VERSION = 1;
/** events per beat; the rest goes with the next ones */
export const MAX_EVENTS_PER_BEAT = 500;
export const MAX_BEAT_BYTES = 16 * 1024 * 1024;

/** What a node tells its peers about itself on every beat. */
export interface PeerStatus {
  readonly load15m: number;
  readonly frozen: boolean;
  /** its instances, as it reduces them: svc -> avail/overall/frozen */
  readonly instances: Readonly<Record<string, { readonly avail: string; readonly overall: string; readonly frozen: boolean }>>;
}

export interface Beat {
  readonly v: number;
  readonly cluster: string;
  readonly node: string;
  readonly hb: string;
  readonly status: PeerStatus;
  readonly heads: Readonly<Record<string, number>>;
  readonly events: readonly AnyEvent[];
}

export interface Ack {
  readonly node: string;
  readonly acks: Readonly<Record<string, number>>;
}

export class BeatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BeatError';
  }
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function seqMap(x: unknown, what: string): Record<string, number> {
  if (!isRecord(x)) throw new BeatError(`${what} must be an object`);
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(x)) {
    if (!NODE_RE.test(k)) throw new BeatError(`${what}: ${JSON.stringify(k)} is not a node name`);
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new BeatError(`${what}.${k} must be a non-negative integer`);
    out[k] = v;
  }
  return out;
}

function parseStatus(x: unknown): PeerStatus {
  if (!isRecord(x)) throw new BeatError('status must be an object');
  const load = typeof x.load15m === 'number' && Number.isFinite(x.load15m) ? x.load15m : 0;
  const instances: Record<string, { avail: string; overall: string; frozen: boolean }> = {};
  if (isRecord(x.instances)) {
    for (const [svc, i] of Object.entries(x.instances)) {
      if (!isRecord(i)) continue;
      instances[svc] = { avail: String(i.avail), overall: String(i.overall), frozen: i.frozen === true };
    }
  }
  return { load15m: load, frozen: x.frozen === true, instances };
}

export interface ParsedBeat {
  readonly beat: Beat;
  /** events refused at the boundary, with why: reported, never appended */
  readonly rejected: readonly string[];
}

/**
 * Validate a beat at the boundary. Events failing validateEvent, of another
 * cluster, or of the receiver's own origin are dropped and reported; the
 * rest are kept.
 */
export function parseBeat(raw: unknown, receiver: string): ParsedBeat {
  if (!isRecord(raw)) throw new BeatError('a JSON object is expected');
  if (raw.v !== BEAT_VERSION) throw new BeatError(`version ${String(raw.v)} not supported (expected ${BEAT_VERSION})`);
  for (const k of ['cluster', 'node', 'hb'] as const) if (typeof raw[k] !== 'string' || raw[k] === '') throw new BeatError(`${k} must be a non-empty string`);
  const node = raw.node as string;
  const cluster = raw.cluster as string;
  if (!NODE_RE.test(node)) throw new BeatError('node is not a node name');
  if (!Array.isArray(raw.events)) throw new BeatError('events must be a list');
  const rejected: string[] = [];
  const events: AnyEvent[] = [];
  for (const e of raw.events) {
    const v = validateEvent(e);
    if (!v.ok) rejected.push(v.reason);
    else if (v.event.origin === receiver) rejected.push(`${v.event.id}: the receiver's own event`);
    else if (v.event.cluster !== cluster) rejected.push(`${v.event.id}: of cluster ${v.event.cluster}, not ${cluster}`);
    else events.push(v.event);
  }
  return {
    beat: { v: BEAT_VERSION, cluster, node, hb: raw.hb as string, status: parseStatus(raw.status), heads: seqMap(raw.heads, 'heads'), events },
    rejected,
  };
}

export function parseAck(raw: unknown): Ack {
  if (!isRecord(raw) || typeof raw.node !== 'string') throw new BeatError('heartbeat answer: {node, acks} expected');
  return { node: raw.node, acks: seqMap(raw.acks, 'acks') };
}

/**
 * The events to append, per origin: those after what the stream holds
 * (`last(origin)`), in sequence order, each once. A gap is allowed (a
 * sender's stream may start mid-way, after a join); going back never is.
 */
export function toAppend(events: readonly AnyEvent[], last: ReadonlyMap<string, number>): AnyEvent[] {
  const byOrigin = new Map<string, AnyEvent[]>();
  for (const e of events) {
    const l = byOrigin.get(e.origin) ?? [];
    l.push(e);
    byOrigin.set(e.origin, l);
  }
  const out: AnyEvent[] = [];
  for (const [origin, list] of byOrigin) {
    let at = last.get(origin) ?? 0;
    for (const e of [...list].sort((a, b) => a.seq - b.seq)) {
      if (e.seq <= at) continue;
      out.push(e);
      at = e.seq;
    }
  }
  return out;
}

export interface Want {
  readonly origin: string;
  /** send events with a sequence above this */
  readonly after: number;
  readonly max: number;
}

/**
 * What the next beat to a peer carries: per origin the sender holds more of
 * than the peer acknowledged, the events after the ack, never the peer's own
 * (it is their source), at most `limit` in all, shared out so one busy
 * origin does not starve the others. Without an ack yet (first beat), nothing:
 * the peer's answer says where to start.
 */
export function selectBatch(heads: ReadonlyMap<string, number>, acks: ReadonlyMap<string, number> | undefined, peer: string, limit = MAX_EVENTS_PER_BEAT): Want[] {
  if (!acks) return [];
  const behind = [...heads]
    .filter(([origin, head]) => origin !== peer && head > (acks.get(origin) ?? 0))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([origin, head]) => ({ origin, after: acks.get(origin) ?? 0, missing: head - (acks.get(origin) ?? 0) }));
  const out: Want[] = [];
  let left = limit;
  let todo = behind;
  while (left > 0 && todo.length > 0) {
    const share = Math.max(1, Math.floor(left / todo.length));
    const next: typeof todo = [];
    for (const b of todo) {
      if (left <= 0) break;
      const prev = out.find((w) => w.origin === b.origin);
      const have = prev?.max ?? 0;
      const take = Math.min(share, b.missing - have, left);
      if (take <= 0) continue;
      left -= take;
      if (prev) out[out.indexOf(prev)] = { ...prev, max: have + take };
      else out.push({ origin: b.origin, after: b.after, max: take });
      if (have + take < b.missing) next.push(b);
    }
    todo = next;
  }
  return out;
}
