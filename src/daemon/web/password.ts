import crypto from 'node:crypto';

/**
 * The web operator's password, kept as an scrypt hash in node.conf:
 * `scrypt$<log2 N>$<r>$<p>$<salt base64>$<hash base64>`. The parameters are
 * in the string, so stronger ones later still read the hashes of today.
 */
const LOG_N = 15;
const R = 8;
const P = 1;
const KEY_BYTES = 32;
/** 128 * N * r bytes, with room: N = 2^15, r = 8 needs 32 MiB */
const MAX_MEM = 64 * 1024 * 1024;

function scrypt(password: string, salt: Buffer, logN: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    crypto.scrypt(password.normalize('NFC'), salt, KEY_BYTES, { N: 2 ** logN, r, p, maxmem: MAX_MEM }, (e, key) => (e ? reject(e) : resolve(key)));
  });
}

/** A new hash of `password`, with a random salt. */
export async function hashPassword(password: string): Promise<string> {
  const salt = crypto.randomBytes(16);
  const key = await scrypt(password, salt, LOG_N, R, P);
  return `scrypt$${LOG_N}$${R}$${P}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** Whether `password` is the one hashed; false for a hash this code cannot read. Compared in constant time. */
export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  const m = /^scrypt\$(\d{1,2})\$(\d{1,2})\$(\d{1,2})\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/.exec(hash);
  if (!m) return false;
  const [logN, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  // a hand-edited hash must not make a login cost the daemon its memory or minutes
  if (logN < 10 || logN > 20 || r < 1 || r > 32 || p < 1 || p > 4 || 128 * 2 ** logN * r > MAX_MEM) return false;
  const want = Buffer.from(m[5]!, 'base64');
  if (want.length !== KEY_BYTES) return false;
  const got = await scrypt(password, Buffer.from(m[4]!, 'base64'), logN, r, p);
  return crypto.timingSafeEqual(got, want);
}

/** Compare two secrets in constant time, whatever their lengths (each is hashed first). */
export function sameSecret(a: string, b: string): boolean {
  const h = (s: string) => crypto.createHash('sha256').update(s).digest();
  return crypto.timingSafeEqual(h(a), h(b));
}
