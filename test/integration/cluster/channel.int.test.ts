import http from 'node:http';
import { beforeAll, describe, expect, test } from '@jest/globals';
import { makeEvent, type AnyEvent } from '../../../domain/events.js';
import { loadClusterIdentity } from '../../../src/config/identity.js';
import { loadNodeKey, PeerKeys } from '../../../src/config/nodeKeys.js';
import { signRequest, type NodeKey } from '../../../src/daemon/auth.js';
import { useTestScope } from '../../support/jest.js';
import { testKey } from '../../support/peer.js';
import { trackPid } from '../../support/process.js';
import { waitFor } from '../../support/wait.js';
import { ensureBuilt } from '../daemon/support.js';
import { clusterPair, idsOf } from './support.js';

/**
 * The cluster channel as an attacker on the network sees it: captured
 * requests replayed, beats forged by a holder of the cluster secret, bad
 * origins, gaps, forks, floods. Each is refused, node1's stream holds
 * nothing of it, and the heartbeats keep converging afterwards.
 */

interface Raw {
  readonly status: number;
  readonly text: string;
}

/** Send exactly these headers and bytes. */
function raw(host: string, port: number, method: string, urlPath: string, headers: Record<string, string>, body?: Buffer): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port, method, path: urlPath, headers: { ...headers, ...(body ? { 'content-length': body.length } : {}) }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('the cluster channel refuses replays, forgeries and floods', () => {
  const scope = useTestScope();
  beforeAll(() => ensureBuilt(), 240_000);

  test('replayed, re-routed, forged, gapped, forked, flooded and self-addressed beats are refused; the log is unchanged and beats still converge', async () => {
    const { n1, n2, listenerPort, hbPort, secret } = await clusterPair(scope(), { interval: 1, timeout: 3 });
    await n1.start();
    await n2.start();
    expect((await n2.nodemgr(['daemon', 'join', '--secret', secret, '--node', 'node1', '--addr', `127.0.0.1:${listenerPort}`])).exitCode).toBe(0);
    trackPid(scope(), n2.daemonPid()!, true);
    const cluster = loadClusterIdentity(n1.paths).name;
    const converge = async (what: string) =>
      waitFor(what, async () => JSON.stringify(idsOf(await n1.events(), 'node2')) === JSON.stringify(idsOf(await n2.events(), 'node2')), 20_000, 250);
    // node2's own news of node1 (its PeerStateChanged to up) is in, so that node2 records nothing more meanwhile
    await waitFor('node2 sees node1 up', async () => (await n2.status()).nodes.find((x) => x.name === 'node1')?.state === 'up', 20_000);
    await waitFor('node1 up recorded by node2', async () => (await n2.events()).some((e) => e.event.origin === 'node2' && e.event.type === 'PeerStateChanged' && (e.event.data as { to?: string }).to === 'up'), 20_000);
    await converge('node2 events on node1');

    // keys were exchanged at the join: node1 holds node2's, node2 holds node1's
    expect(new PeerKeys(n1.paths).get('node2')).toBe(loadNodeKey(n2.paths).publicKey);
    expect(new PeerKeys(n2.paths).get('node1')).toBe(loadNodeKey(n1.paths).publicKey);

    const before = await n1.events();
    const last2 = Math.max(...before.filter((e) => e.event.origin === 'node2').map((e) => e.event.seq));
    const ev = (origin: string, seq: number, data: Partial<AnyEvent> = {}): AnyEvent =>
      ({ ...makeEvent({ type: 'InstanceThawed', svc: 'svc1', data: {} }, { cluster, origin, seq, time: new Date().toISOString() }), ...data }) as AnyEvent;
    const beat = (events: readonly AnyEvent[], node = 'node2') =>
      Buffer.from(JSON.stringify({ v: 1, cluster, node, hb: 'hb#1', status: { load15m: 0, frozen: false, instances: {} }, heads: { [node]: last2 }, events }));
    const signedBeat = (key: NodeKey, body: Buffer, o: { from?: string; to?: string; path?: string } = {}) =>
      signRequest({ node: o.from ?? 'node2', secret, key }, o.to ?? 'node1', 'POST', o.path ?? '/hb', body, Date.now());

    const node2Key = loadNodeKey(n2.paths);

    // 1. a beat captured on the wire (node2's own key and secret), replayed
    const captured = signedBeat(node2Key, beat([]));
    expect((await raw('127.0.0.1', hbPort, 'POST', '/hb', captured.headers, captured.body)).status).toBe(200);
    const again = await raw('127.0.0.1', hbPort, 'POST', '/hb', captured.headers, captured.body);
    expect(again.status).toBe(401);
    expect(again.text).toContain('already used');
    // ... on another route of the listener: a new service with its launcher, a thaw, the events, the status, a join
    const fresh = signedBeat(node2Key, beat([]));
    for (const [method, p] of [['POST', '/services/evil/config'], ['POST', '/services/evil/thaw'], ['GET', '/events?since=0'], ['GET', '/daemon/status'], ['POST', '/cluster/join']] as const) {
      const r = await raw('127.0.0.1', listenerPort, method, p, fresh.headers, method === 'POST' ? fresh.body : undefined);
      expect({ p, status: r.status }).toEqual({ p, status: 401 });
    }
    // ... to the other node
    const toOther = signedBeat(node2Key, beat([]));
    expect((await raw('127.0.0.2', hbPort, 'POST', '/hb', toOther.headers, toOther.body)).status).toBe(401);
    // the body is sealed: the captured bytes do not show the beat
    expect(captured.body!.toString('utf8')).not.toContain('"cluster"');

    // 2. a holder of the cluster secret without node2's key speaks as node2: refused
    const forged = signedBeat(testKey(), beat([ev('node2', last2 + 1)]));
    const f = await raw('127.0.0.1', hbPort, 'POST', '/hb', forged.headers, forged.body);
    expect(f.status).toBe(401);
    expect(f.text).toContain('node key refused');

    // 3. node2's own key: events of other origins, a bad origin, a gap, a fork: none stored
    const other = signedBeat(node2Key, beat([ev('node3', 1), ev('sa.x', 1), ev('node1', 1_000_000), ev('node2', last2 + 5), { ...ev('node2', last2), id: 'fork-of-last' } as AnyEvent]));
    expect((await raw('127.0.0.1', hbPort, 'POST', '/hb', other.headers, other.body)).status).toBe(200);

    // 4. a flood: 10,000 events in one beat
    const flood = signedBeat(node2Key, beat(Array.from({ length: 10_000 }, (_, i) => ev('node2', last2 + 1 + i))));
    const fl = await raw('127.0.0.1', hbPort, 'POST', '/hb', flood.headers, flood.body);
    expect([400, 413]).toContain(fl.status);

    // 5. a beat claiming to come from node1 itself, signed with node1's own key
    const self = signRequest({ node: 'node1', secret, key: loadNodeKey(n1.paths) }, 'node1', 'POST', '/hb', beat([], 'node1'), Date.now());
    expect((await raw('127.0.0.1', hbPort, 'POST', '/hb', self.headers, self.body)).status).toBe(401);

    // nothing of it reached node1's log
    const after = await n1.events();
    const foreign = after.filter((e) => !['node1', 'node2'].includes(e.event.origin));
    expect(foreign).toEqual([]);
    expect(after.some((e) => e.event.id === 'fork-of-last')).toBe(false);
    expect(after.filter((e) => e.event.origin === 'node2' && e.event.seq > last2)).toEqual([]);

    // and node2's real events still reach node1, once each, in order
    const marker = await n2.nodemgr(['set', '--param', 'node.env', '--value', 'TST']);
    expect(marker.exitCode).toBe(0);
    await waitFor('a new node2 event', async () => (await n2.events()).some((e) => e.event.origin === 'node2' && e.event.seq > last2), 10_000, 200);
    await converge('node2 events on node1 after the attacks');
    const ids = idsOf(await n1.events(), 'node2');
    expect(new Set(ids).size).toBe(ids.length);
    await n1.stop();
    await n2.stop();
  }, 120_000);

  test('a join exchanges node keys; a request signed by another key for a pinned node is refused at the listener', async () => {
    const { n1, n2, listenerPort, secret } = await clusterPair(scope(), { interval: 1, timeout: 3 });
    await n1.start();
    await n2.start();
    expect((await n2.nodemgr(['daemon', 'join', '--secret', secret, '--node', 'node1', '--addr', `127.0.0.1:${listenerPort}`])).exitCode).toBe(0);
    trackPid(scope(), n2.daemonPid()!, true);
    const impostor = signRequest({ node: 'node2', secret, key: testKey() }, 'node1', 'GET', '/daemon/status', undefined, Date.now());
    const r = await raw('127.0.0.1', listenerPort, 'GET', '/daemon/status', impostor.headers);
    expect(r.status).toBe(401);
    const genuine = signRequest({ node: 'node2', secret, key: loadNodeKey(n2.paths) }, 'node1', 'GET', '/daemon/status', undefined, Date.now());
    expect((await raw('127.0.0.1', listenerPort, 'GET', '/daemon/status', genuine.headers)).status).toBe(200);
    const pinned = (await n1.events()).filter((e) => e.event.type === 'NodeKeyPinned').map((e) => e.event.data);
    expect(pinned).toEqual([expect.objectContaining({ node: 'node2', by: 'join' })]);
    await n1.stop();
    await n2.stop();
  }, 120_000);
});
