import type http from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { EventStore, StoredEvent } from '../../../adapters/nats/eventStore.js';
import { HasvcError } from '../../../domain/errors.js';
import { NAME_RE, type Envelope, type EventType, type NewEvent } from '../../../domain/events.js';
import { setFrozen } from '../../action/statusCache.js';
import { painter } from '../../cli/color.js';
import { formatHistory } from '../../cli/status/printHistory.js';
import { renderStatus } from '../../cli/status/render.js';
import { serviceExists } from '../../config/serviceFiles.js';
import type { NodePaths } from '../../paths.js';
import type { ListenerApi } from '../api.js';
import type { DaemonLogger } from '../log.js';
import { loadAssets, type Asset } from './assets.js';
import { LiveFeed } from './feed.js';
import { DaemonMetrics, type LastAction } from './metrics.js';
import { sameSecret, verifyPassword } from './password.js';
import { LoginThrottle, Sessions, type Session } from './sessions.js';
import { SettingsReader, type WebSettings } from './settings.js';
import { storeProbes, type StoreProbes } from './sources.js';

/** What the daemon hands the web routes besides the listener's API. */
export interface WebOptions {
  readonly paths: NodePaths;
  readonly env: NodeJS.ProcessEnv;
  readonly node: string;
  readonly log: DaemonLogger;
  readonly store: () => EventStore | undefined;
  readonly append: <T extends EventType>(e: NewEvent<T>) => Promise<Envelope<T>>;
  readonly lastAction: (svc: string, node: string) => LastAction | undefined;
  readonly now?: () => number;
}

export interface WebDeps extends WebOptions {
  readonly api: ListenerApi;
}

const COOKIE = '__Host-hasvc_session';
const WEB_ACTIONS = ['start', 'stop', 'freeze', 'thaw'] as const;
type WebAction = (typeof WEB_ACTIONS)[number];
const MAX_LINES = 500;

/** Every answer under /web/: the page runs its own files only, is framed by nobody, and tells no other site where it was. */
const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

class WebError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'WebError';
  }
}

function json(res: http.ServerResponse, status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): void {
  const data = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'application/json; charset=utf-8', 'content-length': data.length, 'cache-control': 'no-store', ...headers });
  res.end(data);
}

function readJson(req: http.IncomingMessage, max = 8192): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) {
      reject(new WebError(415, 'send JSON (content-type: application/json)'));
      return;
    }
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) {
        reject(new WebError(413, 'request body too large'));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => {
      try {
        const v: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not an object');
        resolve(v as Record<string, unknown>);
      } catch {
        reject(new WebError(400, 'the body is not a JSON object'));
      }
    });
    req.on('error', reject);
  });
}

function cookieOf(req: http.IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}

const isLoopback = (addr: string | undefined) => addr !== undefined && (/^127\./.test(addr) || addr === '::1' || /^::ffff:127\./.test(addr));

/**
 * GET /metrics and the web view under /web/, on the listener's TCP port.
 * A browser and a scraper cannot sign requests (hasvc auth v2), so these
 * routes, and only these, have their own door: a bearer token for
 * /metrics, a session cookie (with a CSRF token on every POST) for the
 * operator. Nothing here reaches the signed routes of the listener.
 *
 *   GET  /metrics                      Prometheus text, Authorization: Bearer <[metrics] token>
 *   GET  /web/                         the page (index.html, app.js, style.css)
 *   GET  /web/api/session              {user, csrf, public, operator, loginAllowed}
 *   POST /web/api/login                {user, password}: a session cookie (HttpOnly, Secure, SameSite=Strict)
 *   POST /web/api/logout               (CSRF)
 *   GET  /web/api/status               DaemonStatus: the svcmon read model
 *   GET  /web/api/live                 server-sent events: status, events, reload (feed.ts)
 *   GET  /web/api/events?since&limit&svc&node&type   EventsPage of the recent events, filtered
 *   GET  /web/api/services/<svc>       {view, lines}: print status
 *   GET  /web/api/services/<svc>/history  {entries, lines}: print history
 *   POST /web/api/services/<svc>/actions  {action: start|stop|freeze|thaw, confirm: <svc>} (operator, CSRF)
 *
 * Reading needs a session only with [web] public = false; acting always does.
 */
