import { describe, expect, test } from '@jest/globals';
import { checkNodeConfig } from '../../../domain/config/node.js';

/** [hb#N] type = disk: the keyword dev, and how a disk heartbeat without one is refused. */

const CLUSTER_FILE = '/etc/opensvc/cluster.conf';
const NODE_FILE = '/etc/opensvc/node.conf';
const CLUSTER = '[cluster]\nname = c1\nsecret = 0123456789abcdef0123456789abcdef\nnodes = node1 node2\n';
const node = (cluster: string, nodeConf = '') => checkNodeConfig({ cluster: { text: cluster, file: CLUSTER_FILE }, node: { text: nodeConf, file: NODE_FILE } }, 'node1');

describe('disk heartbeat config', () => {
  test('type = disk with dev: accepted, dev typed', () => {
    const c = node(`${CLUSTER}[hb#1]\ntype = unicast\n[hb#2]\ntype = disk\ndev = /dev/mapper/hb\n`);
    if (!c.ok) throw new Error(c.problems.join('\n'));
    expect(c.config.hbs.find((h) => h.rid === 'hb#2')).toMatchObject({ type: 'disk', dev: '/dev/mapper/hb', interval: 5, timeout: 15 });
    expect(c.config.hbs.find((h) => h.rid === 'hb#1')?.dev).toBeUndefined();
  });

  test('type = disk without dev: refused with one line naming file, section and keyword', () => {
    const c = node(`${CLUSTER}[hb#2]\ntype = disk\n`);
    expect(c.ok ? [] : c.problems).toEqual([`${CLUSTER_FILE}: [hb#2] type = disk needs keyword "dev": the shared block device the nodes beat on, like dev = /dev/mapper/hb`]);
  });

  test('the type set in node.conf: the line names node.conf; dev may come from either file', () => {
    const c = node(CLUSTER, '[hb#2]\ntype = disk\n');
    expect(c.ok ? [] : c.problems).toEqual([`${NODE_FILE}: [hb#2] type = disk needs keyword "dev": the shared block device the nodes beat on, like dev = /dev/mapper/hb`]);
    expect(node(`${CLUSTER}[hb#2]\ntype = disk\n`, '[hb#2]\ndev = /dev/sdx\n').ok).toBe(true);
  });

  test('dev is an absolute path', () => {
    const c = node(`${CLUSTER}[hb#2]\ntype = disk\ndev = sdb\n`);
    expect(c.ok ? [] : c.problems).toEqual([`${CLUSTER_FILE}: [hb#2] keyword "dev" has an invalid value: expected an absolute path`]);
  });
});
