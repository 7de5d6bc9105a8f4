import crypto from 'node:crypto';
import type { NodeKey } from '../../src/daemon/auth.js';
import type { PeerTarget } from '../../src/daemon/client.js';

/** A node key made in memory: a stand-in peer that signs as a node whose key is not on disk. */
export function testKey(): NodeKey {
  const { privateKey } = crypto.generateKeyPairSync('ed25519');
  return { privateKey, publicKey: crypto.createPublicKey(privateKey).export({ format: 'der', type: 'spki' }).toString('base64') };
}

/** Reach node `to` on 127.0.0.1:port as node `node` (its key made here unless given). */
export function peerOn(port: number, o: { readonly node: string; readonly secret: string; readonly to?: string; readonly key?: NodeKey; readonly seal?: boolean }): PeerTarget {
  return { host: '127.0.0.1', port, to: o.to ?? 'node1', node: o.node, secret: o.secret, key: o.key ?? testKey(), ...(o.seal !== undefined ? { seal: o.seal } : {}) };
}