export class WebRoutes {
  private readonly settings: SettingsReader;
  private readonly sessions: Sessions;
  private readonly throttle: LoginThrottle;
  private readonly assets: ReadonlyMap<string, Asset>;
  private readonly feed: LiveFeed;
  private readonly probes: StoreProbes;
  readonly metrics: DaemonMetrics;
  private readonly refusedScrapes = new Map<string, number>();
  private readonly now: () => number;

  static handles(pathname: string): boolean {
    return pathname === '/metrics' || pathname === '/web' || pathname.startsWith('/web/');
  }

  constructor(private readonly o: WebDeps) {
    this.now = o.now ?? Date.now;
    this.settings = new SettingsReader(o.paths, o.env, o.log);
    this.sessions = new Sessions(this.now);
    this.throttle = new LoginThrottle(this.now);
    this.assets = loadAssets();
    this.probes = storeProbes(o.store);
    this.metrics = new DaemonMetrics({ status: () => o.api.status(), lastAction: o.lastAction, probes: this.probes, sseClients: () => this.feed.size, now: this.now });
    this.feed = new LiveFeed({
      source: { status: () => o.api.status(), events: (s, l) => o.api.events(s, l), waitForEvent: (s, ms, sig) => o.api.waitForEvent(s, ms, sig) },
      log: o.log,
      onEvents: (events, live) => this.metrics.observe(events, o.node, live),
    });
  }

  start(): void {
    this.feed.start();
  }

  async stop(): Promise<void> {
    await this.feed.stop();
  }

  async handle(req: http.IncomingMessage, res: http.ServerResponse, u: URL): Promise<void> {
    try {
      if (u.pathname === '/metrics') return await this.serveMetrics(req, res);
      const s = this.settings.get();
      if (!s.web.enable) throw new WebError(404, 'the web view is off on this node: [web] enable = true in node.conf turns it on');
      if (u.pathname === '/web') {
        res.writeHead(301, { ...SECURITY_HEADERS, location: '/web/' });
        res.end();
        return;
      }
      if (u.pathname.startsWith('/web/api/')) return await this.api(req, res, u, s);
      const name = u.pathname === '/web/' ? 'index.html' : u.pathname.slice('/web/'.length);
      if (name === 'index.html') return this.page(req, res, s);
      return this.asset(req, res, name);
    } catch (e) {
      const status = e instanceof WebError ? e.status : 500;
      if (status === 500) this.o.log.error({ url: u.pathname, err: (e as Error).message }, 'web request failed');
      if (!res.headersSent) json(res, status, { error: (e as Error).message }, e instanceof WebError ? e.headers : {});
      else res.destroy();
    }
  }

