import fs from 'node:fs';
import { loadClusterIdentity, nodename } from '../config/identity.js';
import { loadNodeConfig } from '../config/nodeConfig.js';
import { loadNodeKey } from '../config/nodeKeys.js';
import type { PeerTarget } from '../daemon/client.js';
import type { NodePaths } from '../paths.js';

/**
 * Where a peer's listener is: [peer#<node>] addr and port in cluster.conf
 * (or node.conf) when set; otherwise the node name as the system resolves
 * it (DNS, /etc/hosts: the lab's way), on this node's listener port, since
 * the nodes of a cluster listen on the same port (1214 by default).
 */
export function peerAddress(p: NodePaths, env: NodeJS.ProcessEnv, peer: string): { readonly host: string; readonly port: number } {
  const conf = loadNodeConfig(p, env);
  const s = conf.sections[`peer#${peer}`] ?? {};
  const host = typeof s.addr === 'string' && s.addr !== '' ? s.addr : peer;
  const port = typeof s.port === 'number' ? s.port : conf.listener.port;
  return { host, port };
}

/** What peerRequest needs to reach and sign for `peer`. */
export function peerTarget(p: NodePaths, env: NodeJS.ProcessEnv, peer: string): PeerTarget & { readonly peer: string } {
  const { tls, seal } = loadNodeConfig(p, env).listener;
  return {
    ...peerAddress(p, env, peer),
    to: peer,
    node: nodename(env),
    secret: loadClusterIdentity(p).secret,
    key: loadNodeKey(p),
    seal,
    peer,
    // the nodes of a cluster all speak HTTPS when this one does
    ...(tls ? { tls: { ca: tls.ca !== undefined ? fs.readFileSync(tls.ca, 'utf8') : undefined } } : {}),
  };
}
