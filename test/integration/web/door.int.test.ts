import fs from 'node:fs';
import { beforeAll, describe, expect, test } from '@jest/globals';
import { daemonRequest } from '../../../src/daemon/client.js';
import { useTestScope } from '../../support/jest.js';
import { ensureBuilt, eventsOf, waitForEvents } from '../daemon/support.js';
import { login, request, TOKEN, webNode } from './support.js';

/** Every route of the listener that is not the web view's: each needs the v2 signature on TCP. */
const SIGNED_ROUTES: readonly (readonly [string, string])[] = [
  ['GET', '/daemon/ping'],
  ['GET', '/daemon/status'],
  ['GET', '/events?since=0'],
  ['GET', '/events?since=0&wait=1'],
  ['GET', '/services/svc1/status'],
  ['GET', '/services/svc1/config/checksum'],
  ['POST', '/services/svc1/status'],
  ['POST', '/services/svc1/freeze'],
  ['POST', '/services/svc1/thaw'],
  ['POST', '/services/svc1/actions'],
  ['POST', '/services/svc1/config'],
  ['POST', '/cluster/join'],
  ['POST', '/daemon/stop'],
  ['GET', '/nope'],
  ['GET', '/'],
  ['GET', '/favicon.ico'],
  // the web prefixes, normalised away by the URL parser before routing: they lead to the signed routes
  ['GET', '/web/../daemon/status'],
  ['GET', '/web/%2e%2e/daemon/status'],
  ['GET', '/metrics/../daemon/status'],
  ['POST', '/web/api/../../daemon/stop'],
  ['POST', '/web/api/services/../../../services/svc1/freeze'],
  ['GET', '/webx/api/status'],
  ['GET', '/metricsx'],
];