  private async serveMetrics(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (req.method !== 'GET') throw new WebError(405, `${req.method ?? ''} not allowed on /metrics`);
    const token = this.settings.get().metrics.token;
    if (token === undefined) throw new WebError(404, 'metrics are off on this node: set [metrics] token in node.conf');
    const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    if (!m || !sameSecret(m[1]!, token)) {
      const peer = req.socket.remoteAddress ?? 'unknown';
      const last = this.refusedScrapes.get(peer) ?? 0;
      if (this.now() - last > 60_000) {
        if (this.refusedScrapes.size > 10_000) this.refusedScrapes.clear();
        this.refusedScrapes.set(peer, this.now());
        this.o.log.warn({ peer }, 'metrics scrape refused: no or wrong bearer token');
      }
      throw new WebError(401, 'unauthorized: send Authorization: Bearer <[metrics] token>', { 'www-authenticate': 'Bearer realm="hasvc metrics"' });
    }
    const text = await this.metrics.scrape();
    res.writeHead(200, { 'content-type': this.metrics.contentType, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }

  private asset(req: http.IncomingMessage, res: http.ServerResponse, name: string): void {
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new WebError(405, `${req.method ?? ''} not allowed`);
    if (this.assets.size === 0) throw new WebError(503, 'the web view files (web/) are not installed beside hasvc');
    const a = this.assets.get(name);
    if (!a) throw new WebError(404, `no page ${name}`);
    const headers = { ...SECURITY_HEADERS, 'content-type': a.type, etag: a.etag, 'cache-control': 'no-cache' };
    if (req.headers['if-none-match'] === a.etag) {
      res.writeHead(304, headers);
      res.end();
      return;
    }
    res.writeHead(200, { ...headers, 'content-length': a.body.length });
    res.end(req.method === 'HEAD' ? undefined : a.body);
  }

  /**
   * The page, with the status it draws first inside it (a JSON block the
   * browser does not run): the first picture needs no request after the
   * page's own files. Only for a reader allowed to see it; the page then
   * follows /web/api/live as ever. Never cached: the status is of now.
   */
  private page(req: http.IncomingMessage, res: http.ServerResponse, s: WebSettings): void {
    const a = this.assets.get('index.html');
    if (req.method !== 'GET' || a === undefined || (!s.web.public && !this.session(req, s))) return this.asset(req, res, 'index.html');
    const html = a.body.toString('utf8');
    const at = html.indexOf('</head>');
    if (at < 0) return this.asset(req, res, 'index.html');
    let status: string;
    try {
      status = this.feed.statusJson();
    } catch {
      // the daemon is starting: the page reads the status from the live feed
      return this.asset(req, res, 'index.html');
    }
    // `<` escaped: nothing in the JSON can close the block
    const block = `<script type="application/json" id="status-now">${status.replace(/</g, '\\u003c')}</script>\n`;
    const body = Buffer.from(html.slice(0, at) + block + html.slice(at));
    res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': a.type, 'cache-control': 'no-store', 'content-length': body.length });
    res.end(body);
  }

  /** The session of this request's cookie, if alive with the configured operator. */
  private session(req: http.IncomingMessage, s: WebSettings): { id: string; session: Session } | undefined {
    const id = cookieOf(req, COOKIE);
    const session = this.sessions.get(id, s.web);
    return id !== undefined && session ? { id, session } : undefined;
  }

  /**
   * A POST from the page itself: its Origin is this listener (a browser
   * always sends it on a fetch POST), its body JSON (no form of another
   * site can send that without a preflight, which is never answered).
   */
  private sameOrigin(req: http.IncomingMessage): void {
    const origin = req.headers.origin;
    const scheme = (req.socket as TLSSocket).encrypted ? 'https' : 'http';
    if (origin === undefined || origin !== `${scheme}://${req.headers.host ?? ''}`) throw new WebError(403, 'refused: the request does not come from this node\'s web page (Origin)');
  }

  private operator(req: http.IncomingMessage, s: WebSettings): Session {
    this.sameOrigin(req);
    const cur = this.session(req, s);
    if (!cur) throw new WebError(401, 'log in as the operator first');
    const csrf = req.headers['x-hasvc-csrf'];
    if (typeof csrf !== 'string' || !sameSecret(csrf, cur.session.csrf)) throw new WebError(403, 'refused: missing or wrong CSRF token (reload the page)');
    return cur.session;
  }

  private async api(req: http.IncomingMessage, res: http.ServerResponse, u: URL, s: WebSettings): Promise<void> {
    const method = req.method ?? 'GET';
    const parts = u.pathname.slice('/web/api/'.length).split('/');
    const route = `${method} ${parts.map((p, i) => (parts[0] === 'services' && i === 1 ? ':svc' : p)).join('/')}`;
    const api = this.o.api;
    const reader = () => {
      if (!s.web.public && !this.session(req, s)) throw new WebError(401, 'log in to see this node\'s view ([web] public = false)');
    };
    const svcOf = () => {
      let svc: string;
      try {
        svc = decodeURIComponent(parts[1] ?? '');
      } catch {
        throw new WebError(400, 'bad service name');
      }
      if (!NAME_RE.test(svc)) throw new WebError(400, 'bad service name');
      return svc;
    };
    switch (route) {
      case 'GET session': {
        const cur = this.session(req, s);
        return json(res, 200, {
          node: this.o.node,
          user: cur?.session.user ?? null,
          csrf: cur?.session.csrf ?? null,
          public: s.web.public,
          operator: s.web.user !== undefined && s.web.password !== undefined,
          loginAllowed: this.secureTransport(req),
        });
      }
      case 'POST login':
        return this.login(req, res, s);
      case 'POST logout': {
        this.operator(req, s);
        this.sessions.close(cookieOf(req, COOKIE));
        return json(res, 200, { user: null }, { 'set-cookie': `${COOKIE}=; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=0` });
      }
      case 'GET status': {
        reader();
        const body = Buffer.from(this.feed.statusJson());
        res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'application/json; charset=utf-8', 'content-length': body.length, 'cache-control': 'no-store' });
        res.end(body);
        return;
      }
      case 'GET live': {
        reader();
        const id = cookieOf(req, COOKIE);
        const allowed = () => {
          const now = this.settings.get();
          return now.web.enable && (now.web.public || this.sessions.get(id, now.web) !== undefined);
        };
        if (!this.feed.add(req, res, allowed)) throw new WebError(503, 'too many pages follow this node live: try again later');
        return;
      }
      case 'GET events': {
        reader();
        const num = (name: string, d: number, max: number) => {
          const v = u.searchParams.get(name);
          if (v === null || v === '') return d;
          if (!/^\d{1,15}$/.test(v)) throw new WebError(400, `${name} must be a non-negative integer`);
          return Math.min(Number(v), max);
        };
        const since = num('since', 0, Number.MAX_SAFE_INTEGER);
        const limit = num('limit', 500, 2000);
        const keep = eventFilter(u.searchParams);
        const page = api.events(since, 5000);
        const events = page.events.filter((e) => keep(e)).slice(-limit);
        return json(res, 200, { lastSeq: page.lastSeq, truncated: page.truncated, events });
      }
      case 'GET services/:svc': {
        reader();
        const view = api.serviceStatus(svcOf());
        if (!view) throw new WebError(404, `service ${parts[1]} is not known on this node`);
        return json(res, 200, { view, lines: renderStatus(view, painter('no', false)) });
      }
      case 'GET services/:svc/history': {
        reader();
        const entries = await this.probes.history(svcOf());
        const last = entries.slice(-MAX_LINES);
        return json(res, 200, { entries: last, lines: formatHistory(last), total: entries.length });
      }
      case 'POST services/:svc/actions':
        return this.act(req, res, svcOf(), s);
      default:
        break;
    }
    throw new WebError(404, `no route ${u.pathname}`);
  }

