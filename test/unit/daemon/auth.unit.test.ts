import { describe, expect, test } from '@jest/globals';
import { bodyMatches, MAX_SKEW_MS, nodeSignatureValid, openBody, ReplayGuard, sealKey, signRequest, verifyHeaders } from '../../../src/daemon/auth.js';
import { testKey } from '../../support/peer.js';

const SECRET = 'a'.repeat(32);
const NOW = 1_700_000_000_000;
const lower = (h: Record<string, string>) => Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
const key = testKey();
const me = { node: 'node2', secret: SECRET, key };
const body = Buffer.from('{"x":1}');

function signed(o: { to?: string; method?: string; path?: string; time?: number; seal?: boolean } = {}) {
  return signRequest(me, o.to ?? 'node1', o.method ?? 'POST', o.path ?? '/hb', body, o.time ?? NOW, { seal: o.seal ?? true });
}

describe('requests between nodes: hasvc auth v2', () => {
  test('a signed, sealed request checks out for its node, route and body, and opens', () => {
    const s = signed();
    const v = verifyHeaders(lower(s.headers), SECRET, 'node1', 'POST', '/hb', NOW);
    expect(v.ok).toBe(true);
    if (!v.ok) return;
    expect(v.value.line.from).toBe('node2');
    expect(bodyMatches(v.value, s.body!)).toBe(true);
    expect(nodeSignatureValid(v.value, key.publicKey)).toBe(true);
    expect(nodeSignatureValid(v.value, testKey().publicKey)).toBe(false);
    expect(openBody(v.value, SECRET, s.body!)?.toString()).toBe('{"x":1}');
    // sealed: the wire bytes are not the body
    expect(s.body!.includes(body)).toBe(false);
  });

  test('a signature captured for one node, route or method is refused by any other', () => {
    const h = lower(signed().headers);
    expect(verifyHeaders(h, SECRET, 'node3', 'POST', '/hb', NOW)).toEqual({ ok: false, reason: 'addressed to node1, not this node' });
    expect(verifyHeaders(h, SECRET, 'node1', 'POST', '/services/evil/config', NOW)).toEqual({ ok: false, reason: 'bad signature' });
    expect(verifyHeaders(h, SECRET, 'node1', 'GET', '/hb', NOW)).toEqual({ ok: false, reason: 'bad signature' });
    expect(verifyHeaders({ ...h, 'x-hasvc-to': 'node3' }, SECRET, 'node3', 'POST', '/hb', NOW)).toEqual({ ok: false, reason: 'bad signature' });
    expect(verifyHeaders({ ...h, 'x-hasvc-node': 'node3' }, SECRET, 'node1', 'POST', '/hb', NOW)).toEqual({ ok: false, reason: 'bad signature' });
  });

  test('another body than the one signed is caught', () => {
    const s = signed({ seal: false });
    const v = verifyHeaders(lower(s.headers), SECRET, 'node1', 'POST', '/hb', NOW);
    expect(v.ok).toBe(true);
    if (v.ok) expect(bodyMatches(v.value, Buffer.from('{"x":2}'))).toBe(false);
  });

  test('the time window is seconds, not minutes', () => {
    const at = (dt: number) => verifyHeaders(lower(signed({ time: NOW + dt }).headers), SECRET, 'node1', 'POST', '/hb', NOW);
    expect(at(-MAX_SKEW_MS + 1000).ok).toBe(true);
    expect(at(MAX_SKEW_MS - 1000).ok).toBe(true);
    expect(at(-MAX_SKEW_MS - 1000)).toEqual({ ok: false, reason: 'request time too far from ours (clock skew or replay)' });
    expect(at(MAX_SKEW_MS + 1000).ok).toBe(false);
    expect(MAX_SKEW_MS).toBeLessThanOrEqual(30_000);
  });

  test('a nonce is used once within the window; forgotten only after it', () => {
    const g = new ReplayGuard();
    expect(g.use('n1', NOW)).toBe(true);
    expect(g.use('n1', NOW + 1000)).toBe(false);
    expect(g.use('n1', NOW + 2 * MAX_SKEW_MS - 1)).toBe(false);
    expect(g.use('n1', NOW + 2 * MAX_SKEW_MS + 10_000)).toBe(true);
    const small = new ReplayGuard(2);
    expect(small.use('a', NOW) && small.use('b', NOW)).toBe(true);
    expect(small.use('c', NOW)).toBe(false);
  });

  test('refusals: none, v1, another secret, malformed', () => {
    expect(verifyHeaders({}, SECRET, 'node1', 'GET', '/', NOW)).toEqual({ ok: false, reason: 'no credentials' });
    const v1 = { authorization: `Bearer ${'0'.repeat(64)}`, 'x-hasvc-node': 'node2', 'x-hasvc-time': String(NOW / 1000) };
    expect(verifyHeaders(v1, SECRET, 'node1', 'GET', '/', NOW)).toEqual({ ok: false, reason: 'authentication v1: this node speaks v2 (upgrade the sender)' });
    const h = lower(signed().headers);
    expect(verifyHeaders(h, 'f'.repeat(32), 'node1', 'POST', '/hb', NOW)).toEqual({ ok: false, reason: 'bad signature' });
    const { 'x-hasvc-nonce': _n, ...noNonce } = h;
    expect(verifyHeaders(noNonce, SECRET, 'node1', 'POST', '/hb', NOW)).toEqual({ ok: false, reason: 'incomplete credentials' });
    expect(verifyHeaders({ ...h, authorization: `Basic ${SECRET}` }, SECRET, 'node1', 'POST', '/hb', NOW)).toEqual({ ok: false, reason: 'malformed authorization header' });
    expect(verifyHeaders({ ...h, 'x-hasvc-node': '../etc' }, SECRET, 'node1', 'POST', '/hb', NOW)).toEqual({ ok: false, reason: 'malformed node name' });
    expect(verifyHeaders({ ...h, 'x-hasvc-time': '1e9' }, SECRET, 'node1', 'POST', '/hb', NOW)).toEqual({ ok: false, reason: 'malformed time' });
  });

  test('a request claiming to come from the receiver itself is refused', () => {
    const s = signRequest({ ...me, node: 'node1' }, 'node1', 'POST', '/hb', body, NOW);
    expect(verifyHeaders(lower(s.headers), SECRET, 'node1', 'POST', '/hb', NOW)).toEqual({ ok: false, reason: 'signed as this node itself' });
  });

  test('keys derived or parsed once answer as fresh ones: per secret, per public key', () => {
    const other = 'b'.repeat(32);
    const k1 = sealKey(SECRET);
    expect(sealKey(other).equals(k1)).toBe(false);
    expect(sealKey(SECRET).equals(k1)).toBe(true);
    const s = signed();
    const v = verifyHeaders(lower(s.headers), SECRET, 'node1', 'POST', '/hb', NOW);
    if (!v.ok) throw new Error(v.reason);
    // a body sealed with one secret does not open with another, whichever was derived last
    expect(openBody(v.value, other, s.body!)).toBeUndefined();
    expect(openBody(v.value, SECRET, s.body!)?.toString()).toBe('{"x":1}');
    const stranger = testKey().publicKey;
    for (let i = 0; i < 3; i++) {
      expect(nodeSignatureValid(v.value, key.publicKey)).toBe(true);
      expect(nodeSignatureValid(v.value, stranger)).toBe(false);
      expect(nodeSignatureValid(v.value, 'not a key')).toBe(false);
    }
  });
});
