import type { NodeConfig } from '../../../domain/config/node.js';

export interface PeerAddress {
  readonly host: string;
  /** the peer's listener port */
  readonly listenerPort: number;
}

/**
 * Where a peer is reached: `[peer#<node>] addr` and `port` (cluster.conf)
 * when set, else the node name as resolved (DNS, /etc/hosts) on this
 * node's own listener port: every node of a cluster listens on the same one.
 * Heartbeats go to the same host, on the hb section's port.
 */
export function peerAddress(conf: NodeConfig, node: string): PeerAddress {
  const s = conf.sections[`peer#${node}`] ?? {};
  const host = typeof s.addr === 'string' && s.addr !== '' ? s.addr : node;
  const listenerPort = typeof s.port === 'number' ? s.port : conf.listener.port;
  return { host, listenerPort };
}

/** `host[:port]` as given to `daemon join --addr`. */
export function parseHostPort(text: string, defaultPort: number): { host: string; port: number } | undefined {
  const m = /^(\[[0-9a-fA-F:]+\]|[^:\s]+)(?::(\d{1,5}))?$/.exec(text.trim());
  if (!m) return undefined;
  const port = m[2] === undefined ? defaultPort : Number(m[2]);
  if (port < 1 || port > 65535) return undefined;
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port };
}
