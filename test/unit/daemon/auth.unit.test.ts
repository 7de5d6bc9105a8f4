import { describe, expect, it } from '@jest/globals';
import { requestSignature, signRequest, verifyRequest } from '../../../src/daemon/auth.js';

const SECRET = '7e801abaefc611e780a2525400a6c3d7';
const NOW = Date.UTC(2026, 0, 2, 14, 36);

/** Node lowercases incoming header names. */
function lower(h: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
}

describe('request signing', () => {
  it('signs HMAC-SHA256(secret, "<node>:<unix-time>") and accepts it', () => {
    const h = signRequest(SECRET, 'node2', NOW);
    expect(h['X-Hasvc-Node']).toBe('node2');
    expect(h['X-Hasvc-Time']).toBe(String(NOW / 1000));
    expect(h.authorization).toBe(`Bearer ${requestSignature(SECRET, 'node2', NOW / 1000)}`);
    expect(h.authorization).toMatch(/^Bearer [0-9a-f]{64}$/);
    expect(verifyRequest(lower(h), SECRET, NOW)).toEqual({ ok: true, node: 'node2' });
  });

  it('accepts 5 minutes of clock difference either way, not more', () => {
    expect(verifyRequest(lower(signRequest(SECRET, 'node2', NOW - 299_000)), SECRET, NOW).ok).toBe(true);
    expect(verifyRequest(lower(signRequest(SECRET, 'node2', NOW + 299_000)), SECRET, NOW).ok).toBe(true);
    expect(verifyRequest(lower(signRequest(SECRET, 'node2', NOW - 301_000)), SECRET, NOW)).toEqual({ ok: false, reason: 'request time too far from ours (clock skew or replay)' });
    expect(verifyRequest(lower(signRequest(SECRET, 'node2', NOW + 301_000)), SECRET, NOW).ok).toBe(false);
  });

  it('refuses another secret, another node name or time than the signed ones', () => {
    const h = lower(signRequest(SECRET, 'node2', NOW));
    expect(verifyRequest(h, 'f'.repeat(32), NOW)).toEqual({ ok: false, reason: 'bad signature' });
    expect(verifyRequest({ ...h, 'x-hasvc-node': 'node3' }, SECRET, NOW)).toEqual({ ok: false, reason: 'bad signature' });
    expect(verifyRequest({ ...h, 'x-hasvc-time': String(NOW / 1000 + 1) }, SECRET, NOW)).toEqual({ ok: false, reason: 'bad signature' });
  });

  it('names what is missing or malformed, and never echoes what was sent', () => {
    expect(verifyRequest({}, SECRET, NOW)).toEqual({ ok: false, reason: 'no credentials' });
    const h = lower(signRequest(SECRET, 'node2', NOW));
    const { authorization: _a, ...noAuth } = h;
    expect(verifyRequest(noAuth, SECRET, NOW)).toEqual({ ok: false, reason: 'incomplete credentials' });
    expect(verifyRequest({ ...h, authorization: `Basic ${SECRET}` }, SECRET, NOW)).toEqual({ ok: false, reason: 'malformed authorization header' });
    expect(verifyRequest({ ...h, authorization: 'Bearer abc' }, SECRET, NOW)).toEqual({ ok: false, reason: 'malformed authorization header' });
    expect(verifyRequest({ ...h, 'x-hasvc-node': '../etc' }, SECRET, NOW)).toEqual({ ok: false, reason: 'malformed node name' });
    expect(verifyRequest({ ...h, 'x-hasvc-time': '1e9' }, SECRET, NOW)).toEqual({ ok: false, reason: 'malformed time' });
  });
});
