import { describe, expect, test } from '@jest/globals';
import { existsSync, mkdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LEDGER_DIR, type LedgerEntry } from '../../support/ledger.js';
import { listLeftovers } from '../../support/leftovers.js';
import { attachLoop, createImageFile } from '../../support/loop.js';
import { createVg } from '../../support/lvm.js';
import { createNetns, createVeth } from '../../support/netns.js';
import { isMountPoint, loopsBackedBy, pidAlive } from '../../support/proc.js';
import { spawnTracked } from '../../support/process.js';
import { sweepStaleNow, TestScope } from '../../support/scope.js';
import { must, run } from '../../support/sh.js';
import { netnsExists, PREFIX } from '../../support/teardown.js';
import { createTempDir } from '../../support/tmp.js';

/** The helpers other tests rely on: everything they make is gone after close(), or after a crash. */
describe('test/support scopes', () => {
  test('close() undoes netns, veth, loop, VG, mount, process and temp dir, even after a failure inside', async () => {
    const scope = await TestScope.open();
    let ns = '';
    let host = '';
    let file = '';
    let vg = '';
    let mnt = '';
    let pid = 0;
    let dir = '';
    try {
      ns = await createNetns(scope);
      host = (await createVeth(scope, ns)).host;
      dir = await createTempDir(scope);
      file = await createImageFile(dir, 16, 'pv.img');
      const loop = await attachLoop(scope, file);
      vg = await createVg(scope, [loop]);
      mnt = path.join(dir, 'mnt');
      mkdirSync(mnt);
      scope.track({ kind: 'mount', mnt });
      await must(['mount', '-t', 'tmpfs', 'tmpfs', mnt]);
      pid = await spawnTracked(scope, ['sleep', '300'], { cwd: mnt });
      throw new Error('the test body failed');
    } catch (err) {
      expect((err as Error).message).toBe('the test body failed');
    } finally {
      await scope.close();
    }
    expect(await netnsExists(ns)).toBe(false);
    expect((await run(['ip', 'link', 'show', host])).exitCode).not.toBe(0);
    expect(await loopsBackedBy(file)).toEqual([]);
    expect((await run(['vgs', vg])).exitCode).not.toBe(0);
    expect(await isMountPoint(mnt)).toBe(false);
    expect(pidAlive(pid)).toBe(false);
    expect(existsSync(dir)).toBe(false);
    expect((await listLeftovers()).filter((l) => l.includes(`${PREFIX}${scope.id}`))).toEqual([]);
  });

  test('a ledger left by a dead process is swept: its objects are removed, live ledgers are not touched', async () => {
    // a crashed run: objects exist, its ledger names a pid that is not running
    const dir = await mkdtemp(path.join(tmpdir(), `${PREFIX}stale-`));
    const file = path.join(dir, 'stale.img');
    await must(['truncate', '-s', '8M', file]);
    const ns = `${PREFIX}stale${process.pid % 10000}`;
    const entries: LedgerEntry[] = [
      { kind: 'dir', path: dir },
      { kind: 'netns', name: ns },
      { kind: 'loop', file },
    ];
    await must(['ip', 'netns', 'add', ns]);
    await must(['losetup', '-f', '--show', file]);
    mkdirSync(LEDGER_DIR, { recursive: true });
    const stale = path.join(LEDGER_DIR, `999999999-1-dead0.jsonl`);
    writeFileSync(stale, `${entries.map((e) => JSON.stringify(e)).join('\n')}\n{"kind":"netns","na`);

    // a live scope of "another run" in the same process must survive the sweep
    const live = await TestScope.open();
    try {
      const liveNs = await createNetns(live);
      await sweepStaleNow();
      expect(await netnsExists(ns)).toBe(false);
      expect(await loopsBackedBy(file)).toEqual([]);
      expect(existsSync(dir)).toBe(false);
      expect(existsSync(stale)).toBe(false);
      expect(await netnsExists(liveNs)).toBe(true);
    } finally {
      await live.close();
    }
  });

  test('a temp dir is never removed through a mount point, and only hasvct- dirs of the temp dir are removed', async () => {
    const scope = await TestScope.open();
    const dir = await createTempDir(scope);
    const mnt = path.join(dir, 'busy');
    mkdirSync(mnt);
    await must(['mount', '-t', 'tmpfs', 'tmpfs', mnt]);
    writeFileSync(path.join(mnt, 'keep'), 'x');
    await scope.close(); // unmounts first, then removes
    expect(await isMountPoint(mnt)).toBe(false);
    expect(existsSync(dir)).toBe(false);

    const other = await TestScope.open();
    other.track({ kind: 'dir', path: '/etc' });
    await expect(other.close()).rejects.toThrow(/refusing to remove \/etc/);
    expect(existsSync('/etc/passwd')).toBe(true);
    unlinkSync(other.ledgerFile); // or every later sweep would retry (and refuse) it
  });
});
