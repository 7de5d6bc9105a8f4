import fs from 'node:fs';
import { freePort } from '../../../adapters/nats/server.js';
import type { StoredEvent } from '../../../adapters/nats/eventStore.js';
import { loadClusterIdentity } from '../../../src/config/identity.js';
import { loadNodeConfig } from '../../../src/config/nodeConfig.js';
import { trackPid } from '../../support/process.js';
import type { TestScope } from '../../support/scope.js';
import { waitFor } from '../../support/wait.js';
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

export interface ClusterOfThree extends ClusterPair {
  readonly n3: DaemonNode;
  readonly all: readonly DaemonNode[];
  /** node2 or node3 joins through node1, its daemon restarted by the join tracked */
  join(n: DaemonNode): Promise<void>;
}

/**
 * Three nodes on 127.0.0.1, .2 and .3 (clusterPair plus node3), their
 * daemons running, node2 and node3 joined through node1, each hearing both
 * others.
 */
export async function clusterOfThree(scope: TestScope, hb: { timeout?: number; interval?: number } = {}): Promise<ClusterOfThree> {
  const pair = await clusterPair(scope, hb);
  const { n1, n2, listenerPort, hbPort, secret } = pair;
  const n3 = await daemonNode(scope, 'node3');
  fs.appendFileSync(n1.paths.clusterConf, ['', '[peer#node3]', 'addr = 127.0.0.3', ''].join('\n'));
  fs.writeFileSync(n3.paths.nodeConf, ['[nats]', `port = ${n3.natsPort}`, '', '[listener]', 'addr = 127.0.0.3', `port = ${listenerPort}`, '', '[hb#1]', 'type = unicast', 'addr = 127.0.0.3', `port = ${hbPort}`, ''].join('\n'));
  const all = [n1, n2, n3];
  for (const n of all) await n.start();
  const join = async (n: DaemonNode) => {
    const r = await n.nodemgr(['daemon', 'join', '--secret', secret, '--node', 'node1', '--addr', `127.0.0.1:${listenerPort}`]);
    if (r.exitCode !== 0) throw new Error(`daemon join of ${n.node} failed: ${r.stdout}\n${r.stderr}`);
    trackPid(scope, n.daemonPid()!, true);
  };
  await join(n2);
  await join(n3);
  for (const n of all) await waitFor(`${n.node} hears both others`, async () => allPeersUp(n, 3), 30_000);
  return { ...pair, n3, all, join };
}

/** The node's daemon lists `count` nodes and hears every other one. */
export async function allPeersUp(n: DaemonNode, count: number): Promise<boolean> {
  const nodes = (await n.status()).nodes;
  return nodes.length === count && nodes.filter((x) => !x.local).every((x) => x.state === 'up');
}

/** cluster.nodes as the node's config files say now. */
export function membersOf(n: DaemonNode): readonly string[] {
  return loadNodeConfig(n.paths, n.env).cluster.nodes;
}

/**
 * Every origin's events the same, in the same order, on each of the nodes,
 * each once. Several servers read at once on a loaded machine: a read that
 * times out is read again.
 */
export async function logsAlike(nodes: readonly DaemonNode[], origins: readonly string[]): Promise<boolean> {
  const logs = await Promise.all(nodes.map((n) => n.events())).catch(() => undefined);
  if (!logs) return false;
  for (const log of logs) {
    const ids = log.map((e) => e.event.id);
    if (new Set(ids).size !== ids.length) return false;
  }
  return origins.every((o) => {
    const ids = JSON.stringify(idsOf(logs[0]!, o));
    return idsOf(logs[0]!, o).length > 0 && logs.every((l) => JSON.stringify(idsOf(l, o)) === ids);
  });
}