describe('the listener\'s doors: the web view and /metrics have their own, and open nothing else', () => {
  const scope = useTestScope();
  beforeAll(() => ensureBuilt(), 240_000);

  test('with the metrics token, an operator\'s session and its CSRF token, every other route still needs the v2 signature (401)', async () => {
    const n = await webNode(scope());
    const pid = await n.start();
    const op = await login(n);
    // the keys work where they are meant to
    expect((await request(n.listenerPort, 'GET', '/metrics', { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
    expect((await request(n.listenerPort, 'GET', '/web/api/status', { headers: { cookie: op.cookie } })).status).toBe(200);

    const everything = { authorization: `Bearer ${TOKEN}`, cookie: op.cookie, 'x-hasvc-csrf': op.csrf, origin: n.base, 'content-type': 'application/json' };
    for (const [method, path] of SIGNED_ROUTES) {
      for (const headers of [{}, everything]) {
        const r = await request(n.listenerPort, method, path, { headers, ...(method === 'POST' ? { body: JSON.stringify({ action: 'stop', confirm: 'svc1' }) } : {}) });
        expect({ method, path, status: r.status }).toEqual({ method, path, status: 401 });
      }
    }
    // a path that stays under /web/ is the web view's, which has no such page
    for (const [method, path] of [['GET', '/web/..%2fdaemon/status'], ['POST', '/web/api/..%2f..%2fdaemon%2fstop']] as const) {
      const r = await request(n.listenerPort, method, path, { headers: everything, ...(method === 'POST' ? { body: '{}' } : {}) });
      expect({ path, status: r.status }).toEqual({ path, status: 404 });
    }
    // a preflight from another site is never answered with an allowance
    const pre = await request(n.listenerPort, 'OPTIONS', '/web/api/login', { headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    expect(pre.status).toBe(404);
    expect(pre.headers['access-control-allow-origin']).toBeUndefined();

    // nothing was done: the daemon runs, svc1 was neither frozen, thawed nor stopped, and the refusals are on record
    expect(n.daemonPid()).toBe(pid);
    const all = await waitForEvents(n, 'RequestRejected', (a) => eventsOf(a, 'RequestRejected').length > 0);
    for (const t of ['InstanceFrozen', 'InstanceThawed', 'ActionStarted', 'DaemonStopped', 'OperatorActionRequested', 'ServiceConfigChanged', 'NodeJoined'] as const) expect(eventsOf(all, t)).toEqual([]);
    // neither the token nor the session is a key to the unix socket's routes either: they are not served there
    expect((await daemonRequest(n.paths, 'GET', '/metrics')).status).toBe(404);
    expect((await daemonRequest(n.paths, 'GET', '/web/api/status')).status).toBe(404);
    await n.stop();
  });

  test('the web view\'s own POSTs need the page\'s Origin, JSON, the session and its CSRF token', async () => {
    const n = await webNode(scope());
    await n.start();
    const op = await login(n);
    const act = (headers: Record<string, string>) => request(n.listenerPort, 'POST', '/web/api/services/svc1/actions', { headers, body: JSON.stringify({ action: 'freeze', confirm: 'svc1' }) });
    const good = { cookie: op.cookie, 'x-hasvc-csrf': op.csrf, origin: n.base, 'content-type': 'application/json' };
    const without = (k: string) => Object.fromEntries(Object.entries(good).filter(([x]) => x !== k));
    expect((await act(without('cookie'))).status).toBe(401);
    expect((await act(without('x-hasvc-csrf'))).status).toBe(403);
    expect((await act({ ...good, 'x-hasvc-csrf': 'x'.repeat(32) })).status).toBe(403);
    expect((await act(without('origin'))).status).toBe(403);
    expect((await act({ ...good, origin: 'http://evil.example' })).status).toBe(403);
    expect((await act({ ...good, 'content-type': 'text/plain' })).status).toBe(415);
    const unconfirmed = await request(n.listenerPort, 'POST', '/web/api/services/svc1/actions', { headers: good, body: JSON.stringify({ action: 'freeze' }) });
    expect(unconfirmed.status).toBe(400);
    expect(JSON.parse(unconfirmed.body)).toEqual({ error: 'confirm the freeze of svc1: send confirm = "svc1"' });
    // a login from another origin, a wrong password
    expect((await request(n.listenerPort, 'POST', '/web/api/login', { headers: { origin: 'http://evil.example', 'content-type': 'application/json' }, body: '{"user":"admin","password":"x"}' })).status).toBe(403);
    const wrong = await request(n.listenerPort, 'POST', '/web/api/login', { headers: { origin: n.base, 'content-type': 'application/json' }, body: '{"user":"admin","password":"not the one"}' });
    expect(wrong.status).toBe(401);
    expect(wrong.headers['set-cookie']).toBeUndefined();
    // the refusals did nothing; the good one is recorded with its user, then done
    const before = eventsOf(await n.events(), 'InstanceFrozen');
    expect(before).toEqual([]);
    const ok = await act(good);
    expect(ok.status).toBe(200);
    const all = await waitForEvents(n, 'InstanceFrozen by the operator', (a) => eventsOf(a, 'InstanceFrozen').length === 1);
    const asked = eventsOf(all, 'OperatorActionRequested');
    expect(asked).toEqual([expect.objectContaining({ svc: 'svc1', data: { action: 'freeze', user: 'admin', via: 'web', from: '127.0.0.1' } })]);
    expect(eventsOf(all, 'InstanceFrozen')[0]).toMatchObject({ svc: 'svc1', causation: asked[0]!.id });
    // logged out: the session opens nothing any more
    expect((await request(n.listenerPort, 'POST', '/web/api/logout', { headers: good, body: '{}' })).status).toBe(200);
    expect((await act(good)).status).toBe(401);
    await n.stop();
  });

  test('[web] enable = false (the default): /web/ answers 404 saying how to turn it on; /metrics without a token set is off too', async () => {
    const n = await webNode(scope(), { token: false, operator: false });
    fs.writeFileSync(n.paths.nodeConf, fs.readFileSync(n.paths.nodeConf, 'utf8').replace('enable = true', 'enable = false'));
    await n.start();
    const web = await request(n.listenerPort, 'GET', '/web/');
    expect(web.status).toBe(404);
    expect(JSON.parse(web.body)).toEqual({ error: 'the web view is off on this node: [web] enable = true in node.conf turns it on' });
    const m = await request(n.listenerPort, 'GET', '/metrics', { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(m.status).toBe(404);
    expect(JSON.parse(m.body)).toEqual({ error: 'metrics are off on this node: set [metrics] token in node.conf' });
    await n.stop();
  });
});
