import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from '@jest/globals';
import { trackPid } from '../../support/process.js';
import type { TestScope } from '../../support/scope.js';
import { waitFor } from '../../support/wait.js';
import { sleepAppLauncher, sleepAppRunning, type DaemonNode } from '../daemon/support.js';
import { clusterPair } from './support.js';

/**
 * svc1, orchestrate = ha on node1 and node2, one monitored app. Its
 * launcher's start or stop waits while its node's `gate` file exists, and a
 * start fails while `failstart` does: a test holds an action in progress as
 * long as it looks at it.
 */
export function haService(nodes: readonly DaemonNode[], id: string): void {
  for (const n of nodes) {
    const dir = path.join(n.paths.etc, 'svc1.dir');
    fs.mkdirSync(dir, { recursive: true });
    if (!fs.existsSync(path.join(n.paths.etc, 'svc1.d'))) fs.symlinkSync('svc1.dir', path.join(n.paths.etc, 'svc1.d'));
    const gate = [
      `if [ "$1" = start ] || [ "$1" = stop ]; then while [ -f '${path.join(n.root, 'gate')}' ]; do sleep 0.1; done; fi`,
      `if [ "$1" = start ] && [ -f '${path.join(n.root, 'failstart')}' ]; then echo 'start refused by the test' >&2; exit 1; fi`,
    ];
    fs.writeFileSync(path.join(dir, 'weblauncher'), `#!/bin/bash\n${gate.join('\n')}\n${sleepAppLauncher(path.join(n.root, 'web.pid'))}\n`, { mode: 0o755 });
    fs.writeFileSync(
      path.join(n.paths.etc, 'svc1.conf'),
      ['[DEFAULT]', `id = ${id}`, 'nodes = node1 node2', 'orchestrate = ha', 'monitor_schedule = 1s', '', '[app#web]', 'monitor = True', 'script = weblauncher', 'start = 10', 'check = 10', 'stop = 90', ''].join('\n'),
    );
  }
}

export const running = (n: DaemonNode) => sleepAppRunning(path.join(n.root, 'web.pid'));
export const track = (scope: TestScope, n: DaemonNode) => trackPid(scope, Number(fs.readFileSync(path.join(n.root, 'web.pid'), 'utf8')));

/** node1 and node2 joined, svc1 thawed and running on node1 (ha). */
export async function runningOnNode1(scope: TestScope) {
  const pair = await clusterPair(scope, { timeout: 6, interval: 1 });
  const { n1, n2, listenerPort, secret } = pair;
  await n1.start();
  await n2.start();
  expect((await n2.nodemgr(['daemon', 'join', '--secret', secret, '--node', 'node1', '--addr', `127.0.0.1:${listenerPort}`])).exitCode).toBe(0);
  trackPid(scope, n2.daemonPid()!, true);
  haService([n1, n2], crypto.randomUUID());
  expect((await n1.svcmgr(['-s', 'svc1', 'thaw'])).exitCode).toBe(0);
  await waitFor('svc1 started on node1', () => running(n1), 30_000);
  track(scope, n1);
  await waitFor('node2 knows svc1 runs on node1', async () => (await n2.status()).services.find((s) => s.name === 'svc1')?.instances.find((i) => i.node === 'node1')?.avail === 'up', 20_000);
  return pair;
}

