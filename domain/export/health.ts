import type { KeywordValue } from '../config/types.js';
import type { NewEvent } from '../events.js';

/**
 * The export of a node's events to an organisation's NATS system
 * (`[nats] export_url`): when it counts as stalled, when as resumed, what
 * svcmon says meanwhile. Pure: the exporter feeds it what happened and the
 * time, and records the events it returns.
 */

export interface ExportSettings {
  /** the URL without its credentials: what events and warnings show */
  readonly shownUrl: string;
  readonly stream: string;
  /** failing this long (ms) without a success is a stall */
  readonly stallAfterMs: number;
}

export interface ExportHealth {
  /** first failure since the last success (ms) */
  readonly failingSince: number | undefined;
  /** consecutive failures: the backoff before the next attempt */
  readonly failures: number;
  readonly reason: string | undefined;
  /** this node's events not exported yet, as last counted */
  readonly waiting: number | undefined;
  /** set once ExportStalled is recorded, until ExportResumed: the outage's first failure */
  readonly stalledSince: number | undefined;
  /** the node's per-origin sequence exported through when it stalled */
  readonly stalledThrough: number;
}

export const HEALTHY: ExportHealth = { failingSince: undefined, failures: 0, reason: undefined, waiting: undefined, stalledSince: undefined, stalledThrough: 0 };

export type ExportOutcome =
  /** connecting, reading the stream or a publish failed; through: the node's per-origin sequence exported through */
  | { readonly kind: 'failed'; readonly reason: string; readonly through: number; readonly waiting?: number | undefined }
  /** events stored by the organisation's stream, acknowledged */
  | { readonly kind: 'exported' }
  /** connected and nothing left to send: the node's events are exported through `through`, its last */
  | { readonly kind: 'caughtUp'; readonly through: number };

export interface ExportStep {
  readonly health: ExportHealth;
  readonly events: readonly NewEvent[];
}

export function evolveExport(h: ExportHealth, o: ExportOutcome, now: number, s: ExportSettings): ExportStep {
  switch (o.kind) {
    case 'failed': {
      const failingSince = h.failingSince ?? now;
      const next: ExportHealth = { ...h, failingSince, failures: h.failures + 1, reason: o.reason, waiting: o.waiting ?? h.waiting };
      if (h.stalledSince !== undefined || now - failingSince < s.stallAfterMs) return { health: next, events: [] };
      const waiting = next.waiting;
      return {
        health: { ...next, stalledSince: failingSince, stalledThrough: o.through },
        events: [{ type: 'ExportStalled', data: { url: s.shownUrl, stream: s.stream, reason: o.reason, ...(waiting !== undefined ? { waiting } : {}) } }],
      };
    }
    case 'exported':
      return { health: { ...h, failingSince: undefined, failures: 0, reason: undefined }, events: [] };
    case 'caughtUp': {
      const health: ExportHealth = { ...HEALTHY, waiting: 0 };
      if (h.stalledSince === undefined) return { health, events: [] };
      // counted by sequence, not by acknowledgement: some may have been stored there before a connection dropped their acks
      return { health, events: [{ type: 'ExportResumed', data: { url: s.shownUrl, stream: s.stream, caughtUp: Math.max(0, o.through - h.stalledThrough), stalledSec: Math.round((now - h.stalledSince) / 1000) } }] };
    }
    default: {
      const never: never = o;
      return never;
    }
  }
}

/** The wait before the next attempt after `failures` failures in a row: 250 ms doubling, at most 5 s. */
export function exportBackoffMs(failures: number): number {
  return failures <= 0 ? 0 : Math.min(5000, 250 * 2 ** Math.min(failures - 1, 10));
}

/** svcmon's warning line for a stalled export, or nothing. No leading `word: `: svcmon reads that as a service's warning. */
export function exportWarning(h: ExportHealth, s: ExportSettings, now: number): string | undefined {
  if (h.stalledSince === undefined) return undefined;
  const waiting = h.waiting !== undefined && h.waiting > 0 ? `, ${h.waiting} event${h.waiting === 1 ? '' : 's'} waiting` : '';
  return `[nats] export to ${s.shownUrl} (stream ${s.stream}) stalled for ${formatSeconds((now - h.stalledSince) / 1000)}${waiting}: ${h.reason ?? 'unknown'}; the cluster does not wait for it`;
}

function formatSeconds(sec: number): string {
  const s = Math.max(0, Math.floor(sec));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  return `${Math.floor(s / 3600)}h`;
}

export interface ExportConfig {
  /** as written, credentials included: for the connection only */
  readonly url: string;
  /** undefined: the cluster's own stream name */
  readonly stream: string | undefined;
  readonly creds: string | undefined;
}

/** The [nats] export keywords of a validated node config; undefined when export_url is unset. */
export function exportConfigOf(nats: Readonly<Record<string, KeywordValue>> | undefined): ExportConfig | undefined {
  const str = (v: KeywordValue | undefined) => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);
  const url = str(nats?.export_url);
  if (url === undefined) return undefined;
  return { url, stream: str(nats?.export_stream), creds: str(nats?.export_creds) };
}

/**
 * Where an export resumes, as the node's own per-origin sequence: after the
 * last one the organisation's stream holds, or after the last one this node
 * knows it exported when that stream holds less (purged, or its limits
 * dropped them): what it dropped is not sent again.
 */
export function resumeAfter(exportedHere: number, lastThere: number): number {
  return Math.max(exportedHere, lastThere);
}
