import { describe, expect, it } from '@jest/globals';
import { painter } from '../../../src/cli/color.js';
import { columnBlocks, columnWidths, renderSvcmon } from '../../../src/cli/svcmon/render.js';
import type { DaemonStatus, InstanceSummary } from '../../../src/daemon/readModel.js';

const plain = painter('no', false);

/** A cluster of `n` nodes seen from node1, hb#1 beating to all, svc1 up on node1 and svc2 flex on every node. */
function cluster(n: number): DaemonStatus {
  const nodes = Array.from({ length: n }, (_v, i) => `node${i + 1}`);
  const inst = (node: string, avail: InstanceSummary['avail']): InstanceSummary => ({ node, avail, overall: avail, frozen: false, monitorState: 'idle', expect: undefined });
  return {
    node: 'node1',
    cluster: 'c1',
    pid: 1,
    version: '0.1.0',
    lastSeq: 1,
    threads: [
      { name: 'listener', state: 'running', address: '0.0.0.0:1214' },
      { name: 'hb#1.rx', state: 'running', address: '0.0.0.0:10000', peers: Object.fromEntries(nodes.map((x) => [x, x === 'node1' ? '/' : 'O'])) },
    ],
    jobs: [],
    nodes: nodes.map((name) => ({ name, load15m: 0.2, frozen: name === 'node3', local: name === 'node1', ...(name === 'node1' ? {} : { state: 'up' as const }) })),
    services: [
      { name: 'svc1', topology: 'failover', orchestrate: 'ha', avail: 'up', overall: 'up', frozen: 'thawed', nodes, instances: nodes.map((x) => inst(x, x === 'node1' ? 'up' : 'down')) },
      { name: 'svc2', topology: 'flex', orchestrate: 'ha', avail: 'up', overall: 'up', frozen: 'thawed', nodes, instances: nodes.map((x) => inst(x, 'up')) },
    ],
  };
}

/** Which node each cell of a line sits under: the header's node names by column. */
function cellsUnder(header: string, line: string): Record<string, string> {
  const out: Record<string, string> = {};
  const names = [...header.matchAll(/node\d+/g)];
  names.forEach((m, i) => {
    const end = names[i + 1]?.index ?? line.length;
    out[m[0]] = line.slice(m.index, end).trim();
  });
  return out;
}

describe('svcmon layout for many nodes', () => {
  it('3 nodes on 80 columns: the tutorial\'s columns, one block', () => {
    const lines = renderSvcmon(cluster(3), plain, { width: 80 });
    expect(lines[0]).toBe('Threads                            node1 node2 node3');
    expect(lines.filter((l) => l.startsWith('Services'))).toHaveLength(1);
    expect(lines).toContain(' svc1      up      failover      | O     X     X');
  });

  it('8 nodes on 80 columns: two blocks of 4, each line within the width, every cell under its node', () => {
    const lines = renderSvcmon(cluster(8), plain, { width: 80 });
    const headers = lines.filter((l) => l.startsWith('Services'));
    expect(headers).toEqual(['Services                           node1 node2 node3 node4', 'Services                           node5 node6 node7 node8']);
    // a thread of this node alone is said once; the heartbeat, with its cells, in each block
    expect(lines.filter((l) => l.startsWith(' listener'))).toHaveLength(1);
    expect(lines.filter((l) => l.startsWith(' hb#1.rx'))).toHaveLength(2);
    for (const l of lines.filter((x) => x.includes('|'))) expect(l.length).toBeLessThanOrEqual(80);
    const svc1 = lines.filter((l) => l.startsWith(' svc1 '));
    expect(cellsUnder(headers[0]!, svc1[0]!)).toEqual({ node1: 'O', node2: 'X', node3: 'X', node4: 'X' });
    expect(cellsUnder(headers[1]!, svc1[1]!)).toEqual({ node5: 'X', node6: 'X', node7: 'X', node8: 'X' });
    const state = lines.filter((l) => l.startsWith('  state'));
    const nodesHeaders = lines.filter((l) => l.startsWith('Nodes'));
    expect(cellsUnder(nodesHeaders[0]!, state[0]!)).toMatchObject({ node3: '*' });
  });

  it('16 nodes: as many blocks as 80 columns need, one when the terminal is wide enough', () => {
    const narrow = renderSvcmon(cluster(16), plain, { width: 80 });
    const blocks = narrow.filter((l) => l.startsWith('Services'));
    expect(blocks.length).toBeGreaterThanOrEqual(3);
    expect(blocks.flatMap((h) => h.match(/node\d+/g) ?? [])).toEqual(Array.from({ length: 16 }, (_v, i) => `node${i + 1}`));
    for (const l of narrow.filter((x) => x.includes('|'))) expect(l.length).toBeLessThanOrEqual(80);
    const wide = renderSvcmon(cluster(16), plain, { width: 200 });
    expect(wide.filter((l) => l.startsWith('Services'))).toHaveLength(1);
    expect(wide.find((l) => l.startsWith(' svc2 '))).toBe(` svc2      up      flex          | ${'O      '.repeat(15)}O`); // node16: columns of 7
  });

  it('no width given: 80 columns', () => {
    expect(renderSvcmon(cluster(8), plain)).toEqual(renderSvcmon(cluster(8), plain, { width: 80 }));
  });
});

describe('column widths and blocks', () => {
  it('uniform while everything fits; narrowed to names and cells past the width', () => {
    expect(columnWidths(['n1', 'n2'], [['O', 'X']], 33, 80)).toEqual([6, 6]);
    expect(columnWidths(['node1', 'node2'], [['O starting', 'X']], 33, 44)).toEqual([11, 6]);
  });

  it('blocks share the columns out evenly when they fit so, each keeps at least one column', () => {
    expect(columnBlocks([6, 6, 6, 6, 6, 6, 6, 6], 33, 80)).toEqual([[0, 1, 2, 3], [4, 5, 6, 7]]);
    expect(columnBlocks([6, 6], 33, 80)).toEqual([[0, 1]]);
    expect(columnBlocks([60, 6], 33, 80)).toEqual([[0], [1]]);
  });
});
