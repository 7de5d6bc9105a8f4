import crypto from 'node:crypto';
import { NODE_RE } from '../../domain/events.js';

/**
 * Requests between nodes (listener TCP routes and heartbeats), protocol v2
 * (docs/cluster-channel.md):
 *
 *   canonical = "hasvc-auth-2\n" METHOD "\n" PATH "\n" FROM "\n" TO "\n"
 *               TIME_MS "\n" NONCE "\n" SEALED(0|1) "\n" SHA256_HEX(wire body)
 *
 * - `Authorization: HASVC2 <hex HMAC-SHA256(cluster secret, canonical)>`:
 *   the sender holds the cluster secret;
 * - `X-Hasvc-Sig: <base64 Ed25519(node key, canonical)>` and `X-Hasvc-Key`
 *   (its public key): the sender is the node it says, not just any holder
 *   of the secret (keys are pinned at join, or on first contact);
 * - the request is used once: a time within ±30 s of the receiver's clock
 *   and a nonce the receiver has not seen in that window; a request signed
 *   for one node, route or body is refused by any other.
 *
 * Bodies are sealed by default (AES-256-GCM, key derived from the cluster
 * secret): the events, statuses and configs nodes exchange are not readable
 * on the wire. The answer to a sealed request is sealed too, bound to the
 * request's nonce, so it can be neither read nor forged.
 */
export const AUTH_VERSION = 2;
/** a signed request is valid this long either side of the receiver's clock */
export const MAX_SKEW_MS = 30_000;

export const NODE_HEADER = 'x-hasvc-node';
export const TO_HEADER = 'x-hasvc-to';
export const TIME_HEADER = 'x-hasvc-time';
export const NONCE_HEADER = 'x-hasvc-nonce';
export const BODY_HEADER = 'x-hasvc-body-sha256';
export const VERSION_HEADER = 'x-hasvc-auth';
export const SIG_HEADER = 'x-hasvc-sig';
export const KEY_HEADER = 'x-hasvc-key';
export const SEALED_TYPE = 'application/vnd.hasvc.sealed';

/** What a node signs with: the cluster secret and its own key pair. */
export interface Signer {
  readonly node: string;
  readonly secret: string;
  readonly key: NodeKey;
}

/** A node's Ed25519 key pair; `publicKey` is the base64 DER (SPKI) form peers pin. */
export interface NodeKey {
  readonly privateKey: crypto.KeyObject;
  readonly publicKey: string;
}

export interface RequestLine {
  readonly method: string;
  /** path and query, as sent */
  readonly path: string;
  readonly from: string;
  readonly to: string;
  readonly timeMs: number;
  readonly nonce: string;
  readonly sealed: boolean;
  readonly bodySha256: string;
}

export function canonical(r: RequestLine): string {
  return ['hasvc-auth-2', r.method.toUpperCase(), r.path, r.from, r.to, String(r.timeMs), r.nonce, r.sealed ? '1' : '0', r.bodySha256].join('\n');
}

const sha256 = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');
const hmac = (secret: string, text: string) => crypto.createHmac('sha256', secret).update(text).digest('hex');

let lastSealKey: { readonly secret: string; readonly key: Buffer } | undefined;

/**
 * The key bodies are sealed with, derived from the cluster secret (never
 * the secret itself). Derived once per secret: every beat and its answer
 * are sealed and opened with it, four derivations an exchange otherwise.
 */
export function sealKey(secret: string): Buffer {
  if (lastSealKey?.secret !== secret) lastSealKey = { secret, key: Buffer.from(crypto.hkdfSync('sha256', Buffer.from(secret, 'utf8'), Buffer.from('hasvc'), Buffer.from('hasvc body sealing v2'), 32)) };
  return lastSealKey.key;
}

/** AES-256-GCM: iv(12) | ciphertext | tag(16), bound to `aad`. */
export function seal(key: Buffer, plain: Buffer, aad: string): Buffer {
  const iv = crypto.randomBytes(12);
  const c = crypto.createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([c.update(plain), c.final()]);
  return Buffer.concat([iv, body, c.getAuthTag()]);
}

/** The plain bytes, or undefined when the box was not sealed with this key and aad. */
export function unseal(key: Buffer, box: Buffer, aad: string): Buffer | undefined {
  if (box.length < 28) return undefined;
  try {
    const d = crypto.createDecipheriv('aes-256-gcm', key, box.subarray(0, 12));
    d.setAAD(Buffer.from(aad, 'utf8'));
    d.setAuthTag(box.subarray(box.length - 16));
    return Buffer.concat([d.update(box.subarray(12, box.length - 16)), d.final()]);
  } catch {
    return undefined;
  }
}

