import http from 'node:http';
import https from 'node:https';
import { HasvcError, UnavailableError } from '../../domain/errors.js';
import type { NodePaths } from '../paths.js';
import { signRequest } from './auth.js';

export interface DaemonResponse<T = unknown> {
  readonly status: number;
  readonly body: T;
}

export interface RequestOptions {
  /** give up after this long (the daemon's long polls need more than the default) */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** The daemon is not answering on its socket: not running, or starting. */
export class DaemonDownError extends UnavailableError {
  constructor(socket: string, options?: ErrorOptions) {
    super(`the daemon is not running (no answer on ${socket}): start it with \`nodemgr daemon start\``, options);
    this.name = 'DaemonDownError';
  }
}

const DOWN_CODES = new Set(['ENOENT', 'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ENOTSOCK']);

function send<T>(target: http.RequestOptions | https.RequestOptions, method: string, urlPath: string, body: unknown, o: RequestOptions, down: (e: Error) => Error, secure = false): Promise<DaemonResponse<T>> {
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = (secure ? https.request : http.request)(
      {
        ...target,
        method,
        path: urlPath,
        headers: { ...target.headers, accept: 'application/json', ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}) },
        timeout: o.timeoutMs ?? 10_000,
        ...(o.signal ? { signal: o.signal } : {}),
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (e) => reject(down(e)));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = text === '' ? undefined : JSON.parse(text);
          } catch {
            /* not JSON: handed back as text */
          }
          resolve({ status: res.statusCode ?? 0, body: parsed as T });
        });
      },
    );
    req.on('timeout', () => req.destroy(new UnavailableError(`the daemon did not answer ${method} ${urlPath} within ${o.timeoutMs ?? 10_000} ms`)));
    req.on('error', (e: NodeJS.ErrnoException) => {
      if (e instanceof HasvcError || e.name === 'AbortError') reject(e);
      else if (e.code !== undefined && DOWN_CODES.has(e.code)) reject(down(e));
      else reject(new UnavailableError(`request to the daemon failed: ${e.message}`, { cause: e }));
    });
    req.end(payload);
  });
}

/**
 * A request to the local daemon over its unix socket: no credentials, the
 * socket is root's only. Rejects with DaemonDownError when nothing answers.
 */
export function daemonRequest<T = unknown>(paths: NodePaths, method: string, urlPath: string, body?: unknown, o: RequestOptions = {}): Promise<DaemonResponse<T>> {
  return send<T>({ socketPath: paths.daemonSocket }, method, urlPath, body, o, (e) => new DaemonDownError(paths.daemonSocket, { cause: e }));
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
  /** this node's name and the cluster secret, to sign the request */
  readonly node: string;
  readonly secret: string;
  /** the peers' listeners speak HTTPS: their certificates are checked against this CA (PEM), or the system's */
  readonly tls?: { readonly ca: string | undefined };
}

/** A request to a node's TCP listener, signed with the cluster secret. */
export function peerRequest<T = unknown>(t: PeerTarget, method: string, urlPath: string, body?: unknown, o: RequestOptions & { readonly now?: () => number } = {}): Promise<DaemonResponse<T>> {
  const headers = signRequest(t.secret, t.node, (o.now ?? Date.now)());
  const target = t.tls ? { host: t.host, port: t.port, headers, ...(t.tls.ca !== undefined ? { ca: t.tls.ca } : {}) } : { host: t.host, port: t.port, headers };
  return send<T>(target, method, urlPath, body, o, (e) => new UnavailableError(`no answer from ${t.host}:${t.port}: ${e.message}`, { cause: e }), t.tls !== undefined);
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
