import { beforeAll, describe, expect, test } from '@jest/globals';
import type { ServiceStatusView } from '../../../projections/statusView.js';
import { useTestScope } from '../../support/jest.js';
import { waitFor } from '../../support/wait.js';
import { ensureBuilt, type DaemonNode } from '../daemon/support.js';
import { clusterOfThree } from './support.js';

/** svcmon from the Nodes section on: what every node shows of the cluster (the Threads above are the node's own, `/` marking it). */
async function clusterPart(n: DaemonNode): Promise<string> {
  const r = await n.svcmon();
  if (r.exitCode !== 0) throw new Error(`svcmon on ${n.node}: ${r.stderr}`);
  const lines = r.stdout.split('\n');
  const from = lines.findIndex((l) => l.startsWith('Nodes'));
  const to = lines.findIndex((l) => l.startsWith('Warnings'));
  return lines.slice(from, to < 0 ? undefined : to).join('\n').trimEnd();
}

async function printStatus(n: DaemonNode): Promise<ServiceStatusView> {
  const r = await n.svcmgr(['-s', 'svc1', 'print', 'status', '--format', 'json']);
  if (r.exitCode !== 0) throw new Error(`print status on ${n.node}: ${r.stderr}`);
  const v = JSON.parse(r.stdout) as ServiceStatusView;
  // the local instance is printed last: the same instances in node order
  return { ...v, instances: [...v.instances].sort((a, b) => a.node.localeCompare(b.node)) };
}

describe('three nodes: svcmon and print status read the same on every node', () => {
  const scope = useTestScope();
  beforeAll(() => ensureBuilt(), 240_000);

  test('svc1 (flex, nodes node1 node2 node3) configured on node1 and node2 only: every node shows the same, node3 `not configured` rather than `daemon down`', async () => {
    const { n1, n2, n3, all } = await clusterOfThree(scope(), { interval: 1, timeout: 3 });
    for (const n of [n1, n2]) {
      const r = await n.svcmgr(['-s', 'svc1', 'create', '--kw', 'nodes=node1 node2 node3', '--kw', 'topology=flex']);
      expect(r.exitCode).toBe(0);
    }

    let shown: string[] = [];
    await waitFor('svcmon alike on the three nodes, svc1 with both instances', async () => {
      shown = await Promise.all(all.map(clusterPart)).catch(() => []);
      return shown.length === 3 && shown.every((s) => s === shown[0]) && /^ svc1 .*flex .*\| \S+ +\S+$/m.test(shown[0]!);
    }, 60_000);
    // node3, which has no config of svc1, shows it as the others do: flex, from the configs the log holds
    const svc1 = shown[0]!.split('\n').find((l) => l.startsWith(' svc1 '))!;
    expect(svc1).toMatch(/^ svc1 +\S+ +flex +\| \S+\* +\S+\*$/);

    let views: ServiceStatusView[] = [];
    await waitFor('print status alike on the three nodes', async () => {
      views = await Promise.all(all.map(printStatus)).catch(() => []);
      return views.length === 3 && views.every((v) => JSON.stringify(v) === JSON.stringify(views[0]));
    }, 60_000);
    expect(views[0]!.topology).toBe('flex');
    expect(views[0]!.instances.map((i) => i.node)).toEqual(['node1', 'node2', 'node3']);
    expect(views[0]!.instances[2]).toMatchObject({ node: 'node3', daemonDown: false, notConfigured: true });
    // the tree says so in words on node3 itself
    const tree = (await n3.svcmgr(['-s', 'svc1', 'print', 'status', '--color', 'no'])).stdout;
    expect(tree).toMatch(/^ +`- node3 +n\/a +not configured$/m);
    expect(tree).not.toMatch(/daemon down/);
    for (const n of all) await n.stop();
  }, 420_000);
});
