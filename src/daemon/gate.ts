import type http from 'node:http';
import { answerAad, bodyMatches, nodeSignatureValid, openBody, ReplayGuard, seal, sealKey, SEALED_TYPE, verifyHeaders, type Claim } from './auth.js';
import type { PeerKeys } from '../config/nodeKeys.js';

/**
 * The door of every TCP route between nodes (listener and heartbeat
 * receivers): a request gets in when it is signed with the cluster secret
 * for this node, by the key pinned for its sender, carries the body it was
 * signed with, and was not seen before. What it hands on is the sender and
 * the plain body; answers go back sealed when the request was.
 */
export interface GateOptions {
  /** this node */
  readonly self: string;
  /** read on every request: a secret changed by `daemon join` applies at once */
  readonly secret: () => string;
  readonly keys: PeerKeys;
  readonly guard: ReplayGuard;
  readonly now: () => number;
  /** a sender's key was pinned at its first request (not at a join) */
  readonly onPinned?: (node: string, key: string) => void;
}

export class GateError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** why, for the log and the RequestRejected event; never sent back */
    readonly reason: string = message,
  ) {
    super(message);
    this.name = 'GateError';
  }
}

export interface Admitted {
  readonly node: string;
  readonly claim: Claim;
  /** the plain body bytes (empty when none) */
  readonly body: Buffer;
  readonly secret: string;
}

function readBytes(req: http.IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) {
        reject(new GateError(413, 'request body too large'));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Let a request in, or throw a GateError (401 for anything about credentials, 413 for size). */
export async function admit(req: http.IncomingMessage, o: GateOptions, maxBody: number, route: { readonly join?: boolean } = {}): Promise<Admitted> {
  let secret: string;
  try {
    secret = o.secret();
  } catch (e) {
    throw new GateError(503, `cluster secret unavailable: ${(e as Error).message}`);
  }
  const v = verifyHeaders(req.headers, secret, o.self, req.method ?? 'GET', req.url ?? '/', o.now());
  if (!v.ok) throw new GateError(401, 'unauthorized: sign requests with the cluster secret (hasvc auth v2)', v.reason);
  const claim = v.value;
  const wire = await readBytes(req, maxBody);
  if (!bodyMatches(claim, wire)) throw new GateError(401, 'unauthorized: the body is not the one signed', 'body does not match its signature');
  // a join (signed with the secret the operator gave) may bring a new key: a reinstalled node; the join pins it
  const k = route.join && nodeSignatureValid(claim, claim.key) ? ({ ok: true, value: { pinned: false } } as const) : o.keys.check(claim);
  if (!k.ok) throw new GateError(401, 'unauthorized: node key refused', k.reason);
  if (!o.guard.use(claim.line.nonce, o.now())) throw new GateError(401, 'unauthorized: request already used', 'replayed request (nonce seen)');
  if (k.value.pinned) o.onPinned?.(claim.line.from, claim.key);
  const body = openBody(claim, secret, wire);
  if (!body) throw new GateError(401, 'unauthorized: sealed body does not open', 'sealed body does not open with our secret');
  return { node: claim.line.from, claim, body, secret };
}

/** Answer a request: sealed (bound to its nonce and the status) when it came sealed, JSON otherwise. */
export function answer(res: http.ServerResponse, status: number, body: unknown, a?: Admitted): void {
  const plain = Buffer.from(JSON.stringify(body));
  const sealed = a?.claim.line.sealed === true;
  const data = sealed ? seal(sealKey(a.secret), plain, answerAad(a.claim.line.nonce, status)) : plain;
  res.writeHead(status, { 'content-type': sealed ? SEALED_TYPE : 'application/json', 'content-length': data.length, 'cache-control': 'no-store', 'x-hasvc-auth': '2' });
  res.end(data);
}

