import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { StoredEvent } from '../../../adapters/nats/eventStore.js';
import type { AnyEvent, Envelope, EventType } from '../../../domain/events.js';
import type { TestScope } from '../../support/scope.js';
import { run } from '../../support/sh.js';
import { daemonNode, REPO, sleepAppLauncher, type DaemonNode } from '../daemon/support.js';

export const TOKEN = 'hasvc-test-scrape-token-0123456789abcdef';
export const OPERATOR = { user: 'admin', password: 'correct horse battery staple' };

export interface HttpAnswer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/** A plain request to 127.0.0.1:port, path sent exactly as given (no normalisation by the client). */
export function request(port: number, method: string, urlPath: string, o: { headers?: Record<string, string>; body?: string; host?: string } = {}): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: o.host ?? '127.0.0.1', port, path: urlPath, method, headers: { ...(o.body !== undefined ? { 'content-length': String(Buffer.byteLength(o.body)) } : {}), ...o.headers }, agent: false, timeout: 30_000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${urlPath}: no answer within 30 s`)));
    req.on('error', reject);
    req.end(o.body);
  });
}

export interface WebNode extends DaemonNode {
  readonly base: string;
  /** GET /metrics with the token */
  scrape(): Promise<string>;
  /** the value of one sample of the exposition, undefined when absent */
  sample(text: string, name: string, labels?: Record<string, string>): number | undefined;
}

/** A sample's value: `name{labels} value`, labels in any order. */
export function sampleOf(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = new Map([...(m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1]!, x[2]!]));
    if (Object.entries(labels).every(([k, v]) => have.get(k) === v)) return Number(m[3]);
  }
  return undefined;
}

/**
 * A daemon node with the web view on ([web] enable, an operator set with
 * `nodemgr web password`), a metrics token, and svc1: an app service whose
 * launcher runs a `sleep`. Not started.
 */
export async function webNode(scope: TestScope, o: { public?: boolean; token?: boolean; operator?: boolean; node?: string } = {}): Promise<WebNode> {
  const n = await daemonNode(scope, o.node ?? 'node1');
  fs.appendFileSync(n.paths.nodeConf, ['', '[web]', 'enable = true', ...(o.public === false ? ['public = false'] : []), '', ...(o.token !== false ? ['[metrics]', `token = ${TOKEN}`, ''] : [])].join('\n'));
  if (o.operator !== false) {
    const r = await run([process.execPath, path.join(REPO, 'bin/nodemgr'), 'web', 'password', '--user', OPERATOR.user], { env: n.env, input: `${OPERATOR.password}\n`, cwd: n.root });
    if (r.exitCode !== 0) throw new Error(`nodemgr web password failed: ${r.stderr}`);
  }
  n.writeAppService('svc1', sleepAppLauncher(path.join(n.root, 'svc1.pid')));
  const sample = sampleOf;
  return Object.assign(n, {
    base: `http://127.0.0.1:${n.listenerPort}`,
    async scrape() {
      const r = await request(n.listenerPort, 'GET', '/metrics', { headers: { authorization: `Bearer ${TOKEN}` } });
      if (r.status !== 200) throw new Error(`GET /metrics: ${r.status} ${r.body}`);
      return r.body;
    },
    sample,
  });
}

/** The operator's session, logged in as the page does: {cookie header, csrf token}. */
export async function login(n: WebNode): Promise<{ cookie: string; csrf: string }> {
  const r = await request(n.listenerPort, 'POST', '/web/api/login', { headers: { origin: n.base, 'content-type': 'application/json' }, body: JSON.stringify(OPERATOR) });
  if (r.status !== 200) throw new Error(`login: ${r.status} ${r.body}`);
  const set = String(r.headers['set-cookie']?.[0] ?? '');
  return { cookie: set.split(';')[0]!, csrf: (JSON.parse(r.body) as { csrf: string }).csrf };
}

/** The events of one type (of one service), typed. */
export function ofType<T extends EventType>(all: readonly StoredEvent[], type: T, svc?: string): Envelope<T>[] {
  return all.map((s) => s.event).filter((e): e is AnyEvent & Envelope<T> => e.type === type && (svc === undefined || e.svc === svc));
}
