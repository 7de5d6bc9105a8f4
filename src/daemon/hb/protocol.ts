import { NODE_RE, validateEvent } from '../../../domain/events.js';
import type { AnyEvent } from '../../../domain/events.js';

/**
 * The unicast heartbeat, one HTTP request per peer and beat:
 *
 *   POST /hb  (on the peer's hb#N port, signed, sealed and used once like
 *             listener requests: src/daemon/auth.ts, hasvc auth v2)
 *   body:   Beat  { v, cluster, node, hb, status, heads, events, boot, mono }
 *   answer: Ack   { node, acks }
 *
 * `heads` says, per origin, the last sequence the sender's stream holds;
 * `acks` says, per origin of those, the last sequence the receiver's stream
 * holds once the beat's events are appended. The next beat carries the
 * sender's own events after the receiver's ack, in order: every node's log
 * converges to the whole cluster's events, each once, per origin in order.
 *
 * A beat carries only its sender's own events: the sender is authenticated
 * by its node key, so no node can put words in another's mouth. Per origin,
 * the receiver appends exactly the next sequence (last + 1; any start when
 * it holds nothing of that origin yet): a gap or a rewrite is refused and
 * logged, never stored.
 */

export const BEAT_VERSION = 1;
/** events per beat; the rest goes with the next ones */
export const MAX_EVENTS_PER_BEAT = 500;
/** a beat's body, sealed: 500 events of a few hundred bytes fit many times over */
export const MAX_BEAT_BYTES = 4 * 1024 * 1024;

/** What a node tells its peers about itself on every beat. */
export interface PeerStatus {
  readonly load15m: number;
  readonly frozen: boolean;
  /** the sender's daemon is stopping (its last beat): its services may keep running while it is away */
  readonly stopping?: boolean;
  /** its instances, as it reduces them: svc -> avail/overall/frozen */
  readonly instances: Readonly<Record<string, { readonly avail: string; readonly overall: string; readonly frozen: boolean }>>;
  /**
   * set by the receiver, never read off the wire: the sender's last beat said
   * it holds events of its own the receiver had not stored yet
   */
  readonly behind?: boolean;
}

