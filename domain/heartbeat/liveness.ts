/**
 * Whether a peer beats, judged from what one heartbeat path reads: a counter
 * the peer changes on every beat, sampled on this node's monotonic clock.
 * The writer's clock is never compared with ours: clocks of two nodes may
 * disagree, a counter that moved cannot lie about having moved.
 *
 *   up       the counter changed within `timeoutMs` (a change seen, not a value read)
 *   down     no change for `timeoutMs`, while this path has been reading for at
 *            least `timeoutMs` and its reads are current
 *   unknown  anything else: not reading long enough yet, or the path cannot read
 *            now (failed, stalled): a disk that fails is no proof that a peer
 *            is dead, nor that it lives
 */

export type PeerState = 'up' | 'down' | 'unknown';

export interface PeerTrack {
  /** last valid counter read; null: read, nothing valid; undefined: not read since reads (re)started */
  readonly counter: number | null | undefined;
  /** our clock when the counter was last seen changing */
  readonly changedAt: number | undefined;
}

export interface PathTrack {
  /** our clock when reads started succeeding without a failure since */
  readonly readingSince: number | undefined;
  /** our clock at the last successful read of the peers' slots */
  readonly lastReadAt: number | undefined;
}

export const NEW_PEER: PeerTrack = { counter: undefined, changedAt: undefined };
export const NOT_READING: PathTrack = { readingSince: undefined, lastReadAt: undefined };

/**
 * A read of the peer's slot: `counter` when it held a valid beat of the
 * peer, undefined when it held nothing valid. The first read after reads
 * (re)start is a baseline, never a change: a beat left on the disk by a node
 * that died long ago must not make it up.
 */
export function observe(t: PeerTrack, counter: number | undefined, at: number): PeerTrack {
  if (t.counter === undefined) return { counter: counter ?? null, changedAt: t.changedAt };
  if (counter === undefined || counter === t.counter) return t;
  return { counter, changedAt: at };
}

/** The path read all peers' slots at `at`. */
export function readDone(p: PathTrack, at: number): PathTrack {
  return { readingSince: p.readingSince ?? at, lastReadAt: at };
}

/** The path cannot read: judging starts over, and every baseline with it (a change seen across a failure proves nothing about when). */
export function readFailed(peers: ReadonlyMap<string, PeerTrack>): { path: PathTrack; peers: Map<string, PeerTrack> } {
  return { path: NOT_READING, peers: new Map([...peers].map(([n, t]) => [n, { counter: undefined, changedAt: t.changedAt }])) };
}

export interface Judgement {
  readonly timeoutMs: number;
  /** reads older than this are not current: the path stalls, its peers are unknown, not down */
  readonly staleReadMs: number;
}

/** A path that does not read (failed, stalled, not started) says nothing of anyone: unknown, whatever it saw before. */
export function peerState(t: PeerTrack, p: PathTrack, now: number, j: Judgement): PeerState {
  if (p.readingSince === undefined || p.lastReadAt === undefined || now - p.lastReadAt > j.staleReadMs) return 'unknown';
  if (t.changedAt !== undefined && now - t.changedAt <= j.timeoutMs) return 'up';
  return now - p.readingSince >= j.timeoutMs ? 'down' : 'unknown';
}

/**
 * The first instant after `now` at which peerState may answer otherwise
 * with no new read: a beat growing old, the path reading long enough to
 * judge, reads growing stale. undefined: only a read can change it. A
 * caller arms one timer for it instead of asking again and again.
 */
export function nextJudgementAt(t: PeerTrack, p: PathTrack, now: number, j: Judgement): number | undefined {
  if (p.readingSince === undefined || p.lastReadAt === undefined || now - p.lastReadAt > j.staleReadMs) return undefined;
  // `>` thresholds change just after the instant: 1 ms after, on a clock in ms
  const at = [p.lastReadAt + j.staleReadMs + 1, p.readingSince + j.timeoutMs];
  if (t.changedAt !== undefined) at.push(t.changedAt + j.timeoutMs + 1);
  const later = at.filter((x) => x > now);
  return later.length > 0 ? Math.min(...later) : undefined;
}
