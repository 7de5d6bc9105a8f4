import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import { ConflictError, UnavailableError } from '../../domain/errors.js';
import { NODE_RE } from '../../domain/events.js';
import { admit, answer, GateError, type Admitted, type GateOptions } from './gate.js';
import type { DaemonLogger } from './log.js';
import type { ActionBody, ListenerApi, TargetBody } from './api.js';
import type { ThreadTable } from './threads.js';
import { MAX_CONFIG_BODY_BYTES } from '../sync/payload.js';
import { WebRoutes, type WebOptions } from './web/routes.js';

const parts0 = (pathname: string): string | undefined => pathname.split('/').filter(Boolean)[0];

const TARGET_ACTIONS: Readonly<Record<string, TargetBody['target']>> = { start: 'started', stop: 'stopped', switch: 'placed', takeover: 'placed', giveback: 'placed', abort: 'aborted' };

/** Validate a target request at the boundary. */
export function parseTargetBody(raw: unknown): TargetBody {
  if (typeof raw !== 'object' || raw === null) throw new HttpError(400, 'target request: a JSON object is expected');
  const r = raw as Record<string, unknown>;
  const action = typeof r.action === 'string' ? r.action : '';
  const target = TARGET_ACTIONS[action];
  if (target === undefined || r.target !== target) throw new HttpError(400, `target request: action must be one of ${Object.keys(TARGET_ACTIONS).join(', ')}, with its target`);
  if (target === 'placed' && (typeof r.node !== 'string' || !NODE_RE.test(r.node))) throw new HttpError(400, 'target request: placed needs the node name');
  if (typeof r.by !== 'string' || r.by === '' || r.by.length > 256) throw new HttpError(400, 'target request: by must name who asks');
  return { target, node: target === 'placed' ? (r.node as string) : undefined, action, by: r.by };
}

const strings = (v: unknown): v is string[] => Array.isArray(v) && v.length <= 256 && v.every((x) => typeof x === 'string' && x.length <= 4096);

/** Validate an action request at the boundary. */
export function parseActionBody(raw: unknown): ActionBody {
  if (typeof raw !== 'object' || raw === null) throw new HttpError(400, 'action request: a JSON object is expected');
  const r = raw as Record<string, unknown>;
  if (r.action !== 'start' && r.action !== 'stop' && r.action !== 'restart') throw new HttpError(400, 'action request: action must be start, stop or restart');
  for (const k of ['rids', 'tags', 'subsets', 'argv'] as const) {
    if (r[k] !== undefined && !strings(r[k])) throw new HttpError(400, `action request: ${k} must be a list of strings`);
  }
  if (r.force !== undefined && typeof r.force !== 'boolean') throw new HttpError(400, 'action request: force must be true or false');
  if (r.user !== undefined && typeof r.user !== 'string') throw new HttpError(400, 'action request: user must be a string');
  return {
    action: r.action,
    rids: (r.rids as string[] | undefined) ?? [],
    tags: (r.tags as string[] | undefined) ?? [],
    subsets: (r.subsets as string[] | undefined) ?? [],
    force: r.force === true,
    argv: (r.argv as string[] | undefined) ?? [],
    user: r.user as string | undefined,
  };
}

export interface ListenerOptions {
  readonly addr: string;
  readonly port: number;
  /** PEM contents: the TCP listener speaks HTTPS with this node's certificate */
  readonly tls?: { readonly cert: string; readonly key: string };
  readonly socket: string;
  /** how TCP requests are let in (secret, pinned keys, replay guard) */
  readonly gate: GateOptions;
  readonly api: ListenerApi;
  readonly threads: ThreadTable;
  readonly log: DaemonLogger;
  /** refused TCP requests, at most one event per source a minute with the count: the RequestRejected event */
  readonly onRejected: (reason: string, peer: string, count: number) => void;
  readonly now?: () => number;
  /** GET /metrics and the web view under /web/ (web/routes.ts): TCP only, with their own door */
  readonly web?: WebOptions;
}

