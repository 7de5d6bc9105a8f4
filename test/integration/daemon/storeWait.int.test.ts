import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { beforeAll, describe, expect, test } from '@jest/globals';
import { useTestScope } from '../../support/jest.js';
import { trackPid } from '../../support/process.js';
import { daemonNode, ensureBuilt } from './support.js';

describe('a read, daemon down, while the store is held by a server starting or another command', () => {
  const scope = useTestScope();
  beforeAll(() => ensureBuilt(), 240_000);

  test('waits for the store to be let go rather than failing on the lock, then answers', async () => {
    const n = await daemonNode(scope());
    await n.start();
    await n.stop();
    // the store's lock held by a live process: a server still loading a long log, as the daemon's is at its start
    const holder = spawn('sleep', ['120'], { stdio: 'ignore' });
    trackPid(scope(), holder.pid!);
    fs.writeFileSync(path.join(n.paths.natsDir, 'server.lock'), `${holder.pid}\n`);
    let done = false;
    const read = n.svcmon(['--at', new Date().toISOString()]).finally(() => {
      done = true;
    });
    // longer than the 10 s a server's own start waits for the lock
    await new Promise((r) => setTimeout(r, 12_000));
    expect(done).toBe(false);
    holder.kill('SIGKILL');
    const r = await read;
    expect(r.stderr).toMatch(/^\(as of /);
    expect(r.exitCode).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(/^Nodes +node1$/);
  }, 120_000);
});
