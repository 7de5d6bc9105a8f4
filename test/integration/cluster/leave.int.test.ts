import { beforeAll, describe, expect, test } from '@jest/globals';
import { useTestScope } from '../../support/jest.js';
import { waitFor } from '../../support/wait.js';
import { ensureBuilt, eventsOf, type DaemonNode } from '../daemon/support.js';
import { allPeersUp, clusterOfThree, logsAlike, membersOf } from './support.js';

const same = (a: readonly string[], b: readonly string[]) => JSON.stringify([...a].sort()) === JSON.stringify([...b].sort());
const frozen = async (n: DaemonNode) => (await n.status()).nodes.find((x) => x.local)?.frozen === true;

/** Membership follows the log both ways: a node leaving or removed is taken out of every node, and a node that left joins again. */
describe('three nodes: leave, rejoin, removal reach every node through the log', () => {
  const scope = useTestScope();
  beforeAll(() => ensureBuilt(), 240_000);

  test('node3 leaves (node1 and node2 take it out, node3 alone and frozen), joins again (thawed, logs alike), then node1 removes it by hand (node2 and node3 hear of it)', async () => {
    const { n1, n2, n3, all, join } = await clusterOfThree(scope(), { interval: 1, timeout: 3 });

    // leave: node3 tells both others before it goes
    const left = await n3.nodemgr(['daemon', 'leave']);
    expect(left.exitCode).toBe(0);
    expect(left.stdout).toMatch(/^node3 +told node1, node2$/m);
    expect(left.stderr).toBe('');
    expect(membersOf(n3)).toEqual(['node3']);
    expect(await frozen(n3)).toBe(true);
    for (const n of [n1, n2]) {
      await waitFor(`${n.node} takes node3 out of cluster.nodes`, () => same(membersOf(n), ['node1', 'node2']), 20_000);
      await waitFor(`${n.node}'s svcmon lists node1 and node2 up`, () => allPeersUp(n, 2), 20_000);
      expect(eventsOf(await n.events(), 'NodeLeft').map((e) => [e.origin, e.data])).toEqual([['node3', { node: 'node3' }]]);
    }
    expect((await n3.status()).nodes.map((x) => x.name)).toEqual(['node3']);
    // alone, a second leave has nothing to leave
    const again = await n3.nodemgr(['daemon', 'leave']);
    expect(again.exitCode).not.toBe(0);
    expect(again.stderr.trim()).toBe('daemon leave: node3 is a cluster of its own: there is nothing to leave');

    // rejoin through node1: node2 learns it from node1's log, node3 is thawed, every log ends alike
    await join(n3);
    for (const n of all) await waitFor(`${n.node} hears both others again`, () => allPeersUp(n, 3), 30_000);
    expect(await frozen(n3)).toBe(false);
    await waitFor('every origin\'s events alike on the three nodes after the rejoin', () => logsAlike(all, ['node1', 'node2', 'node3']), 30_000);

    // removal by an operator on node1: NodeRemoved reaches node2, and node3 in node1's last beats
    const removed = await n1.nodemgr(['set', '--kw', 'cluster.nodes-=node3']);
    expect(removed.exitCode).toBe(0);
    expect(same(membersOf(n1), ['node1', 'node2'])).toBe(true);
    await waitFor('node2 takes node3 out of cluster.nodes', () => same(membersOf(n2), ['node1', 'node2']), 20_000);
    await waitFor('node3 hears it was removed: a cluster of its own', () => same(membersOf(n3), ['node3']), 20_000);
    await waitFor('node3 frozen', () => frozen(n3), 20_000);
    for (const n of all) {
      const events = eventsOf(await n.events(), 'NodeRemoved');
      expect(events.map((e) => [e.origin, e.data])).toEqual([['node1', { node: 'node3' }]]);
    }
    for (const n of [n1, n2]) await waitFor(`${n.node} lists node1 and node2 up`, () => allPeersUp(n, 2), 20_000);
    await waitFor('node1\'s and node2\'s events alike on both', () => logsAlike([n1, n2], ['node1', 'node2']), 30_000);
    for (const n of all) await n.stop();
  }, 420_000);
});