  /**
   * start / stop: the service's target (OpenSVC's global expect), checked
   * and recorded by the daemon as for `svcmgr -s svc1 start`; every node's
   * orchestrator then drives its instance toward it (started where the
   * placement says, stopped everywhere). The answer comes once it is
   * recorded: the page follows the rest live.
   */
  private async target(svc: string, verb: 'start' | 'stop', user: string, asked: string): Promise<TargetReply> {
    const ask = this.o.api.requestTarget;
    if (ask === undefined) throw new WebError(503, `${verb}: this node's daemon takes no target`);
    let r: { readonly status: number; readonly body: unknown };
    try {
      r = await ask(svc, { target: verb === 'start' ? 'started' : 'stopped', node: undefined, action: verb, by: user, causation: asked });
    } catch (e) {
      if (e instanceof HasvcError) throw new WebError(e.code === 'NOT_FOUND' ? 404 : e.code === 'UNAVAILABLE' ? 503 : 409, e.message);
      throw e;
    }
    const b = r.body as { readonly error?: string; readonly id?: string; readonly target?: string; readonly replaced?: string };
    if (r.status !== 200 || b.id === undefined || b.target === undefined) throw new WebError(r.status === 404 ? 404 : 409, b.error ?? `the daemon answered ${r.status}`);
    return {
      ok: true,
      target: b.target,
      id: b.id,
      lines: [...(b.replaced !== undefined ? [`${svc}: target ${b.replaced} replaced by ${b.target}`] : []), `${svc}: target ${b.target} for the cluster, asked by ${user}`],
    };
  }

  /** TLS, or a client on this host (an ssh tunnel, a local proxy): the only ways a password may come in. */
  private secureTransport(req: http.IncomingMessage): boolean {
    return (req.socket as TLSSocket).encrypted === true || isLoopback(req.socket.remoteAddress);
  }

