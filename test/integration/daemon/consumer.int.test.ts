import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, test } from '@jest/globals';
import { seedFile } from '../../../adapters/nats/nkeys.js';
import { loadClusterIdentity } from '../../../src/config/identity.js';
import { useTestScope } from '../../support/jest.js';
import { trackPid } from '../../support/process.js';
import type { TestScope } from '../../support/scope.js';
import { waitFor } from '../../support/wait.js';
import { REPO, daemonNode, ensureBuilt, sleepAppLauncher } from './support.js';
import type { DaemonNode } from './support.js';

interface Consumer {
  readonly out: string[];
  readonly err: string[];
  stop(): Promise<number | null>;
}

/** examples/consumer.mjs as a user runs it: the plain NATS client, the node's read-only key. */
async function runConsumer(scope: TestScope, n: DaemonNode): Promise<Consumer> {
  const child = spawn(process.execPath, [path.join(REPO, 'examples', 'consumer.mjs')], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HASVC_CLUSTER: loadClusterIdentity(n.paths).name, HASVC_NKEY: seedFile(n.paths.natsDir, 'reader'), HASVC_NATS_URL: `nats://127.0.0.1:${n.natsPort}`, HASVC_DURABLE: 'audit-test' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  trackPid(scope, child.pid!);
  const c = { out: [] as string[], err: [] as string[] };
  const lines = (into: string[]) => {
    let rest = '';
    return (b: Buffer) => {
      const parts = (rest + b.toString('utf8')).split('\n');
      rest = parts.pop() ?? '';
      into.push(...parts);
    };
  };
  child.stdout.on('data', lines(c.out));
  child.stderr.on('data', lines(c.err));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await waitFor('the consumer following the stream', () => c.err.some((l) => l.startsWith('following OSVC_')) || child.exitCode !== null, 15_000);
  expect(c.err).toEqual([expect.stringMatching(/^following OSVC_\w+_EVT as audit-test$/)]);
  return {
    ...c,
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

describe('an external consumer follows the moves as the read-only user (examples/consumer.mjs)', () => {
  const scope = useTestScope();
  beforeAll(() => ensureBuilt(), 240_000);

  test('it prints the actions and statuses as they are stored, and its durable consumer goes on after the last event it acked', async () => {
    const n = await daemonNode(scope());
    const appPid = path.join(n.root, 'app.pid');
    n.writeAppService('svc1', sleepAppLauncher(appPid));
    await n.start();
    const first = await runConsumer(scope(), n);
    expect((await n.svcmgr(['-s', 'svc1', 'start', '--local'])).exitCode).toBe(0);
    trackPid(scope(), Number(fs.readFileSync(appPid, 'utf8')));
    await waitFor('the start and its result printed', () => first.out.some((l) => / node1 svc1 start ok \[node1:\d+\]$/.test(l)), 15_000);
    expect(first.out.find((l) => / svc1 start by /.test(l))).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z node1 svc1 start by \S+ \[node1:\d+\]$/);
    await waitFor('the instance up printed', () => first.out.some((l) => / node1 svc1 up \[/.test(l)), 15_000);
    expect(await first.stop()).toBe(0);

    // stopped meanwhile: the next run prints the stop only, the start was acked
    expect((await n.svcmgr(['-s', 'svc1', 'stop', '--local'])).exitCode).toBe(0);
    const second = await runConsumer(scope(), n);
    await waitFor('the stop printed', () => second.out.some((l) => / node1 svc1 stop ok \[/.test(l)), 15_000);
    expect(second.out.filter((l) => / svc1 start /.test(l))).toEqual([]);
    expect(await second.stop()).toBe(0);
    await n.stop();
  });
});
