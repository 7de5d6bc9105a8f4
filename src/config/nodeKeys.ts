import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { NODE_RE } from '../../domain/events.js';
import { nodeSignatureValid, type Claim, type NodeKey, type Verdict } from '../daemon/auth.js';
import type { NodePaths } from '../paths.js';
import { writeFileAtomic } from './atomicWrite.js';

/**
 * Each node's own Ed25519 key (`<etc>/node.key`, 0600, made on first use)
 * and the public keys of its peers (`<etc>/keys/<node>.pub`), pinned when
 * they join (both sides exchange keys in the join) or, for a node that was
 * added by hand to cluster.nodes, at its first request signed with the
 * cluster secret. A request whose key differs from the pinned one is
 * refused: holding the cluster secret is not enough to speak as another node.
 */
export function nodeKeyFile(p: NodePaths): string {
  return path.join(p.etc, 'node.key');
}

export function peerKeysDir(p: NodePaths): string {
  return path.join(p.etc, 'keys');
}

function publicOf(k: crypto.KeyObject): string {
  return crypto.createPublicKey(k).export({ format: 'der', type: 'spki' }).toString('base64');
}

/** This node's key pair, generated the first time (two racing first uses agree: exclusive create). */
export function loadNodeKey(p: NodePaths): NodeKey {
  const file = nodeKeyFile(p);
  for (let attempt = 0; ; attempt++) {
    try {
      const privateKey = crypto.createPrivateKey(fs.readFileSync(file, 'utf8'));
      return { privateKey, publicKey: publicOf(privateKey) };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || attempt > 2) throw e;
    }
    const { privateKey } = crypto.generateKeyPairSync('ed25519');
    try {
      writeFileAtomic(file, privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), { forceMode: 0o600, exclusive: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}

/** A short, readable form of a public key for logs and events. */
export function keyFingerprint(publicKey: string): string {
  return `SHA256:${crypto.createHash('sha256').update(Buffer.from(publicKey, 'base64')).digest('base64').replace(/=+$/, '')}`;
}

export type PeerCheck = { readonly pinned: boolean };

export class PeerKeys {
  constructor(private readonly p: NodePaths) {}

  get(node: string): string | undefined {
    if (!NODE_RE.test(node)) return undefined;
    try {
      return fs.readFileSync(path.join(peerKeysDir(this.p), `${node}.pub`), 'utf8').trim();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  /** Pin (or replace, at a join signed with the secret) a node's public key. */
  pin(node: string, publicKey: string): void {
    if (!NODE_RE.test(node)) throw new Error(`not a node name: ${JSON.stringify(node)}`);
    crypto.createPublicKey({ key: Buffer.from(publicKey, 'base64'), format: 'der', type: 'spki' });
    const dir = peerKeysDir(this.p);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileAtomic(path.join(dir, `${node}.pub`), `${publicKey}\n`, { forceMode: 0o600 });
  }

  all(): Record<string, string> {
    const out: Record<string, string> = {};
    let names: string[] = [];
    try {
      names = fs.readdirSync(peerKeysDir(this.p));
    } catch {
      return out;
    }
    for (const f of names) {
      const m = /^(.+)\.pub$/.exec(f);
      const k = m ? this.get(m[1]!) : undefined;
      if (m && k) out[m[1]!] = k;
    }
    return out;
  }

  /**
   * The request's node signature against the key pinned for its sender; a
   * sender with no key pinned yet has the key it presents pinned now
   * (`pinned: true`: the caller records it).
   */
  check(c: Claim): Verdict<PeerCheck> {
    const node = c.line.from;
    const have = this.get(node);
    if (have !== undefined) {
      if (!nodeSignatureValid(c, have)) return { ok: false, reason: `node signature does not match the key pinned for ${node} (re-join the node if it was reinstalled)` };
      return { ok: true, value: { pinned: false } };
    }
    if (!nodeSignatureValid(c, c.key)) return { ok: false, reason: 'bad node signature' };
    this.pin(node, c.key);
    return { ok: true, value: { pinned: true } };
  }
}
