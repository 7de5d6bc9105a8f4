import fs from 'node:fs';
import { beforeAll, describe, expect, test } from '@jest/globals';
import { loadNodeConfig } from '../../../src/config/nodeConfig.js';
import { loadNodeKey, PeerKeys } from '../../../src/config/nodeKeys.js';
import { useTestScope } from '../../support/jest.js';
import { trackPid } from '../../support/process.js';
import { waitFor } from '../../support/wait.js';
import { daemonNode, ensureBuilt, eventsOf, type DaemonNode } from '../daemon/support.js';
import { clusterPair, idsOf } from './support.js';

/** Membership follows the log: a node joining through node1 becomes a member of node2 too, without anyone editing node2. */
describe('three nodes: a join reaches every member through the log', () => {
  const scope = useTestScope();
  beforeAll(() => ensureBuilt(), 240_000);

  test('node2 and node3 join through node1: node2 learns node3 (cluster.nodes, its key), all beat each other, logs identical', async () => {
    const { n1, n2, listenerPort, hbPort, secret } = await clusterPair(scope(), { interval: 1, timeout: 3 });
    const n3 = await daemonNode(scope(), 'node3');
    fs.appendFileSync(n1.paths.clusterConf, ['', '[peer#node3]', 'addr = 127.0.0.3', ''].join('\n'));
    fs.writeFileSync(n3.paths.nodeConf, ['[nats]', `port = ${n3.natsPort}`, '', '[listener]', 'addr = 127.0.0.3', `port = ${listenerPort}`, '', '[hb#1]', 'type = unicast', 'addr = 127.0.0.3', `port = ${hbPort}`, ''].join('\n'));
    await n1.start();
    await n2.start();
    await n3.start();
    const join = async (n: DaemonNode) => {
      expect((await n.nodemgr(['daemon', 'join', '--secret', secret, '--node', 'node1', '--addr', `127.0.0.1:${listenerPort}`])).exitCode).toBe(0);
      trackPid(scope(), n.daemonPid()!, true);
    };
    await join(n2);
    await join(n3);

    // node2 never heard of node3 from anyone but node1's log
    await waitFor('node2 lists node3 in cluster.nodes', () => loadNodeConfig(n2.paths, n2.env).cluster.nodes.includes('node3'), 20_000);
    expect(new PeerKeys(n2.paths).get('node3')).toBe(loadNodeKey(n3.paths).publicKey);
    const all = [n1, n2, n3];
    for (const n of all) {
      await waitFor(`${n.node} hears both others`, async () => (await n.status()).nodes.filter((x) => !x.local).every((x) => x.state === 'up'), 20_000);
    }
    const pinned = eventsOf(await n2.events(), 'NodeKeyPinned').flatMap((e) => (e.type === 'NodeKeyPinned' && e.origin === 'node2' ? [e.data] : []));
    // learned from node1's NodeJoined, or from node3's first beat when that came first: the same key either way (checked above)
    expect(pinned.filter((p) => p.node === 'node3').map((p) => p.by)).toEqual([expect.stringMatching(/^(join through node1|first contact)$/)]);
    // every node's log ends with the same events of every origin, once each
    for (const origin of ['node1', 'node2', 'node3']) {
      await waitFor(`${origin}'s events the same on every node`, async () => {
        // three servers read at once on a loaded machine: a read that times out is read again
        const logs = await Promise.all(all.map((n) => n.events())).catch(() => undefined);
        if (!logs) return false;
        const [a, b, c] = logs;
        const ids = idsOf(a!, origin);
        return ids.length > 0 && JSON.stringify(idsOf(b!, origin)) === JSON.stringify(ids) && JSON.stringify(idsOf(c!, origin)) === JSON.stringify(ids);
      }, 20_000);
    }
    for (const n of all) {
      const ids = (await n.events()).map((e) => e.event.id);
      expect(new Set(ids).size).toBe(ids.length);
    }
    for (const n of all) await n.stop();
  }, 180_000);
});