export interface Beat {
  readonly v: number;
  readonly cluster: string;
  readonly node: string;
  readonly hb: string;
  readonly status: PeerStatus;
  readonly heads: Readonly<Record<string, number>>;
  readonly events: readonly AnyEvent[];
  /** which daemon of the sender sent it (its DaemonStarted sequence) and its monotonic clock then (ms): domain/heartbeat/beatAge.ts */
  readonly boot?: number;
  readonly mono?: number;
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

/**
 * Per-origin sequences. An entry that is not a node name or not a sequence
 * is left out, not fatal: one bad origin in a peer's stream must not stop
 * its heartbeats for good.
 */
function seqMap(x: unknown, what: string): Record<string, number> {
  if (!isRecord(x)) throw new BeatError(`${what} must be an object`);
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(x)) {
    if (!NODE_RE.test(k) || typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) continue;
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
  return { load15m: load, frozen: x.frozen === true, instances, ...(x.stopping === true ? { stopping: true } : {}) };
}

/** boot and mono, when both are there and sane (a sender of an earlier version sends neither: its beats are not judged late) */
function clockOf(raw: Record<string, unknown>): { boot: number; mono: number } | Record<string, never> {
  const { boot, mono } = raw;
  if (boot === undefined && mono === undefined) return {};
  if (typeof boot !== 'number' || !Number.isSafeInteger(boot) || boot < 0) throw new BeatError('boot must be a non-negative integer');
  if (typeof mono !== 'number' || !Number.isFinite(mono) || mono < 0) throw new BeatError('mono must be a non-negative number of ms');
  return { boot, mono };
}

export interface ParsedBeat {
  readonly beat: Beat;
  /** events refused at the boundary, with why: reported, never appended */
  readonly rejected: readonly string[];
}

/**
 * Validate a beat at the boundary. Events failing validateEvent, of another
 * cluster, or of another origin than the sender are dropped and reported;
 * the rest are kept. More than MAX_EVENTS_PER_BEAT events is no beat.
 */
export function parseBeat(raw: unknown, receiver: string): ParsedBeat {
  if (!isRecord(raw)) throw new BeatError('a JSON object is expected');
  if (raw.v !== BEAT_VERSION) throw new BeatError(`version ${String(raw.v)} not supported (expected ${BEAT_VERSION})`);
  for (const k of ['cluster', 'node', 'hb'] as const) if (typeof raw[k] !== 'string' || raw[k] === '') throw new BeatError(`${k} must be a non-empty string`);
  const node = raw.node as string;
  const cluster = raw.cluster as string;
  if (!NODE_RE.test(node)) throw new BeatError('node is not a node name');
  if (node === receiver) throw new BeatError('a beat from this node itself');
  if (!Array.isArray(raw.events)) throw new BeatError('events must be a list');
  if (raw.events.length > MAX_EVENTS_PER_BEAT) throw new BeatError(`${raw.events.length} events in one beat (at most ${MAX_EVENTS_PER_BEAT})`);
  const rejected: string[] = [];
  const events: AnyEvent[] = [];
  for (const e of raw.events) {
    const v = validateEvent(e);
    if (!v.ok) rejected.push(v.reason);
    else if (v.event.origin !== node) rejected.push(`${v.event.id}: of origin ${JSON.stringify(v.event.origin)}: a beat carries its sender's own events only`);
    else if (v.event.cluster !== cluster) rejected.push(`${v.event.id}: of cluster ${JSON.stringify(v.event.cluster)}, not ${cluster}`);
    else events.push(v.event);
  }
  return {
    beat: { v: BEAT_VERSION, cluster, node, hb: raw.hb as string, status: parseStatus(raw.status), heads: seqMap(raw.heads, 'heads'), events, ...clockOf(raw) },
    rejected,
  };
}

export function parseAck(raw: unknown): Ack {
  if (!isRecord(raw) || typeof raw.node !== 'string') throw new BeatError('heartbeat answer: {node, acks} expected');
  return { node: raw.node, acks: seqMap(raw.acks, 'acks') };
}

/**
 * The events to append, per origin: exactly the next ones after what the
 * stream holds (`last(origin)`), in sequence order, each once. Holding
 * nothing of an origin yet, its first event may have any sequence (a
 * node's stream starts mid-way after it joined a cluster); after that, a
 * gap stops the origin there (the sender is sent back to the ack) and is
 * reported, as is an event that would rewrite a held sequence with another id.
 */
export function toAppend(events: readonly AnyEvent[], last: ReadonlyMap<string, number>): { readonly append: AnyEvent[]; readonly refused: string[] } {
  const byOrigin = new Map<string, AnyEvent[]>();
  for (const e of events) {
    const l = byOrigin.get(e.origin) ?? [];
    l.push(e);
    byOrigin.set(e.origin, l);
  }
  const out: AnyEvent[] = [];
  const refused: string[] = [];
  for (const [origin, list] of byOrigin) {
    let at = last.get(origin) ?? 0;
    const taken = new Map<number, string>();
    for (const e of [...list].sort((a, b) => a.seq - b.seq)) {
      const dup = taken.get(e.seq);
      if (dup !== undefined) {
        if (dup !== e.id) refused.push(`${origin}:${e.seq}: two events with one sequence (fork)`);
        continue;
      }
      taken.set(e.seq, e.id);
      if (e.seq <= at) continue;
      if (at > 0 && e.seq !== at + 1) {
        refused.push(`${origin}:${e.seq}: gap after ${origin}:${at}`);
        break;
      }
      out.push(e);
      at = e.seq;
    }
  }
  return { append: out, refused };
}

export interface Want {
  readonly origin: string;
  /** send events with a sequence above this */
  readonly after: number;
  readonly max: number;
}

/**
 * What the next beat to a peer carries: the sender's own events after the
 * peer's ack, at most `limit`. (The shape stays per origin: a relay of
 * events signed at their origin would fit it.) Without an ack yet (first
 * beat), nothing: the peer's answer says where to start.
 */
export function selectBatch(heads: ReadonlyMap<string, number>, acks: ReadonlyMap<string, number> | undefined, self: string, limit = MAX_EVENTS_PER_BEAT): Want[] {
  if (!acks) return [];
  const behind = [...heads]
    .filter(([origin, head]) => origin === self && head > (acks.get(origin) ?? 0))
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
