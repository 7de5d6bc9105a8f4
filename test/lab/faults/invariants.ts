import type { Probe } from './prober.js';
import type { Sample } from './sampler.js';
import type { StreamRecord } from './streamDump.js';

/**
 * What the fault suite holds true, as pure functions of what the observer
 * recorded: never the service on two nodes at once, the time the service
 * took to answer again, the nodes' logs converged.
 */

export interface Watched {
  /** the service address, without prefix length */
  readonly svcAddr: string;
  /** the SAN's filesystem devices */
  readonly devs: readonly string[];
}

/** What of the service a sample shows up on its node: `ip`, `fs /dev/loop1`, `app`. */
export function held(s: Sample, w: Watched): string[] {
  const out: string[] = [];
  if (s.addrs.some((a) => a.split('/')[0] === w.svcAddr)) out.push('ip');
  for (const dev of w.devs) if (s.mounts.some((m) => m.split(' ')[0] === dev)) out.push(`fs ${dev}`);
  if (s.app.length > 0) out.push('app');
  return out;
}

/** What two nodes' samples both show up: a failover service must show nothing here. */
export function bothHeld(a: Sample, b: Sample, w: Watched): string[] {
  const hb = new Set(held(b, w));
  return held(a, w).filter((x) => hb.has(x));
}

/** The other node's sample nearest in time to t, among `samples` (in time order), if within `withinMs`. */
export function nearest(samples: readonly Sample[], t: number, withinMs: number): Sample | undefined {
  let best: Sample | undefined;
  for (let i = samples.length - 1; i >= 0; i--) {
    const s = samples[i]!;
    if (best === undefined || Math.abs(s.t - t) < Math.abs(best.t - t)) best = s;
    if (s.t < t - withinMs) break;
  }
  return best !== undefined && Math.abs(best.t - t) <= withinMs ? best : undefined;
}

export interface Outage {
  /** the service failed to answer at least once after the fault */
  readonly interrupted: boolean;
  /** first failed probe after the fault */
  readonly firstFail?: number;
  /** when the first good answer after that failure arrived */
  readonly recoveredAt?: number;
  /** fault to service answering again (0: never interrupted) */
  readonly recoveryMs?: number;
  /** MAC that answered the first good probe after the failure */
  readonly mac?: string;
  /** failed probes after the fault */
  readonly failed: number;
}

/** How the service answered the prober after a fault at t0 (probes in time order). */
export function outageAfter(probes: readonly Probe[], t0: number): Outage {
  const after = probes.filter((p) => p.t >= t0);
  const failed = after.filter((p) => !p.ok).length;
  const fail = after.find((p) => !p.ok);
  if (fail === undefined) return { interrupted: false, recoveryMs: 0, failed };
  const back = after.find((p) => p.t > fail.t && p.ok);
  if (back === undefined) return { interrupted: true, firstFail: fail.t, failed };
  const recoveredAt = back.t + back.ms;
  return { interrupted: true, firstFail: fail.t, recoveredAt, recoveryMs: recoveredAt - t0, failed, ...(back.mac !== undefined ? { mac: back.mac } : {}) };
}

/**
 * Each log on its own: every event once (by id), and per origin in order,
 * each sequence the one after the last (the first of an origin may be any).
 */
export function streamProblems(node: string, records: readonly StreamRecord[]): string[] {
  const problems: string[] = [];
  const ids = new Set<string>();
  const last = new Map<string, number>();
  for (const r of records) {
    if (ids.has(r.id)) problems.push(`${node}: ${r.id} (${r.type}) stored twice (stream seq ${r.streamSeq})`);
    ids.add(r.id);
    const prev = last.get(r.origin);
    if (prev !== undefined && r.seq !== prev + 1) problems.push(`${node}: ${r.origin} seq ${r.seq} after ${prev} (stream seq ${r.streamSeq})`);
    last.set(r.origin, r.seq);
  }
  return problems;
}

/** Both logs hold the same events (same ids, each with the same origin, seq and type). */
export function convergenceProblems(a: { node: string; records: readonly StreamRecord[] }, b: { node: string; records: readonly StreamRecord[] }): string[] {
  const problems = [...streamProblems(a.node, a.records), ...streamProblems(b.node, b.records)];
  const key = (r: StreamRecord) => `${r.origin}:${r.seq}:${r.type}`;
  const ka = new Map(a.records.map((r) => [r.id, key(r)]));
  const kb = new Map(b.records.map((r) => [r.id, key(r)]));
  const onlyA = [...ka.keys()].filter((id) => !kb.has(id));
  const onlyB = [...kb.keys()].filter((id) => !ka.has(id));
  const show = (ids: string[]) => `${ids.slice(0, 5).join(', ')}${ids.length > 5 ? ` and ${ids.length - 5} more` : ''}`;
  if (onlyA.length > 0) problems.push(`${onlyA.length} event(s) only in ${a.node}'s log: ${show(onlyA)}`);
  if (onlyB.length > 0) problems.push(`${onlyB.length} event(s) only in ${b.node}'s log: ${show(onlyB)}`);
  for (const [id, k] of ka) if (kb.has(id) && kb.get(id) !== k) problems.push(`${id}: ${k} in ${a.node}'s log, ${kb.get(id) ?? ''} in ${b.node}'s`);
  return problems;
}

/** Per origin, the last sequence a log holds: what `heads` in a beat says. */
export function heads(records: readonly StreamRecord[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of records) out[r.origin] = Math.max(out[r.origin] ?? 0, r.seq);
  return out;
}
