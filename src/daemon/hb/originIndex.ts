/**
 * Where each origin's events sit in the node's stream: per origin, the
 * per-origin sequences in order with their stream sequence. A beat reads the
 * events after a peer's ack from the stream by these stream sequences, so
 * nothing but two numbers per event stays in memory.
 */
export class OriginIndex {
  private readonly byOrigin = new Map<string, { seqs: number[]; streamSeqs: number[] }>();

  add(origin: string, seq: number, streamSeq: number): void {
    let o = this.byOrigin.get(origin);
    if (!o) {
      o = { seqs: [], streamSeqs: [] };
      this.byOrigin.set(origin, o);
    }
    // the stream holds an origin's events in sequence order: anything else is a re-delivery
    if (o.seqs.length > 0 && seq <= o.seqs[o.seqs.length - 1]!) return;
    o.seqs.push(seq);
    o.streamSeqs.push(streamSeq);
  }

  /** origin -> the last sequence held */
  heads(): Map<string, number> {
    const out = new Map<string, number>();
    for (const [origin, o] of this.byOrigin) if (o.seqs.length > 0) out.set(origin, o.seqs[o.seqs.length - 1]!);
    return out;
  }

  /** Stream sequences of the origin's events with a sequence above `after`, at most `max`, in order. */
  after(origin: string, after: number, max: number): number[] {
    const o = this.byOrigin.get(origin);
    if (!o) return [];
    let lo = 0;
    let hi = o.seqs.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (o.seqs[mid]! <= after) lo = mid + 1;
      else hi = mid;
    }
    return o.streamSeqs.slice(lo, lo + max);
  }
}
