import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { nkeys } from '@nats-io/transport-node';
import { UnavailableError } from '../../domain/errors.js';

/**
 * The embedded server's users authenticate with nkeys: the server sends a
 * random nonce, the client answers with its public key and a signature of
 * that nonce. Nothing sent can be replayed, so whoever listens on the port
 * in the server's place (a squatter while the daemon is down) learns nothing
 * that opens the real server.
 *
 * Two users, each with its seed in a file of its own in the nats dir:
 *   writer.nk  the daemon and root's CLI: appends, creates the streams
 *   reader.nk  external consumers: reads the streams, writes nothing
 * The seeds are 0600 (root); reader.nk is the one an operator hands out.
 */
export const WRITER_SEED_FILE = 'writer.nk';
export const READER_SEED_FILE = 'reader.nk';

/**
 * Reply subjects of the writer's connections. The reader may subscribe to
 * `_INBOX.>` only, so it never sees the writer's replies nor learns their
 * subjects, and cannot aim a consumer's deliveries at them.
 */
export const WRITER_INBOX_PREFIX = '_INBOX_HASVC';

/** Where the password of the embedded server was kept before nkeys. */
const PASSWORD_FILE = 'credentials.json';

export interface NatsUserKeys {
  /** public keys (`U...`), what the server config names */
  readonly writer: string;
  readonly reader: string;
  /** an old password file was found and removed */
  readonly removedPassword: boolean;
}

export function seedFile(dir: string, user: 'writer' | 'reader'): string {
  return path.join(dir, user === 'writer' ? WRITER_SEED_FILE : READER_SEED_FILE);
}

/** A user seed from its file; undefined when the file does not exist. */
export function readSeed(file: string): Uint8Array | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'EACCES') throw new UnavailableError(`${file}: permission denied: the NATS keys are root's`, { cause: e });
    throw new UnavailableError(`cannot read ${file}: ${(e as Error).message}`, { cause: e });
  }
  const seed = new TextEncoder().encode(text.trim());
  try {
    if (nkeys.fromSeed(seed).getPublicKey().startsWith('U')) return seed;
  } catch {
    // reported below
  }
  throw new UnavailableError(`${file}: not an nkey user seed (a line starting with SU): remove it, the daemon makes a new one on start`);
}

function publicKeyOf(seed: Uint8Array): string {
  return nkeys.fromSeed(seed).getPublicKey();
}

/** Create a seed file unless one is there: 0600 from the start, linked in place so two racing creators agree on one. */
function ensureSeed(file: string): Uint8Array {
  const existing = readSeed(file);
  if (existing) return existing;
  const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
  const seed = nkeys.createUser().getSeed();
  try {
    // no newline: the file's bytes are the seed, as nkeyAuthenticator() takes it
    fs.writeFileSync(tmp, seed, { mode: 0o600, flag: 'wx' });
    fs.linkSync(tmp, file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  return readSeed(file)!;
}

/**
 * The users' keys, seeds created on first start. The writer's seed is kept
 * 0600 on every start; the reader's is left as the operator set it (they may
 * give a group read access to hand it out).
 *
 * Upgrade from the password: installs before nkeys had one user with a
 * password, kept in credentials.json and written into the server config,
 * that could publish. On the first start after the upgrade the seeds are
 * created, the config is rendered with the nkey users only (so that password
 * no longer opens the server) and credentials.json is removed. Consumers
 * that used the password URL switch to reader.nk (docs/nats.md).
 */
export function provisionNkeys(dir: string): NatsUserKeys {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const writer = ensureSeed(seedFile(dir, 'writer'));
  fs.chmodSync(seedFile(dir, 'writer'), 0o600);
  const reader = ensureSeed(seedFile(dir, 'reader'));
  const old = path.join(dir, PASSWORD_FILE);
  const removedPassword = fs.existsSync(old);
  if (removedPassword) fs.rmSync(old, { force: true });
  return { writer: publicKeyOf(writer), reader: publicKeyOf(reader), removedPassword };
}