/** The aad of a request's body: everything of the canonical line but the body digest (which is over the sealed bytes). */
export function requestAad(r: Omit<RequestLine, 'bodySha256'>): string {
  return canonical({ ...r, bodySha256: '' });
}

/** The aad of an answer: bound to the request it answers and its status. */
export function answerAad(nonce: string, status: number): string {
  return `hasvc-answer-2\n${nonce}\n${status}`;
}

export interface SignedRequest {
  readonly headers: Record<string, string>;
  /** the bytes to send (sealed when asked) */
  readonly body: Buffer | undefined;
  readonly nonce: string;
  readonly sealed: boolean;
}

/**
 * Sign (and by default seal) a request from `s.node` to the node `to`.
 * `body` is the plain bytes (JSON) or undefined.
 */
export function signRequest(s: Signer, to: string, method: string, urlPath: string, body: Buffer | undefined, nowMs: number, o: { readonly seal?: boolean } = {}): SignedRequest {
  const sealed = (o.seal ?? true) && body !== undefined;
  const line0 = { method, path: urlPath, from: s.node, to, timeMs: Math.floor(nowMs), nonce: crypto.randomBytes(16).toString('hex'), sealed };
  const wire = body === undefined ? undefined : sealed ? seal(sealKey(s.secret), body, requestAad(line0)) : body;
  const line: RequestLine = { ...line0, bodySha256: sha256(wire ?? Buffer.alloc(0)) };
  const text = canonical(line);
  return {
    headers: {
      authorization: `HASVC2 ${hmac(s.secret, text)}`,
      'X-Hasvc-Auth': String(AUTH_VERSION),
      'X-Hasvc-Node': s.node,
      'X-Hasvc-To': to,
      'X-Hasvc-Time': String(line.timeMs),
      'X-Hasvc-Nonce': line.nonce,
      'X-Hasvc-Body-Sha256': line.bodySha256,
      'X-Hasvc-Sig': crypto.sign(null, Buffer.from(text, 'utf8'), s.key.privateKey).toString('base64'),
      'X-Hasvc-Key': s.key.publicKey,
      ...(sealed ? { 'content-type': SEALED_TYPE } : {}),
    },
    body: wire,
    nonce: line.nonce,
    sealed,
  };
}

type Headers = Readonly<Record<string, string | string[] | undefined>>;

/** A request whose headers check out: what the body and the node key must still match. */
export interface Claim {
  readonly line: RequestLine;
  readonly text: string;
  readonly sig: Buffer;
  /** the public key the sender presented (base64 SPKI) */
  readonly key: string;
}

export type Verdict<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

function header(h: Headers, name: string): string | undefined {
  const v = h[name];
  return typeof v === 'string' ? v : undefined;
}

/**
 * Check a request's headers: version, form, time window, addressed to this
 * node, HMAC with the cluster secret over the whole request line (the body
 * digest included, checked against the body once read). Reasons are fixed
 * words: nothing from the request or the secret ends up in a message.
 */
