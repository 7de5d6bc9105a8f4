import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { DriverContext, ResourceStatus } from '../../../adapters/resources/driver.js';
import { driverFor } from '../../../src/action/drivers.js';
import { loadServiceConfig } from '../../../src/config/serviceStore.js';
import { trackMount } from '../../support/mount.js';
import type { TestScope } from '../../support/scope.js';
import { createTempDir } from '../../support/tmp.js';
import { daemonNode, type DaemonNode } from '../daemon/support.js';

export const SECRET = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';

/**
 * Two daemons on this host, one cluster: the same name, secret and nodes in
 * both cluster.conf, and [peer#<node>] telling each where the other's
 * listener is (127.0.0.1, its own free port).
 */
export async function twoNodes(scope: TestScope): Promise<[DaemonNode, DaemonNode]> {
  const n1 = await daemonNode(scope, 'node1');
  const n2 = await daemonNode(scope, 'node2');
  const conf = [
    '[cluster]',
    'name = synctest',
    `secret = ${SECRET}`,
    'nodes = node1 node2',
    '',
    '[peer#node1]',
    'addr = 127.0.0.1',
    `port = ${n1.listenerPort}`,
    '',
    '[peer#node2]',
    'addr = 127.0.0.1',
    `port = ${n2.listenerPort}`,
    '',
  ].join('\n');
  for (const n of [n1, n2]) fs.writeFileSync(n.paths.clusterConf, conf, { mode: 0o600 });
  await Promise.all([n1.start(), n2.start()]);
  return [n1, n2];
}

/**
 * svc1 on node1: a tmpfs filesystem (what "up, apps excluded" looks at),
 * mounted under `base/<nodename>/data` so each node has its own mount
 * point, and an app whose launcher keeps its state in a flag file.
 */
export async function writeService(scope: TestScope, n: DaemonNode, svc = 'svc1', nodes = 'node1 node2'): Promise<{ mnt: (node: string) => string }> {
  const base = await createTempDir(scope);
  const mnt = (node: string) => path.join(base, node, 'data');
  for (const node of ['node1', 'node2']) trackMount(scope, mnt(node));
  const dir = path.join(n.paths.etc, `${svc}.dir`);
  fs.mkdirSync(dir, { recursive: true });
  fs.symlinkSync(`${svc}.dir`, path.join(n.paths.etc, `${svc}.d`));
  const flag = path.join(base, 'app-{nodename}.up');
  fs.writeFileSync(
    path.join(dir, 'launcher'),
    ['#!/bin/bash', `F=${flag.replace('{nodename}', '$OSVC_NODENAME')}`, 'case "$1" in', '  start) touch "$F" ;;', '  stop) rm -f "$F" ;;', '  status) test -f "$F" ;;', 'esac', ''].join('\n'),
    { mode: 0o755 },
  );
  fs.writeFileSync(
    path.join(n.paths.etc, `${svc}.conf`),
    ['[DEFAULT]', `id = ${crypto.randomUUID()}`, `nodes = ${nodes}`, '', '[fs#data]', 'type = tmpfs', 'dev = tmpfs', `mnt = ${path.join(base, '{nodename}', 'data')}`, '', '[app#main]', 'script = launcher', 'start = 10', 'check = 10', 'stop = 90', ''].join('\n'),
  );
  return { mnt };
}

/** sync#i0's status on node n, as the driver computes it there. */
export async function syncStatusOn(n: DaemonNode, svc = 'svc1'): Promise<ResourceStatus> {
  const conf = await loadServiceConfig(n.paths, svc, n.env);
  const sync = conf.resources.find((r) => r.rid === 'sync#i0')!;
  const ctx: DriverContext = { signal: AbortSignal.timeout(10_000), nodename: n.node, svc: conf, paths: n.paths, force: false, log: () => undefined };
  return driverFor(sync).status(ctx);
}
