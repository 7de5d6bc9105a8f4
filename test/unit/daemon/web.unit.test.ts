import { describe, expect, it } from '@jest/globals';
import type { StoredEvent } from '../../../adapters/nats/eventStore.js';
import { checkNodeConfig } from '../../../domain/config/node.js';
import { credentialKeywords } from '../../../domain/config/credentials.js';
import { parseDocument } from '../../../domain/config/document.js';
import { hashPassword, sameSecret, verifyPassword } from '../../../src/daemon/web/password.js';
import { eventFilter } from '../../../src/daemon/web/routes.js';
import { IDLE_MS, LoginThrottle, MAX_AGE_MS, Sessions } from '../../../src/daemon/web/sessions.js';

const clock = (t0 = 1_000_000) => {
  let t = t0;
  return { now: () => t, advance: (ms: number) => (t += ms) };
};

describe('web operator password (scrypt)', () => {
  it('verifies the password hashed, refuses any other, and a hash it cannot read', async () => {
    const h = await hashPassword('correct horse battery staple');
    expect(h).toMatch(/^scrypt\$15\$8\$1\$[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{44}$/);
    expect(await hashPassword('correct horse battery staple')).not.toBe(h);
    expect(await verifyPassword('correct horse battery staple', h)).toBe(true);
    expect(await verifyPassword('correct horse battery stapl', h)).toBe(false);
    expect(await verifyPassword('', h)).toBe(false);
    // parameters that would cost the daemon its memory are not tried
    expect(await verifyPassword('x', h.replace('scrypt$15$', 'scrypt$30$'))).toBe(false);
    expect(await verifyPassword('x', 'plain text')).toBe(false);
  });

  it('compares tokens of any length in constant time', () => {
    expect(sameSecret('abc', 'abc')).toBe(true);
    expect(sameSecret('abc', 'abcd')).toBe(false);
    expect(sameSecret('', 'x')).toBe(false);
  });
});

describe('web sessions', () => {
  const conf = { user: 'admin', password: 'scrypt$15$8$1$AAAA$BBBB' };

  it('a session lives while used, ends after IDLE_MS idle, MAX_AGE_MS after login, at logout', () => {
    const c = clock();
    const s = new Sessions(c.now);
    const { id, session } = s.open('admin', conf.password);
    expect(s.get(id, conf)).toBe(session);
    expect(s.get(`${id}x`, conf)).toBeUndefined();
    expect(s.get(undefined, conf)).toBeUndefined();
    c.advance(IDLE_MS - 1);
    expect(s.get(id, conf)).toBe(session);
    c.advance(IDLE_MS + 1);
    expect(s.get(id, conf)).toBeUndefined();

    // used every half idle period: alive until MAX_AGE_MS after the login, not after
    const b = s.open('admin', conf.password);
    for (let age = IDLE_MS / 2; age <= MAX_AGE_MS; age += IDLE_MS / 2) {
      c.advance(IDLE_MS / 2);
      expect(s.get(b.id, conf)).toBeDefined();
    }
    c.advance(IDLE_MS / 2);
    expect(s.get(b.id, conf)).toBeUndefined();

    const d = s.open('admin', conf.password);
    s.close(d.id);
    expect(s.get(d.id, conf)).toBeUndefined();
  });

  it('a new password or another operator ends the sessions opened before', () => {
    const s = new Sessions(clock().now);
    const { id } = s.open('admin', conf.password);
    expect(s.get(id, { ...conf, password: 'scrypt$15$8$1$CCCC$DDDD' })).toBeUndefined();
    const b = s.open('admin', conf.password);
    expect(s.get(b.id, { ...conf, user: 'root' })).toBeUndefined();
    const c = s.open('admin', conf.password);
    expect(s.get(c.id, { ...conf, password: undefined })).toBeUndefined();
  });

  it('ids and CSRF tokens are random and distinct', () => {
    const s = new Sessions(clock().now);
    const a = s.open('admin', conf.password);
    const b = s.open('admin', conf.password);
    expect(a.id).not.toBe(b.id);
    expect(a.session.csrf).not.toBe(b.session.csrf);
    expect(a.id).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});

describe('login throttle', () => {
  it('after 5 failures in a minute an address waits for the minute to end; others are not held', () => {
    const c = clock();
    const t = new LoginThrottle(c.now);
    for (let i = 0; i < LoginThrottle.FAILS_ALLOWED - 1; i++) t.failed('10.0.0.1');
    expect(t.waitMs('10.0.0.1')).toBe(0);
    t.failed('10.0.0.1');
    expect(t.waitMs('10.0.0.1')).toBe(LoginThrottle.WINDOW_MS);
    expect(t.waitMs('10.0.0.2')).toBe(0);
    c.advance(LoginThrottle.WINDOW_MS - 1000);
    expect(t.waitMs('10.0.0.1')).toBe(1000);
    c.advance(1000);
    expect(t.waitMs('10.0.0.1')).toBe(0);
    t.failed('10.0.0.2');
    t.succeeded('10.0.0.2');
    expect(t.waitMs('10.0.0.2')).toBe(0);
  });
});

describe('the event stream filters', () => {
  const ev = (streamSeq: number, type: string, origin: string, svc?: string) => ({ streamSeq, event: { type, origin, ...(svc ? { svc } : {}) } }) as unknown as StoredEvent;
  const events = [ev(1, 'DaemonStarted', 'node1'), ev(2, 'InstanceFrozen', 'node1', 'svc1'), ev(3, 'InstanceFrozen', 'node2', 'svc1'), ev(4, 'ActionStarted', 'node2', 'svc2')];
  const seqs = (q: string) => events.filter(eventFilter(new URLSearchParams(q))).map((e) => e.streamSeq);

  it('by service, node (the origin) and types, each empty matching all', () => {
    expect(seqs('')).toEqual([1, 2, 3, 4]);
    expect(seqs('svc=svc1')).toEqual([2, 3]);
    expect(seqs('node=node2')).toEqual([3, 4]);
    expect(seqs('type=InstanceFrozen,ActionStarted&node=node2')).toEqual([3, 4]);
    expect(seqs('type= DaemonStarted ,&svc=')).toEqual([1]);
  });
});

describe('[web] and [metrics] in node.conf', () => {
  const conf = (node: string) => checkNodeConfig({ node: { text: node, file: '/etc/opensvc/node.conf' }, cluster: { text: '', file: '/etc/opensvc/cluster.conf' } }, 'node1');

  it('off by default; read when set', () => {
    const d = conf('');
    expect(d.ok && { web: d.config.web, metrics: d.config.metrics }).toEqual({ web: { enable: false, public: true, user: undefined, password: undefined }, metrics: { token: undefined } });
    const s = conf('[web]\nenable = true\npublic = false\nuser = admin\npassword = scrypt$15$8$1$5Sn+5eZSC+kWgn81UQuiPQ==$ZRvKittW15euzgSyTc+m/0tPBHaiXayV2uoGz7nnbbA=\n[metrics]\ntoken = 0123456789abcdef0123456789abcdef\n');
    expect(s.ok && s.config.web).toEqual({ enable: true, public: false, user: 'admin', password: 'scrypt$15$8$1$5Sn+5eZSC+kWgn81UQuiPQ==$ZRvKittW15euzgSyTc+m/0tPBHaiXayV2uoGz7nnbbA=' });
    expect(s.ok && s.config.metrics.token).toBe('0123456789abcdef0123456789abcdef');
  });

  it('a password in clear or a short token is refused, without quoting it', () => {
    const r = conf('[web]\npassword = hunter2hunter2\n[metrics]\ntoken = short\n');
    expect(r.ok).toBe(false);
    const problems = r.ok ? [] : r.problems;
    expect(problems).toHaveLength(2);
    expect(problems.join('\n')).toContain('nodemgr web password');
    expect(problems.join('\n')).not.toContain('hunter2');
    expect(problems.join('\n')).not.toContain('short');
  });

  it('the token and the password hash are credentials: node.conf holding them is for root only', () => {
    const doc = parseDocument('[web]\nuser = admin\npassword = scrypt$15$8$1$AAAA$BBBB\n[metrics]\ntoken = 0123456789abcdef0123456789abcdef\n', '/etc/opensvc/node.conf', { echo: false });
    expect(doc.ok && credentialKeywords(doc.doc)).toEqual(['web.password', 'metrics.token']);
  });
});
