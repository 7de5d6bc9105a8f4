import crypto from 'node:crypto';

/** An operator logged in to the web view. */
export interface Session {
  readonly user: string;
  /** sent back by the page in X-Hasvc-Csrf on every POST */
  readonly csrf: string;
  /** a digest of the password hash it was opened with: a new password ends it */
  readonly passwordTag: string;
  readonly createdAt: number;
  lastSeen: number;
}

export const IDLE_MS = 30 * 60_000;
export const MAX_AGE_MS = 12 * 3600_000;
const MAX_SESSIONS = 64;

const digest = (s: string) => crypto.createHash('sha256').update(s).digest('base64url');

/** What a session is bound to of the configured password: its hash, digested again. */
export function passwordTag(passwordHash: string): string {
  return digest(`hasvc-web-password:${passwordHash}`);
}

/**
 * Sessions in memory: a daemon restart logs everyone out. The cookie holds
 * a random id; the table is keyed by its digest, so neither a lookup's time
 * nor a dump of the table gives an id away. A session ends after IDLE_MS
 * without a request, MAX_AGE_MS after login, at logout, or when the
 * password it was opened with is no longer the configured one.
 */
export class Sessions {
  private readonly byDigest = new Map<string, Session>();

  constructor(private readonly now: () => number = Date.now) {}

  open(user: string, passwordHash: string): { readonly id: string; readonly session: Session } {
    this.sweep();
    if (this.byDigest.size >= MAX_SESSIONS) {
      const oldest = [...this.byDigest.entries()].sort((a, b) => a[1].lastSeen - b[1].lastSeen)[0];
      if (oldest) this.byDigest.delete(oldest[0]);
    }
    const id = crypto.randomBytes(32).toString('base64url');
    const t = this.now();
    const session: Session = { user, csrf: crypto.randomBytes(24).toString('base64url'), passwordTag: passwordTag(passwordHash), createdAt: t, lastSeen: t };
    this.byDigest.set(digest(id), session);
    return { id, session };
  }

  /** The live session of a cookie id, its idle clock restarted; undefined when none, expired, or its password changed. */
  get(id: string | undefined, config: { readonly user: string | undefined; readonly password: string | undefined }): Session | undefined {
    if (id === undefined || id.length > 100) return undefined;
    const key = digest(id);
    const s = this.byDigest.get(key);
    if (!s) return undefined;
    const t = this.now();
    const valid = t - s.lastSeen <= IDLE_MS && t - s.createdAt <= MAX_AGE_MS && config.user === s.user && config.password !== undefined && passwordTag(config.password) === s.passwordTag;
    if (!valid) {
      this.byDigest.delete(key);
      return undefined;
    }
    s.lastSeen = t;
    return s;
  }

  close(id: string | undefined): void {
    if (id !== undefined) this.byDigest.delete(digest(id));
  }

  get size(): number {
    return this.byDigest.size;
  }

  private sweep(): void {
    const t = this.now();
    for (const [k, s] of this.byDigest) if (t - s.lastSeen > IDLE_MS || t - s.createdAt > MAX_AGE_MS) this.byDigest.delete(k);
  }
}

/**
 * Failed logins per client address: after FAILS_ALLOWED in a window, the
 * address waits for the window to end. scrypt makes each guess cost; this
 * bounds how many a client gets.
 */
export class LoginThrottle {
  private readonly fails = new Map<string, { count: number; since: number }>();
  static readonly FAILS_ALLOWED = 5;
  static readonly WINDOW_MS = 60_000;

  constructor(private readonly now: () => number = Date.now) {}

  /** ms to wait before this address may try again, 0 when it may */
  waitMs(addr: string): number {
    const f = this.fails.get(addr);
    if (!f) return 0;
    const left = f.since + LoginThrottle.WINDOW_MS - this.now();
    if (left <= 0) {
      this.fails.delete(addr);
      return 0;
    }
    return f.count >= LoginThrottle.FAILS_ALLOWED ? left : 0;
  }

  failed(addr: string): void {
    if (this.fails.size > 10_000) this.fails.clear();
    const f = this.fails.get(addr);
    if (!f || this.now() - f.since > LoginThrottle.WINDOW_MS) this.fails.set(addr, { count: 1, since: this.now() });
    else f.count++;
  }

  succeeded(addr: string): void {
    this.fails.delete(addr);
  }
}