  private async login(req: http.IncomingMessage, res: http.ServerResponse, s: WebSettings): Promise<void> {
    this.sameOrigin(req);
    const addr = req.socket.remoteAddress ?? 'unknown';
    if (!this.secureTransport(req)) throw new WebError(403, 'log in over HTTPS ([listener] tls_cert and tls_key), or through an ssh tunnel to the node: a password is never sent in clear');
    const wait = this.throttle.waitMs(addr);
    if (wait > 0) throw new WebError(429, `too many failed logins from ${addr}: try again in ${Math.ceil(wait / 1000)} s`, { 'retry-after': String(Math.ceil(wait / 1000)) });
    const body = await readJson(req);
    const user = typeof body.user === 'string' ? body.user : '';
    const password = typeof body.password === 'string' ? body.password : '';
    const { user: want, password: hash } = s.web;
    if (want === undefined || hash === undefined) throw new WebError(403, 'no operator is set on this node: nodemgr web password --user NAME');
    // the hash is checked even for a wrong user name: the answer time does not tell which was wrong
    const ok = (await verifyPassword(password, hash)) && sameSecret(user, want);
    if (!ok) {
      this.throttle.failed(addr);
      this.o.log.warn({ peer: addr, user: user.slice(0, 64) }, 'web login refused');
      throw new WebError(401, 'wrong user or password');
    }
    this.throttle.succeeded(addr);
    const { id, session } = this.sessions.open(want, hash);
    this.o.log.info({ peer: addr, user: want }, 'web operator logged in');
    return json(res, 200, { user: session.user, csrf: session.csrf }, { 'set-cookie': `${COOKIE}=${id}; Path=/; HttpOnly; Secure; SameSite=Strict` });
  }

  /**
   * An operator's action, confirmed with the service name: recorded first
   * (OperatorActionRequested, with the user and where from), then done as
   * the CLI does it: a start or stop is the service's target for the
   * cluster (`svcmgr -s svc1 start`, without --local), a freeze or thaw is
   * of this node's instance (`svc1 freeze --local`).
   */
  private async act(req: http.IncomingMessage, res: http.ServerResponse, svc: string, s: WebSettings): Promise<void> {
    const session = this.operator(req, s);
    const body = await readJson(req);
    const action = body.action;
    if (typeof action !== 'string' || !(WEB_ACTIONS as readonly string[]).includes(action)) throw new WebError(400, `action must be one of ${WEB_ACTIONS.join(', ')}`);
    if (body.confirm !== svc) throw new WebError(400, `confirm the ${action} of ${svc}: send confirm = "${svc}"`);
    if (!serviceExists(this.o.paths, svc)) throw new WebError(404, `service ${svc} is not configured on this node (${this.o.node})`);
    const verb = action as WebAction;
    const from = req.socket.remoteAddress ?? 'unknown';
    const asked = await this.o.append({ type: 'OperatorActionRequested', svc, data: { action: verb, user: session.user, via: 'web', from } });
    this.o.log.info({ svc, action: verb, user: session.user, peer: from }, 'web operator action');
    switch (verb) {
      case 'freeze':
      case 'thaw': {
        const frozen = verb === 'freeze';
        await this.o.append({ type: frozen ? 'InstanceFrozen' : 'InstanceThawed', svc, causation: asked.id, data: {} });
        setFrozen(this.o.paths, svc, frozen);
        return json(res, 200, { ok: true, lines: [`${this.o.node}.${svc}: ${frozen ? 'frozen' : 'thawed'} by ${session.user}`] });
      }
      case 'start':
      case 'stop':
        return json(res, 200, await this.target(svc, verb, session.user, asked.id));
      default: {
        const never: never = verb;
        throw new WebError(400, `unknown action ${String(never)}`);
      }
    }
  }
}

/** What the page shows of a start or stop: the target recorded for the cluster, or why not. */
interface TargetReply {
  readonly ok: true;
  readonly target: string;
  readonly id: string;
  readonly lines: readonly string[];
}

/** The event stream's filters: svc, node (the origin), type (comma-separated); each absent or empty matches all. */
export function eventFilter(q: URLSearchParams): (e: StoredEvent) => boolean {
  const svc = q.get('svc') || undefined;
  const node = q.get('node') || undefined;
  const types = (q.get('type') ?? '').split(',').map((t) => t.trim()).filter(Boolean);
  return (e) => (svc === undefined || e.event.svc === svc) && (node === undefined || e.event.origin === node) && (types.length === 0 || types.includes(e.event.type));
}