export function verifyHeaders(h: Headers, secret: string, self: string, method: string, urlPath: string, nowMs: number): Verdict<Claim> {
  const auth = header(h, 'authorization');
  const version = header(h, VERSION_HEADER);
  if (auth === undefined && header(h, NODE_HEADER) === undefined) return { ok: false, reason: 'no credentials' };
  if (version === undefined && header(h, TIME_HEADER) !== undefined) return { ok: false, reason: `authentication v1: this node speaks v${AUTH_VERSION} (upgrade the sender)` };
  if (version !== String(AUTH_VERSION)) return { ok: false, reason: `authentication version ${version ?? 'missing'}: this node speaks v${AUTH_VERSION}` };
  const from = header(h, NODE_HEADER);
  const to = header(h, TO_HEADER);
  const time = header(h, TIME_HEADER);
  const nonce = header(h, NONCE_HEADER);
  const body = header(h, BODY_HEADER);
  const sig = header(h, SIG_HEADER);
  const key = header(h, KEY_HEADER);
  if (auth === undefined || from === undefined || to === undefined || time === undefined || nonce === undefined || body === undefined || sig === undefined || key === undefined) return { ok: false, reason: 'incomplete credentials' };
  const m = /^HASVC2 ([0-9a-f]{64})$/.exec(auth);
  if (!m) return { ok: false, reason: 'malformed authorization header' };
  if (!NODE_RE.test(from)) return { ok: false, reason: 'malformed node name' };
  if (!NODE_RE.test(to)) return { ok: false, reason: 'malformed target node name' };
  if (!/^\d{1,15}$/.test(time)) return { ok: false, reason: 'malformed time' };
  if (!/^[0-9a-f]{32}$/.test(nonce)) return { ok: false, reason: 'malformed nonce' };
  if (!/^[0-9a-f]{64}$/.test(body)) return { ok: false, reason: 'malformed body digest' };
  if (!/^[A-Za-z0-9+/=]{1,200}$/.test(sig) || !/^[A-Za-z0-9+/=]{1,200}$/.test(key)) return { ok: false, reason: 'malformed node signature' };
  const timeMs = Number(time);
  if (Math.abs(nowMs - timeMs) > MAX_SKEW_MS) return { ok: false, reason: 'request time too far from ours (clock skew or replay)' };
  const sealed = (header(h, 'content-type') ?? '').split(';')[0]!.trim() === SEALED_TYPE;
  const line: RequestLine = { method: method.toUpperCase(), path: urlPath, from, to, timeMs, nonce, sealed, bodySha256: body };
  const text = canonical(line);
  const want = Buffer.from(hmac(secret, text), 'hex');
  if (!crypto.timingSafeEqual(want, Buffer.from(m[1]!, 'hex'))) return { ok: false, reason: 'bad signature' };
  // checked after the HMAC: a reason naming the target helps a misaddressed peer, not an outsider
  if (to !== self) return { ok: false, reason: `addressed to ${to}, not this node` };
  if (from === self) return { ok: false, reason: 'signed as this node itself' };
  return { ok: true, value: { line, text, sig: Buffer.from(sig, 'base64'), key } };
}

/** The body as read matches the digest the request was signed with. */
export function bodyMatches(c: Claim, wire: Buffer): boolean {
  return crypto.timingSafeEqual(Buffer.from(sha256(wire), 'hex'), Buffer.from(c.line.bodySha256, 'hex'));
}

/** Public keys as parsed: a beat is checked against the same few pinned keys again and again (bounded: only signers with the cluster secret get here). */
const parsedKeys = new Map<string, crypto.KeyObject>();

function publicKeyOf(der: string): crypto.KeyObject {
  let k = parsedKeys.get(der);
  if (k === undefined) {
    k = crypto.createPublicKey({ key: Buffer.from(der, 'base64'), format: 'der', type: 'spki' });
    if (parsedKeys.size >= 256) parsedKeys.clear();
    parsedKeys.set(der, k);
  }
  return k;
}

/** The node key signature of the request line, checked against a (pinned) public key. */
export function nodeSignatureValid(c: Claim, publicKey: string): boolean {
  try {
    const k = publicKeyOf(publicKey);
    if (k.asymmetricKeyType !== 'ed25519') return false;
    return crypto.verify(null, Buffer.from(c.text, 'utf8'), k, c.sig);
  } catch {
    return false;
  }
}

/** The plain body of a verified request: unsealed when it was sealed, undefined when it does not open. */
export function openBody(c: Claim, secret: string, wire: Buffer): Buffer | undefined {
  if (!c.line.sealed) return wire;
  const { bodySha256: _omit, ...rest } = c.line;
  return unseal(sealKey(secret), wire, requestAad(rest));
}

/**
 * Nonces of accepted requests, remembered for twice the time window: a
 * request seen once is refused if it comes again. Bounded: only requests
 * that passed the HMAC get here, so only a holder of the secret fills it.
 */
export class ReplayGuard {
  private readonly seen = new Map<string, number>();
  private lastSweep = 0;

  constructor(private readonly max = 200_000) {}

  /** True the first time a nonce is used within the window; false for a replay or when full. */
  use(nonce: string, nowMs: number): boolean {
    if (nowMs - this.lastSweep > 5_000 || this.seen.size >= this.max) this.sweep(nowMs);
    if (this.seen.has(nonce)) return false;
    if (this.seen.size >= this.max) return false;
    this.seen.set(nonce, nowMs + 2 * MAX_SKEW_MS);
    return true;
  }

  get size(): number {
    return this.seen.size;
  }

  private sweep(nowMs: number): void {
    this.lastSweep = nowMs;
    for (const [n, until] of this.seen) if (until < nowMs) this.seen.delete(n);
  }
}
