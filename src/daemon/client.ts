import http from 'node:http';
import https from 'node:https';
import { HasvcError, UnavailableError } from '../../domain/errors.js';
import type { NodePaths } from '../paths.js';
import { answerAad, sealKey, SEALED_TYPE, signRequest, unseal, type NodeKey } from './auth.js';

export interface DaemonResponse<T = unknown> {
  readonly status: number;
  readonly body: T;
}

export interface RequestOptions {
  /** give up after this long (the daemon's long polls need more than the default) */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  /**
   * a peer asked again and again (heartbeats): the connection is kept open
   * between requests (closed after KEPT_IDLE_MS unused), so a request is
   * not a TCP (and TLS) handshake each time, whose lost SYN alone costs a
   * second (TCP's first retransmission)
   */
  readonly keepAlive?: boolean;
}

/** how long a kept connection to a peer stays open unused: less than a heartbeat receiver keeps it (2 min) */
export const KEPT_IDLE_MS = 60_000;

const keptAgents = new Map<string, http.Agent>();

function keptAgent(secure: boolean, host: string, port: number, ca: string | undefined): http.Agent {
  const key = JSON.stringify([secure, host, port, ca ?? null]);
  let a = keptAgents.get(key);
  if (!a) {
    a = secure ? new https.Agent({ keepAlive: true, timeout: KEPT_IDLE_MS }) : new http.Agent({ keepAlive: true, timeout: KEPT_IDLE_MS });
    keptAgents.set(key, a);
  }
  return a;
}

/** The daemon is not answering on its socket: not running, or starting. */
export class DaemonDownError extends UnavailableError {
  constructor(socket: string, options?: ErrorOptions) {
    super(`the daemon is not running (no answer on ${socket}): start it with \`nodemgr daemon start\``, options);
    this.name = 'DaemonDownError';
  }
}

const DOWN_CODES = new Set(['ENOENT', 'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ENOTSOCK']);

interface Wire {
  /** the bytes to send, and their content type */
  readonly payload?: Buffer | undefined;
  readonly contentType?: string;
  /** turns the answer's bytes into its body (a sealed answer is opened here) */
  readonly decode?: (status: number, contentType: string, bytes: Buffer) => unknown;
}

function decodeJson(bytes: Buffer): unknown {
  const text = bytes.toString('utf8');
  try {
    return text === '' ? undefined : JSON.parse(text);
  } catch {
    return text; // not JSON: handed back as text
  }
}

/**
 * What a failed request says of the host it went to, beside its error: its
 * kernel refused the connection (nothing listens: the process is gone) or
 * accepted it and nothing answered (the process is frozen). Either way the
 * host lives. undefined: nothing heard from the host (a timeout before any
 * connection, unreachable), or not a peer request.
 */
export function hostAnswerOf(e: unknown): 'refused' | 'accepted' | undefined {
  const a = (e as { hostAnswer?: unknown } | null)?.hostAnswer;
  return a === 'refused' || a === 'accepted' ? a : undefined;
}

function send<T>(target: http.RequestOptions | https.RequestOptions, method: string, urlPath: string, w: Wire, o: RequestOptions, down: (e: Error) => Error, secure = false, agent: http.Agent | false = false): Promise<DaemonResponse<T>> {
  const payload = w.payload;
  return new Promise((resolve, reject0) => {
    // a connection made for this request (a kept one proves nothing of now)
    let connected = false;
    const reject = (e: Error & { code?: string }) => {
      const answer = e.code === 'ECONNREFUSED' || (e.cause as { code?: string } | undefined)?.code === 'ECONNREFUSED' ? 'refused' : connected ? 'accepted' : undefined;
      reject0(answer !== undefined ? Object.assign(e, { hostAnswer: answer }) : e);
    };
    const req = (secure ? https.request : http.request)(
      {
        ...target,
        method,
        path: urlPath,
        headers: { ...target.headers, accept: 'application/json', ...(payload ? { 'content-type': w.contentType ?? 'application/json', 'content-length': payload.length } : {}) },
        timeout: o.timeoutMs ?? 10_000,
        ...(o.signal ? { signal: o.signal } : {}),
        agent,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (e) => reject(down(e)));
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          try {
            const bytes = Buffer.concat(chunks);
            const body = w.decode ? w.decode(status, String(res.headers['content-type'] ?? ''), bytes) : decodeJson(bytes);
            resolve({ status, body: body as T });
          } catch (e) {
            reject0(e);
          }
        });
      },
    );
    req.on('socket', (sock) => {
      if (sock.connecting) sock.once('connect', () => (connected = true));
    });
    req.on('timeout', () => req.destroy(new UnavailableError(`the daemon did not answer ${method} ${urlPath} within ${o.timeoutMs ?? 10_000} ms`)));
    req.on('error', (e: NodeJS.ErrnoException) => {
      if (e instanceof HasvcError || e.name === 'AbortError') reject(e);
      else if (e.code !== undefined && DOWN_CODES.has(e.code)) reject(down(e));
      else reject(new UnavailableError(`request to the daemon failed: ${e.message}`, { cause: e }));
    });
    req.end(payload);
  });
}

const json = (body: unknown): Wire => (body === undefined ? {} : { payload: Buffer.from(JSON.stringify(body)) });

/**
 * A request to the local daemon over its unix socket: no credentials, the
 * socket is root's only. Rejects with DaemonDownError when nothing answers.
 */
export function daemonRequest<T = unknown>(paths: NodePaths, method: string, urlPath: string, body?: unknown, o: RequestOptions = {}): Promise<DaemonResponse<T>> {
  return send<T>({ socketPath: paths.daemonSocket }, method, urlPath, json(body), o, (e) => new DaemonDownError(paths.daemonSocket, { cause: e }));
}

