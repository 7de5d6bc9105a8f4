import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { FileLock, pidAlive } from '../../../adapters/fs/lock.js';
import { createAppDriver } from '../../../adapters/resources/app/driver.js';
import { recordingContext, resourceConfig, serviceConfig } from '../../support/driverContext.js';
import { useTestScope } from '../../support/jest.js';
import { trackPid } from '../../support/process.js';
import type { TestScope } from '../../support/scope.js';
import { createTempDir } from '../../support/tmp.js';
import { waitFor } from '../../support/wait.js';
import { sleepAppLauncher } from '../daemon/support.js';

/**
 * A dead daemonized server stays a zombie until whoever inherited it reaps
 * it (PID 1 here: ~1.8 s late), and `kill -0` succeeds on a zombie. A
 * liveness check that believed it would keep a failed app `up` and delay
 * its failover by as much.
 */

/** A zombie: a child whose parent (bash exec'd into sleep) never reaps it. Its parent is killed by the scope. */
async function zombie(scope: TestScope): Promise<number> {
  const parent = spawn('bash', ['-c', 'sleep 0 & echo $!; exec sleep 120'], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
  const pid = await new Promise<number>((resolve, reject) => {
    parent.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
    parent.once('error', reject);
  });
  parent.unref();
  trackPid(scope, parent.pid!, true);
  await waitFor(`pid ${pid} to be a zombie`, () => /^State:\s+Z/m.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8')), 5000);
  return pid;
}

describe('a zombie is dead', () => {
  const scope = useTestScope();

  test('kill -0 says it runs; pidAlive says it does not, and a lock it held is free', async () => {
    const pid = await zombie(scope());
    expect(() => process.kill(pid, 0)).not.toThrow();
    expect(pidAlive(pid)).toBe(false);
    expect(pidAlive(process.pid)).toBe(true);

    const dir = await createTempDir(scope());
    const lock = new FileLock(path.join(dir, 'svc1.action.lock'));
    fs.writeFileSync(lock.file, `${pid}\n`);
    expect(lock.holder()).toBeUndefined();
    expect(lock.tryAcquire()).toBe(true);
    expect(lock.holder()).toBe(process.pid);
    lock.release();
  });

  test('the stand-in app launcher reports a zombie app down, a live one up', async () => {
    const root = await createTempDir(scope());
    const etc = path.join(root, 'etc', 'opensvc');
    fs.mkdirSync(path.join(etc, 'svc1.d'), { recursive: true });
    const pidFile = path.join(root, 'app.pid');
    fs.writeFileSync(path.join(etc, 'svc1.d', 'launcher'), `#!/bin/bash\n${sleepAppLauncher(pidFile)}\n`, { mode: 0o755 });
    const d = createAppDriver(resourceConfig('app#main', { script: 'launcher' }));
    const rc = recordingContext({ root, svc: serviceConfig('svc1') });

    fs.writeFileSync(pidFile, String(await zombie(scope())));
    expect(await d.status(rc.ctx)).toEqual({ status: 'down', log: [] });
    fs.writeFileSync(pidFile, String(process.pid));
    expect(await d.status(rc.ctx)).toEqual({ status: 'up', log: [] });
  });
});
