import http from 'node:http';
import { beforeAll, describe, expect, test } from '@jest/globals';
import { loadClusterIdentity } from '../../../src/config/identity.js';
import { signRequest } from '../../../src/daemon/auth.js';
import { daemonRequest, peerRequest } from '../../../src/daemon/client.js';
import type { EventsPage } from '../../../src/daemon/monitor.js';
import type { DaemonStatus } from '../../../src/daemon/readModel.js';
import { peerOn, testKey } from '../../support/peer.js';
import { useTestScope } from '../../support/jest.js';
import { daemonNode, ensureBuilt, eventsOf, waitForEvents } from './support.js';

/** A raw request to the TCP listener with exactly these headers. */
function rawGet(port: number, urlPath: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: urlPath, method: 'GET', headers, agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * A GET over the daemon's unix socket sent with `Expect: 100-continue`:
 * `taken` resolves on the daemon's 100 Continue, written as its handler
 * begins, before anything else can reach that handler's process.
 */
function heldGet(socketPath: string, urlPath: string): { taken: Promise<void>; answer: Promise<{ status: number; body: string }> } {
  let onTaken: () => void = () => undefined;
  const taken = new Promise<void>((resolve) => (onTaken = resolve));
  const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.request({ socketPath, path: urlPath, method: 'GET', headers: { expect: '100-continue' }, agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('continue', onTaken);
    req.on('error', reject);
    req.end();
  });
  return { taken, answer };
}

describe('listener: signed TCP requests, local unix socket', () => {
  const scope = useTestScope();
  beforeAll(() => ensureBuilt(), 240_000);

  test('401 without credentials or with a bad secret, 200 with a good HMAC, the socket needs none', async () => {
    const n = await daemonNode(scope());
    await n.start();
    const { secret } = loadClusterIdentity(n.paths);
    const port = n.listenerPort;

    const none = await rawGet(port, '/daemon/status', {});
    expect(none.status).toBe(401);
    expect(none.body).not.toContain(secret);

    const key = testKey();
    const bad = await rawGet(port, '/daemon/status', signRequest({ node: 'node2', secret: '0'.repeat(32), key }, 'node1', 'GET', '/daemon/status', undefined, Date.now()).headers);
    expect(bad.status).toBe(401);

    const stale = await rawGet(port, '/daemon/status', signRequest({ node: 'node2', secret, key }, 'node1', 'GET', '/daemon/status', undefined, Date.now() - 10 * 60_000).headers);
    expect(stale.status).toBe(401);

    const peer = peerOn(port, { node: 'node2', secret, key });
    const good = await peerRequest<DaemonStatus>(peer, 'GET', '/daemon/status');
    expect(good.status).toBe(200);
    expect(good.body.node).toBe('node1');
    expect(good.body.threads.find((t) => t.name === 'listener')).toEqual({ name: 'listener', state: 'running', address: `127.0.0.1:${port}` });

    // signed, but stopping the daemon is a local decision
    const stop = await peerRequest(peer, 'POST', '/daemon/stop');
    expect(stop.status).toBe(403);
    expect((await peerRequest(peer, 'GET', '/nope')).status).toBe(404);

    const local = await daemonRequest<DaemonStatus>(n.paths, 'GET', '/daemon/status');
    expect(local.status).toBe(200);
    expect(local.body.pid).toBe(n.daemonPid());
    expect((await daemonRequest(n.paths, 'GET', '/services/nope/status')).status).toBe(404);
    expect((await daemonRequest(n.paths, 'GET', '/events?since=x')).status).toBe(400);

    const all = await waitForEvents(n, 'RequestRejected', (a) => eventsOf(a, 'RequestRejected').length > 0);
    const rejected = eventsOf(all, 'RequestRejected');
    // one event per peer per 10 s: three refusals from 127.0.0.1, one event
    expect(rejected).toHaveLength(1);
    expect(rejected[0]).toMatchObject({ data: { reason: 'no credentials', peer: '127.0.0.1' } });
    expect(JSON.stringify(all)).not.toContain(secret);
    const page = (await daemonRequest<EventsPage>(n.paths, 'GET', '/events?since=0')).body;
    expect(page.events.map((e) => e.event.type)).toContain('RequestRejected');
    await n.stop();
  });

  test('GET /events long-polls: it answers when the next event is stored', async () => {
    const n = await daemonNode(scope());
    await n.start();
    const { lastSeq } = (await daemonRequest<EventsPage>(n.paths, 'GET', '/events?since=0')).body;
    const t0 = Date.now();
    const waiting = heldGet(n.paths.daemonSocket, `/events?since=${lastSeq}&wait=20`);
    // the daemon holds the poll before the event exists
    await waiting.taken;
    // a request refused on TCP is an event: it wakes the poll
    await rawGet(n.listenerPort, '/daemon/status', {});
    const answer = await waiting.answer;
    expect(answer.status).toBe(200);
    const page = JSON.parse(answer.body) as EventsPage;
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(page.events[0]).toMatchObject({ streamSeq: lastSeq + 1, event: { type: 'RequestRejected' } });
    await n.stop();
  });
});