/** daemonRequest for a 2xx answer: anything else is an error carrying the daemon's message. */
export async function daemonJson<T>(paths: NodePaths, method: string, urlPath: string, body?: unknown, o: RequestOptions = {}): Promise<T> {
  const r = await daemonRequest<T>(paths, method, urlPath, body, o);
  if (r.status >= 200 && r.status < 300) return r.body;
  throw responseError(method, urlPath, r);
}

export function responseError(method: string, urlPath: string, r: DaemonResponse): HasvcError {
  const msg = typeof r.body === 'object' && r.body !== null && typeof (r.body as { error?: unknown }).error === 'string' ? (r.body as { error: string }).error : `HTTP ${r.status}`;
  const code = r.status === 404 ? 'NOT_FOUND' : r.status === 409 ? 'CONFLICT' : r.status === 400 ? 'USAGE' : 'UNAVAILABLE';
  return new HasvcError(code, `${method} ${urlPath}: ${msg}`);
}

/** True when the daemon answers on its socket. */
export async function isDaemonUp(paths: NodePaths, timeoutMs = 2000): Promise<boolean> {
  try {
    const r = await daemonRequest(paths, 'GET', '/daemon/ping', undefined, { timeoutMs });
    return r.status === 200;
  } catch {
    return false;
  }
}

export interface PeerTarget {
  readonly host: string;
  readonly port: number;
  /** the node asked: a request signed for one node is refused by any other */
  readonly to: string;
  /** this node's name, the cluster secret and this node's key, to sign the request */
  readonly node: string;
  readonly secret: string;
  readonly key: NodeKey;
  /** seal bodies (default): `[listener] seal = false` sends them in clear */
  readonly seal?: boolean;
  /** the peers' listeners speak HTTPS: their certificates are checked against this CA (PEM), or the system's */
  readonly tls?: { readonly ca: string | undefined };
}

/**
 * A request to a node's TCP listener or heartbeat receiver, signed and
 * sealed (auth.ts). The answer to a sealed request must come sealed with
 * the same secret and bound to this request, or it is refused: nobody on
 * the path can read or forge it. A plain error answer (a peer that refused
 * us before opening anything) is handed back as it is.
 */
export function peerRequest<T = unknown>(t: PeerTarget, method: string, urlPath: string, body?: unknown, o: RequestOptions & { readonly now?: () => number } = {}): Promise<DaemonResponse<T>> {
  const plain = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  const signed = signRequest({ node: t.node, secret: t.secret, key: t.key }, t.to, method, urlPath, plain, (o.now ?? Date.now)(), { seal: t.seal ?? true });
  const headers = signed.headers;
  const decode = (status: number, contentType: string, bytes: Buffer): unknown => {
    if (contentType.split(';')[0]!.trim() === SEALED_TYPE) {
      const opened = unseal(sealKey(t.secret), bytes, answerAad(signed.nonce, status));
      if (!opened) throw new UnavailableError(`the answer from ${t.to} (${t.host}:${t.port}) is not sealed with our cluster secret: refused`);
      return decodeJson(opened);
    }
    if (signed.sealed && status >= 200 && status < 300) throw new UnavailableError(`${t.to} (${t.host}:${t.port}) answered a sealed request in clear: refused (an older hasvc, or someone in between)`);
    return decodeJson(bytes);
  };
  const target = t.tls ? { host: t.host, port: t.port, headers, ...(t.tls.ca !== undefined ? { ca: t.tls.ca } : {}) } : { host: t.host, port: t.port, headers };
  const agent = o.keepAlive === true ? keptAgent(t.tls !== undefined, t.host, t.port, t.tls?.ca) : false;
  return send<T>(target, method, urlPath, { payload: signed.body, ...(signed.sealed ? { contentType: SEALED_TYPE } : {}), decode }, o, (e) => new UnavailableError(`no answer from ${t.host}:${t.port}: ${e.message}`, { cause: e }), t.tls !== undefined, agent);
}

/**
 * A request whose answer is NDJSON, one object per line, handed to onLine as
 * they arrive (an action's output while it runs). Resolves with the HTTP status.
 */
export function daemonStream(paths: NodePaths, method: string, urlPath: string, body: unknown, onLine: (obj: unknown) => void, o: RequestOptions = {}): Promise<number> {
  const payload = Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        socketPath: paths.daemonSocket,
        method,
        path: urlPath,
        headers: { accept: 'application/x-ndjson', 'content-type': 'application/json', 'content-length': payload.length },
        ...(o.signal ? { signal: o.signal } : {}),
        agent: false,
      },
      (res) => {
        let rest = '';
        const emit = (text: string) => {
          if (text.trim() === '') return;
          try {
            onLine(JSON.parse(text));
          } catch {
            onLine({ error: text });
          }
        };
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          rest += c;
          let nl: number;
          while ((nl = rest.indexOf('\n')) >= 0) {
            emit(rest.slice(0, nl));
            rest = rest.slice(nl + 1);
          }
        });
        res.on('error', (e) => reject(new UnavailableError(`the daemon stopped answering: ${e.message}`, { cause: e })));
        res.on('end', () => {
          emit(rest);
          resolve(res.statusCode ?? 0);
        });
      },
    );
    req.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== undefined && DOWN_CODES.has(e.code)) reject(new DaemonDownError(paths.daemonSocket, { cause: e }));
      else reject(new UnavailableError(`request to the daemon failed: ${e.message}`, { cause: e }));
    });
    req.end(payload);
  });
}
