/**
 * Whether a network beat says the peer lives now, or only that it lived when
 * it sent it. TCP delivers late what it could not deliver in time: a beat
 * written just before a link was cut waits in the sender's kernel and is
 * retransmitted when the link comes back, even if the daemon that sent it
 * died since (its node's kernel kept the socket). Taken as a sign of life,
 * such a beat makes a dead peer `up` again, with the status it had before
 * it died.
 *
 * Each beat carries its sender's monotonic clock and which daemon sent it
 * (`boot`: the sender's DaemonStarted sequence, larger for each start). The
 * receiver compares the gap between two beats of the same daemon on both
 * monotonic clocks: a beat that arrives later after the previous fresh one
 * than it was sent after it was held up on the way by that much. Neither
 * wall clock is read: a skew between the nodes or a clock step changes
 * nothing.
 *
 *   fresh   the first beat heard of the peer, a beat of a daemon newer than
 *           the last one heard, or a beat held up no longer than `maxLateMs`
 *   stale   a beat of an earlier daemon than the last one heard, or one held
 *           up longer than `maxLateMs`: it proves the peer lived then, not now
 *
 * A sender whose monotonic clock stood still while ours ran (its whole
 * machine paused) sends late-looking beats from then on, each on time after
 * the one before: once such a run has lasted `maxLateMs` on our clock, it is
 * the new reference. Beats delivered late in a burst never make such a run.
 */

export interface BeatClock {
  /** which daemon of the peer sent it (DaemonStarted's sequence): larger is newer */
  readonly boot: number;
  /** the sender's monotonic clock when it sent the beat (ms) */
  readonly sentMono: number;
  /** this node's monotonic clock when it received the beat (ms) */
  readonly receivedMono: number;
}

export interface BeatTrack {
  /** the last fresh beat: what the next ones are measured against */
  readonly ref: BeatClock;
  /** the run of stale beats since it, each on time after the one before: first and last */
  readonly run?: { readonly first: BeatClock; readonly last: BeatClock };
}

export type BeatVerdict = { readonly fresh: true; readonly track: BeatTrack } | { readonly fresh: false; readonly track: BeatTrack; readonly why: string };

/** how much later than it was sent after `ref` the beat arrived after it (ms; negative: earlier) */
export const heldUpBy = (ref: BeatClock, b: BeatClock): number => b.receivedMono - ref.receivedMono - (b.sentMono - ref.sentMono);

export function judgeBeat(track: BeatTrack | undefined, b: BeatClock, maxLateMs: number): BeatVerdict {
  if (track === undefined || b.boot > track.ref.boot) return { fresh: true, track: { ref: b } };
  if (b.boot < track.ref.boot) return { fresh: false, track, why: `sent by an earlier daemon of the node (${b.boot}) than the one beating since (${track.ref.boot})` };
  const late = heldUpBy(track.ref, b);
  if (late <= maxLateMs) return { fresh: true, track: { ref: b } };
  // a paced run: sent and received at the same pace as the stale beat before it, not a burst of old ones
  const run = track.run;
  const paced = run !== undefined && b.sentMono > run.last.sentMono && b.receivedMono > run.last.receivedMono && Math.abs(heldUpBy(run.last, b)) <= maxLateMs / 2 && (b.receivedMono - run.last.receivedMono) * 2 >= b.sentMono - run.last.sentMono;
  if (paced && b.receivedMono - run.first.receivedMono >= maxLateMs) return { fresh: true, track: { ref: b } };
  const next = { ref: track.ref, run: paced ? { first: run.first, last: b } : { first: b, last: b } };
  return { fresh: false, track: next, why: `held up ${(late / 1000).toFixed(1)}s on the way (more than ${(maxLateMs / 1000).toFixed(1)}s): it says the node lived when it sent it, not now` };
}
