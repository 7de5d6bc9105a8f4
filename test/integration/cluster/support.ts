import fs from 'node:fs';
import { freePort } from '../../../adapters/nats/server.js';
import type { StoredEvent } from '../../../adapters/nats/eventStore.js';
import { loadClusterIdentity } from '../../../src/config/identity.js';
import type { TestScope } from '../../support/scope.js';
import { daemonNode, type DaemonNode } from '../daemon/support.js';

export interface ClusterPair {
  readonly n1: DaemonNode;
  readonly n2: DaemonNode;
  /** the listener port, the same on both nodes as in a real cluster */
  readonly listenerPort: number;
  readonly hbPort: number;
  /** node1's cluster secret */
  readonly secret: string;
}

/**
 * Two nodes on this machine, each in its own temp OSVC_ROOT, told apart by
 * their loopback address as two hosts would be by theirs: node1 on
 * 127.0.0.1, node2 on 127.0.0.2, same listener and heartbeat ports.
 * node1's cluster.conf has hb#1 (unicast) and the `[peer#<node>] addr` of
 * both nodes (nodes that do not resolve each other by name), which the join
 * copies to node2. Each node's own hb#1 bind address is in its node.conf.
 */
export async function clusterPair(scope: TestScope, hb: { timeout?: number; interval?: number } = {}): Promise<ClusterPair> {
  const n1 = await daemonNode(scope, 'node1');
  const n2 = await daemonNode(scope, 'node2');
  const listenerPort = n1.listenerPort;
  const hbPort = await freePort();
  const { secret } = loadClusterIdentity(n1.paths);
  const hbKw = [`port = ${hbPort}`, ...(hb.timeout ? [`timeout = ${hb.timeout}`] : []), ...(hb.interval ? [`interval = ${hb.interval}`] : [])];
  fs.appendFileSync(n1.paths.clusterConf, ['', '[hb#1]', 'type = unicast', ...hbKw, '', '[peer#node1]', 'addr = 127.0.0.1', '', '[peer#node2]', 'addr = 127.0.0.2', ''].join('\n'));
  fs.appendFileSync(n1.paths.nodeConf, ['', '[hb#1]', 'addr = 127.0.0.1', ''].join('\n'));
  // node2 before the join: a cluster of its own; its hb#1 bind address already set for when it has one
  fs.writeFileSync(n2.paths.nodeConf, ['[nats]', `port = ${n2.natsPort}`, '', '[listener]', 'addr = 127.0.0.2', `port = ${listenerPort}`, '', '[hb#1]', 'type = unicast', 'addr = 127.0.0.2', `port = ${hbPort}`, ''].join('\n'));
  return { n1, n2, listenerPort, hbPort, secret };
}

/** Ids of a node's stream, of one origin, in stream order. */
export function idsOf(all: readonly StoredEvent[], origin: string): string[] {
  return all.filter((e) => e.event.origin === origin).map((e) => e.event.id);
}
