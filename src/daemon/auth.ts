import crypto from 'node:crypto';
import { NODE_RE } from '../../domain/events.js';

/** A signed request is valid this long either side of the receiver's clock. */
export const MAX_SKEW_SECONDS = 300;

export const NODE_HEADER = 'x-hasvc-node';
export const TIME_HEADER = 'x-hasvc-time';

/** HMAC-SHA256(cluster secret, "<nodename>:<unix-time>"), hex. */
export function requestSignature(secret: string, node: string, unixTime: number): string {
  return crypto.createHmac('sha256', secret).update(`${node}:${unixTime}`).digest('hex');
}

/** The headers a node adds to a request to a peer's listener. */
export function signRequest(secret: string, node: string, nowMs: number): Record<string, string> {
  const t = Math.floor(nowMs / 1000);
  return {
    authorization: `Bearer ${requestSignature(secret, node, t)}`,
    'X-Hasvc-Node': node,
    'X-Hasvc-Time': String(t),
  };
}

export type Verdict = { readonly ok: true; readonly node: string } | { readonly ok: false; readonly reason: string };

function header(h: Readonly<Record<string, string | string[] | undefined>>, name: string): string | undefined {
  const v = h[name];
  return typeof v === 'string' ? v : undefined;
}

/**
 * Check a TCP request's credentials. Reasons are fixed words: nothing from
 * the request or the secret ends up in a message or an event.
 */
export function verifyRequest(headers: Readonly<Record<string, string | string[] | undefined>>, secret: string, nowMs: number): Verdict {
  const auth = header(headers, 'authorization');
  const node = header(headers, NODE_HEADER);
  const time = header(headers, TIME_HEADER);
  if (auth === undefined && node === undefined && time === undefined) return { ok: false, reason: 'no credentials' };
  if (auth === undefined || node === undefined || time === undefined) return { ok: false, reason: 'incomplete credentials' };
  const m = /^Bearer ([0-9a-f]{64})$/.exec(auth);
  if (!m) return { ok: false, reason: 'malformed authorization header' };
  if (!NODE_RE.test(node)) return { ok: false, reason: 'malformed node name' };
  if (!/^\d{1,12}$/.test(time)) return { ok: false, reason: 'malformed time' };
  const t = Number(time);
  if (Math.abs(nowMs / 1000 - t) > MAX_SKEW_SECONDS) return { ok: false, reason: 'request time too far from ours (clock skew or replay)' };
  const want = Buffer.from(requestSignature(secret, node, t), 'hex');
  const got = Buffer.from(m[1]!, 'hex');
  if (!crypto.timingSafeEqual(want, got)) return { ok: false, reason: 'bad signature' };
  return { ok: true, node };
}