const MAX_WAIT_S = 60;
const REJECT_EVENT_EVERY_MS = 60_000;
/** RequestRejected events a minute from all sources together: the rest are counted in the next */
const REJECT_EVENTS_PER_MINUTE = 20;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function intParam(u: URL, name: string, dflt: number, max: number): number {
  const raw = u.searchParams.get(name);
  if (raw === null || raw === '') return dflt;
  if (!/^\d{1,15}$/.test(raw)) throw new HttpError(400, `${name} must be a non-negative integer`);
  return Math.min(Number(raw), max);
}

/** Read a request body, refusing big ones. */
function readBody(req: http.IncomingMessage, max = 65_536): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) reject(new HttpError(413, 'request body too large'));
      else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseJson(text: string): unknown {
  try {
    return text === '' ? undefined : JSON.parse(text);
  } catch {
    throw new HttpError(400, 'request body is not valid JSON');
  }
}

function socketAnswers(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(socket);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/**
 * The daemon listener: JSON over HTTP on the TCP port (requests signed with
 * the cluster secret) and on a unix socket (local callers, root only: the
 * socket is 0600 in a 0700 directory, no credentials asked).
 *
 *   GET  /daemon/ping                 {ok, node, pid}
 *   GET  /daemon/status               DaemonStatus: threads, nodes, services x nodes (svcmon)
 *   GET  /services/<svc>/status       ServiceStatusView (print status tree), 404 when unknown
 *   GET  /events?since=SEQ[&wait=S][&limit=N]
 *                                     EventsPage: events after stream sequence SEQ; with wait,
 *                                     held up to S (<= 60) seconds until one arrives; more: true
 *                                     when a page follows (since = its last streamSeq), truncated:
 *                                     false or why events are missing ('retention', 'stream')
 *   POST /daemon/stop                 202, then a graceful stop (unix socket only: 403 on TCP)
 *   POST /services/<svc>/actions      ActionBody; answers NDJSON as the action runs: {"line": "..."}
 *                                     per output line, then {"ok": true|false} (unix socket only)
 *   GET  /services/<svc>/status?sync=1  waits until the projections hold what the stream holds
 *   POST /services/<svc>/status       probe the local instance now, record what changed, answer the
 *                                     ServiceStatusView (unix socket only: print status never records itself)
 *   POST /services/<svc>/config       ConfigPayload from a peer's `sync nodes` (TCP only, the signer is the
 *                                     sender): 200 {result: created|changed|unchanged, checksum, node},
 *                                     400/409/422 {error} naming why nothing was written
 *   GET  /services/<svc>/config/checksum  {checksum: sha256 hex of <svc>.conf | null}
 *   POST /services/<svc>/freeze|thaw  freeze or thaw this node's instance (a peer's cluster-wide freeze/thaw)
 *   POST /daemon/drain                {by}: this node frozen, then its services stopped; NDJSON as an action's,
 *                                     then {"failed": [{svc, why}]} (unix socket only)
 *   POST /services/<svc>/target       TargetBody (svcmgr start, stop, switch, takeover, giveback, abort): 200
 *                                     {id, target, since}, 409 {error} when refused (unix socket only)
 *   POST /cluster/join                the signer (X-Hasvc-Node) joins the cluster: 200 JoinAnswer
 *                                     {cluster, nodes, hbs, peers} (TCP only: signed with the secret to join with)
 *   POST /cluster/leave               this node leaves its cluster, its peers told first: 200
 *                                     {node, told, missed} (unix socket only)
 *
 * TCP requests are signed, sealed and used once (auth.ts, gate.ts: hasvc
 * auth v2); anything else is a 401 and a RequestRejected event (at most one
 * per source a minute, with the count, and 20 a minute in all). Only
 * /metrics and /web/ are let in otherwise (web/routes.ts: a bearer token,
 * an operator's session), and only on TCP.
 */
export class Listener {
  private tcp: http.Server | undefined;
  private unix: http.Server | undefined;
  private readonly rejected = new Map<string, { last: number; suppressed: number }>();
  private readonly closing = new AbortController();
  private readonly now: () => number;
  private readonly web: WebRoutes | undefined;

  constructor(private readonly o: ListenerOptions) {
    this.now = o.now ?? Date.now;
    this.web = o.web ? new WebRoutes({ ...o.web, api: o.api }) : undefined;
  }

  get address(): string {
    return `${this.o.addr}:${this.o.port}`;
  }

  async start(): Promise<void> {
    this.o.threads.set('listener', 'starting', { address: this.address });
    const dir = path.dirname(this.o.socket);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.chmodSync(dir, 0o700);
    if (fs.existsSync(this.o.socket)) {
      if (await socketAnswers(this.o.socket)) throw new ConflictError(`another daemon answers on ${this.o.socket}`);
      fs.rmSync(this.o.socket, { force: true });
    }
    this.unix = this.server(true);
    this.tcp = this.server(false);
    await listen(this.unix, { path: this.o.socket }, this.o.socket);
    fs.chmodSync(this.o.socket, 0o600);
    await listen(this.tcp, { host: this.o.addr, port: this.o.port }, this.address).catch(async (e: unknown) => {
      await close(this.unix);
      throw e;
    });
    this.web?.start();
    this.o.threads.set('listener', 'running', { address: this.address });
    this.o.log.info({ address: this.address, socket: this.o.socket }, 'listener started');
  }

  private server(local: boolean): http.Server {
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
      const door: { admitted?: Admitted } = {};
      this.handle(req, res, local, door).catch((e: unknown) => {
        if (e instanceof GateError && e.status === 401) return this.reject(req, res, e);
        const status = e instanceof HttpError || e instanceof GateError ? e.status : 500;
        if (status === 500) this.o.log.error({ url: req.url, err: (e as Error).message }, 'request failed');
        if (!res.headersSent) answer(res, status, { error: (e as Error).message }, door.admitted);
        else res.destroy();
      });
    };
    const s: http.Server = !local && this.o.tls ? https.createServer({ cert: this.o.tls.cert, key: this.o.tls.key, minVersion: 'TLSv1.2' }, handler) : http.createServer(handler);
    s.headersTimeout = 10_000;
    s.requestTimeout = (MAX_WAIT_S + 10) * 1000;
    s.keepAliveTimeout = 5_000;
    s.maxHeadersCount = 50;
    return s;
  }

  private readonly rejectWindow = { start: 0, events: 0, dropped: 0 };

  /**
   * A refused request: 401, and a RequestRejected event at most once a
   * minute per source (with how many were refused since) and at most
   * REJECT_EVENTS_PER_MINUTE a minute in all: nobody without the secret can
   * grow the log faster than that.
   */
  private reject(req: http.IncomingMessage, res: http.ServerResponse, e: GateError): void {
    const peer = req.socket.remoteAddress ?? 'unknown';
    if (!res.headersSent) answer(res, 401, { error: e.message });
    const now = this.now();
    const seen = this.rejected.get(peer);
    if (seen && now - seen.last < REJECT_EVENT_EVERY_MS) {
      seen.suppressed++;
      return;
    }
    if (now - this.rejectWindow.start >= 60_000) Object.assign(this.rejectWindow, { start: now, events: 0 });
    if (this.rejectWindow.events >= REJECT_EVENTS_PER_MINUTE) {
      this.rejectWindow.dropped++;
      if (seen) seen.suppressed++;
      return;
    }
    this.rejectWindow.events++;
    if (this.rejected.size > 10_000) this.rejected.clear();
    const count = 1 + (seen?.suppressed ?? 0);
    const more = count > 1 ? ` (${count} refused from ${peer} since the last report)` : '';
    this.rejected.set(peer, { last: now, suppressed: 0 });
    this.o.log.warn({ peer, reason: e.reason, count }, 'request refused');
    this.o.onRejected(`${e.reason}${more}`, peer, count);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse, local: boolean, door: { admitted?: Admitted }): Promise<void> {
    const u = new URL(req.url ?? '/', 'http://daemon');
    const method = req.method ?? 'GET';
    let signer: string | undefined;
    let body: unknown;
    // a browser and a scraper cannot sign: these paths have their own door, and lead nowhere else
    if (!local && this.web && WebRoutes.handles(u.pathname)) return this.web.handle(req, res, u);
    if (!local) {
      // a config push carries the launchers: the only big body, and only from a signed peer
      const bodyMax = parts0(u.pathname) === 'services' && u.pathname.endsWith('/config') ? MAX_CONFIG_BODY_BYTES : 65_536;
      const a = await admit(req, this.o.gate, bodyMax, { join: method === 'POST' && u.pathname === '/cluster/join' });
      door.admitted = a;
      signer = a.node;
      body = method === 'POST' ? parseJson(a.body.toString('utf8')) : undefined;
    } else body = method === 'POST' ? parseJson(await readBody(req)) : undefined;
    const sendJson = (r: http.ServerResponse, status: number, b: unknown) => answer(r, status, b, door.admitted);
    const parts = u.pathname.split('/').filter(Boolean);
    const route = `${method} /${parts.map((p, i) => (parts[0] === 'services' && i === 1 ? ':svc' : p)).join('/')}`;
    switch (route) {
      case 'GET /daemon/ping':
        return sendJson(res, 200, { ok: true, ...this.o.api.ping() });
      case 'GET /daemon/status':
        return sendJson(res, 200, this.o.api.status());
      case 'GET /services/:svc/status': {
        const svc = decodeURIComponent(parts[1] ?? '');
        if (u.searchParams.get('sync') === '1') await this.o.api.sync(5000);
        const view = this.o.api.serviceStatus(svc);
        if (!view) throw new HttpError(404, `service ${svc} is not known on this node`);
        return sendJson(res, 200, view);
      }
      case 'POST /services/:svc/status': {
        if (!local || !this.o.api.refreshStatus) throw new HttpError(403, 'a status is probed on its own node only (unix socket)');
        const svc = decodeURIComponent(parts[1] ?? '');
        const view = await this.o.api.refreshStatus(svc);
        if (!view) throw new HttpError(404, `service ${svc} is not configured on this node`);
        return sendJson(res, 200, view);
      }
      case 'GET /events': {
        const since = intParam(u, 'since', 0, Number.MAX_SAFE_INTEGER);
        const limit = intParam(u, 'limit', 500, 5000);
        const wait = intParam(u, 'wait', 0, MAX_WAIT_S);
        const now = this.o.api.events(since, 1);
        if (wait > 0 && now.events.length === 0 && !now.truncated) {
          const gone = new AbortController();
          res.once('close', () => gone.abort());
          await this.o.api.waitForEvent(since, wait * 1000, AbortSignal.any([gone.signal, this.closing.signal]));
          if (gone.signal.aborted) return;
        }
        return sendJson(res, 200, await (this.o.api.eventsPage?.(since, limit) ?? this.o.api.events(since, limit)));
      }
      case 'POST /services/:svc/actions': {
        if (!local) throw new HttpError(403, 'actions are run from their own node only (unix socket)');
        const svc = decodeURIComponent(parts[1] ?? '');
        const req2 = parseActionBody(body);
        const gone = new AbortController();
        res.once('close', () => {
          if (!res.writableFinished) gone.abort(new Error('client gone'));
        });
        res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
        let ok = false;
        try {
          ok = await this.o.api.runAction(svc, req2, (line) => res.write(`${JSON.stringify({ line })}\n`), AbortSignal.any([gone.signal, this.closing.signal]));
          res.end(`${JSON.stringify({ ok })}\n`);
        } catch (e) {
          res.end(`${JSON.stringify({ ok: false, error: (e as Error).message, code: (e as { code?: string }).code ?? 'INTERNAL' })}\n`);
        }
        return;
      }
      case 'POST /daemon/drain': {
        if (!local || !this.o.api.drain) throw new HttpError(403, 'a node is drained from itself only (unix socket)');
        const by = typeof body === 'object' && body !== null && typeof (body as { by?: unknown }).by === 'string' ? (body as { by: string }).by : 'local';
        const gone = new AbortController();
        res.once('close', () => {
          if (!res.writableFinished) gone.abort(new Error('client gone'));
        });
        res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
        try {
          const r = await this.o.api.drain(by.slice(0, 256), (line) => res.write(`${JSON.stringify({ line })}\n`), AbortSignal.any([gone.signal, this.closing.signal]));
          res.end(`${JSON.stringify({ failed: r.failed })}\n`);
        } catch (e) {
          res.end(`${JSON.stringify({ error: (e as Error).message })}\n`);
        }
        return;
      }
      case 'POST /services/:svc/target': {
        if (!local || !this.o.api.requestTarget) throw new HttpError(403, 'a target is requested from a node of the service (unix socket)');
        const r = await this.o.api.requestTarget(decodeURIComponent(parts[1] ?? ''), parseTargetBody(body));
        return sendJson(res, r.status, r.body);
      }
      case 'POST /cluster/join': {
        if (signer === undefined || !this.o.api.join) throw new HttpError(403, 'a node joins over TCP, its request signed with the cluster secret');
        return sendJson(res, 200, await this.o.api.join(signer, door.admitted!.claim.key));
      }
      case 'POST /cluster/leave': {
        if (!local || !this.o.api.leave) throw new HttpError(403, 'a node leaves its cluster from its own node only (unix socket)');
        try {
          return sendJson(res, 200, await this.o.api.leave());
        } catch (e) {
          if (e instanceof ConflictError) throw new HttpError(409, e.message);
          throw e;
        }
      }
      case 'POST /services/:svc/freeze':
      case 'POST /services/:svc/thaw': {
        if (!this.o.api.setFrozen) throw new HttpError(404, 'freeze and thaw are not served here');
        const by = signer ?? 'local';
        const known = await this.o.api.setFrozen(decodeURIComponent(parts[1] ?? ''), parts[2] === 'freeze', by);
        if (!known) throw new HttpError(404, `service ${decodeURIComponent(parts[1] ?? '')} is not configured on this node`);
        return sendJson(res, 200, { frozen: parts[2] === 'freeze' });
      }
      case 'POST /services/:svc/config': {
        const from = signer;
        if (from === undefined || !this.o.api.receiveConfig) throw new HttpError(403, 'a service config is pushed by a peer node over TCP, signed with the cluster secret');
        const r = await this.o.api.receiveConfig(decodeURIComponent(parts[1] ?? ''), body, from);
        return sendJson(res, r.status, r.body);
      }
      case 'GET /services/:svc/config/checksum': {
        if (!this.o.api.configChecksum) throw new HttpError(404, 'config checksums are not served here');
        return sendJson(res, 200, this.o.api.configChecksum(decodeURIComponent(parts[1] ?? '')));
      }
      case 'POST /daemon/stop':
        // a peer may read our state; stopping the daemon is the local root's call
        if (!local) throw new HttpError(403, 'the daemon is stopped from its own node only (unix socket)');
        res.once('finish', () => this.o.api.stop());
        return sendJson(res, 202, { stopping: true, pid: process.pid });
      default: {
        const known = ['/daemon/ping', '/daemon/status', '/daemon/stop', '/events', '/cluster/join', '/cluster/leave'].includes(u.pathname) || (parts[0] === 'services' && (parts[2] === 'status' || parts[2] === 'actions') && parts.length === 3) || (parts[0] === 'services' && parts[2] === 'config');
        throw new HttpError(known ? 405 : 404, known ? `${method} not allowed on ${u.pathname}` : `no route ${u.pathname}`);
      }
    }
  }

  async stop(): Promise<void> {
    this.o.threads.set('listener', 'stopping');
    this.closing.abort();
    await this.web?.stop();
    await Promise.all([close(this.tcp), close(this.unix)]);
    fs.rmSync(this.o.socket, { force: true });
    this.o.threads.set('listener', 'stopped');
  }
}

function listen(s: http.Server, at: net.ListenOptions, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException) => reject(new UnavailableError(`listener cannot listen on ${what}: ${e.code ?? e.message}`, { cause: e }));
    s.once('error', onError);
    s.listen(at, () => {
      s.off('error', onError);
      resolve();
    });
  });
}

function close(s: http.Server | undefined): Promise<void> {
  if (!s?.listening) return Promise.resolve();
  return new Promise((resolve) => {
    s.close(() => resolve());
    s.closeAllConnections();
  });
}
