import { describe, expect, test } from '@jest/globals';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ResourceError } from '../../../domain/errors.js';
import { createFsDriver } from '../../../adapters/resources/fs/driver.js';
import { recordingContext, resourceConfig, serviceConfig, withContext } from '../../support/driverContext.js';
import { useTestScope } from '../../support/jest.js';
import { createExt4Loop, createImageFile, mkfsExt4 } from '../../support/loop.js';
import { trackMount } from '../../support/mount.js';
import { isMountPoint, loopsBackedBy, mounts, pidAlive } from '../../support/proc.js';
import { spawnTracked } from '../../support/process.js';
import type { TestScope } from '../../support/scope.js';
import { must } from '../../support/sh.js';
import { createTempDir } from '../../support/tmp.js';
import { waitFor } from '../../support/wait.js';

async function fixture(scope: TestScope) {
  const root = await createTempDir(scope);
  const rc = recordingContext({ root, svc: serviceConfig('svc1') });
  const mnt = path.join(root, 'svc1', 'app');
  trackMount(scope, mnt);
  return { root, rc, mnt };
}

describe('fs driver', () => {
  const scope = useTestScope();

  test('ext4 on a loop device: fsck, mkdir, mount; already mounted; umount; status follows', async () => {
    const s = scope();
    const { root, rc, mnt } = await fixture(s);
    const { dev } = await createExt4Loop(s, root);
    const d = createFsDriver(resourceConfig('fs#app', { type: 'ext4', dev, mnt }));
    expect(d.label()).toBe(`ext4 ${dev}@${mnt}`);
    expect(await d.status(rc.ctx)).toEqual({ status: 'down', log: [] });

    await expect(d.start(rc.ctx)).resolves.toBe('done');
    const m = rc.messages();
    expect(m[0]).toBe(`e2fsck -p ${dev}`);
    expect(m[1]).toBe('output:');
    expect(m[2]).toMatch(new RegExp(`^${dev}: clean, \\d+/\\d+ files, \\d+/\\d+ blocks$`));
    expect(m.slice(3)).toEqual(['', `create missing mountpoint ${mnt}`, `mount -t ext4 ${dev} ${mnt}`]);
    expect((await mounts()).find((x) => x.target === mnt)).toEqual({ source: dev, target: mnt, fstype: 'ext4' });
    expect(await d.status(rc.ctx)).toEqual({ status: 'up', log: [] });

    rc.clear();
    await expect(d.start(rc.ctx)).resolves.toBe('already');
    expect(rc.messages()).toEqual([`ext4 ${dev}@${mnt} is already mounted`]);

    rc.clear();
    await expect(d.stop(rc.ctx)).resolves.toBe('done');
    expect(rc.messages()).toEqual([`umount ${mnt}`]);
    expect(await isMountPoint(mnt)).toBe(false);
    expect((await d.status(rc.ctx)).status).toBe('down');

    rc.clear();
    await expect(d.stop(rc.ctx)).resolves.toBe('already');
    expect(rc.messages()).toEqual([`ext4 ${dev}@${mnt} is already umounted`]);
  });

  test('an image file as dev is mounted through a loop device, status sees through it, umount detaches it', async () => {
    const s = scope();
    const { root, rc, mnt } = await fixture(s);
    const file = await createImageFile(root, 32, 'data.img');
    await mkfsExt4(file);
    s.track({ kind: 'loop', file });
    const d = createFsDriver(resourceConfig('fs#data', { type: 'ext4', dev: file, mnt, mnt_opt: 'noatime' }));
    await d.start(rc.ctx);
    expect(rc.messages()).toContain(`mount -t ext4 -o noatime,loop ${file} ${mnt}`);
    const loops = await loopsBackedBy(file);
    expect(loops).toHaveLength(1);
    expect((await mounts()).find((x) => x.target === mnt)?.source).toBe(loops[0]);
    expect((await d.status(rc.ctx)).status).toBe('up');
    await d.stop(rc.ctx);
    await waitFor('autoclear of the loop device', async () => (await loopsBackedBy(file)).length === 0);
    expect((await d.status(rc.ctx)).status).toBe('down');
  });

  test('a busy mount point fails the stop naming the processes; kill_users kills them and unmounts', async () => {
    const s = scope();
    const { root, rc, mnt } = await fixture(s);
    const { dev } = await createExt4Loop(s, root);
    const d = createFsDriver(resourceConfig('fs#app', { type: 'ext4', dev, mnt }));
    await d.start(rc.ctx);
    mkdirSync(path.join(mnt, 'work'));
    const pid = await spawnTracked(s, ['sleep', '300'], { cwd: path.join(mnt, 'work') });

    const err = await d.stop(rc.ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ResourceError);
    expect((err as Error).message).toBe(
      `umount ${mnt} failed: busy, used by pid ${pid} (sleep, cwd); set kill_users = true or use --force to kill them`,
    );
    expect(await isMountPoint(mnt)).toBe(true);
    expect(pidAlive(pid)).toBe(true);
    expect((await d.status(rc.ctx)).status).toBe('up');

    rc.clear();
    const killer = createFsDriver(resourceConfig('fs#app', { type: 'ext4', dev, mnt, kill_users: true }));
    await expect(killer.stop(rc.ctx)).resolves.toBe('done');
    expect(rc.messages()).toContain(`kill pid ${pid} (sleep, cwd) using ${mnt}`);
    expect(pidAlive(pid)).toBe(false);
    expect(await isMountPoint(mnt)).toBe(false);
  });

  test('--force kills the users too, including a process holding an open file', async () => {
    const s = scope();
    const { root, rc, mnt } = await fixture(s);
    const { dev } = await createExt4Loop(s, root);
    const d = createFsDriver(resourceConfig('fs#app', { type: 'ext4', dev, mnt }));
    await d.start(rc.ctx);
    writeFileSync(path.join(mnt, 'held'), 'x');
    const pid = await spawnTracked(s, ['bash', '-c', `exec 3<'${path.join(mnt, 'held')}'; exec sleep 300`], { cwd: '/' });
    await waitFor('the fd to be open', async () => {
      const err = await d.stop(rc.ctx).catch((e: unknown) => e as Error);
      return err instanceof Error && err.message.includes(`pid ${pid} (sleep, fd)`);
    });
    await expect(d.stop(withContext(rc, { force: true }))).resolves.toBe('done');
    expect(pidAlive(pid)).toBe(false);
    expect(await isMountPoint(mnt)).toBe(false);
  });

  test('a file system that fsck cannot fix is not mounted', async () => {
    const s = scope();
    const { root, rc, mnt } = await fixture(s);
    const garbage = await createImageFile(root, 4, 'garbage.img');
    const d = createFsDriver(resourceConfig('fs#app', { type: 'ext4', dev: garbage, mnt }));
    await expect(d.start(rc.ctx)).rejects.toThrow(/^e2fsck .* failed, ret 8: /);
    expect(await isMountPoint(mnt)).toBe(false);
  });

  test('refuses / , relative, ".." and option-like values; hostile characters in mnt are plain path data', async () => {
    const s = scope();
    const { root, rc } = await fixture(s);
    for (const [mnt, why] of [
      ['/', /mnt \/ is refused/],
      ['//', /mnt \/ is refused/],
      ['svc1/app', /must be an absolute path/],
      [`${root}/../etc`, /no '..' segments/],
      [`${root}/a\nb`, /control characters/],
    ] as const) {
      const d = createFsDriver(resourceConfig('fs#x', { type: 'tmpfs', dev: 'tmpfs', mnt }));
      await expect(d.start(rc.ctx)).rejects.toThrow(why);
      expect((await d.status(rc.ctx)).status).toBe('warn');
    }
    const optionDev = createFsDriver(resourceConfig('fs#x', { type: 'ext4', dev: '--bind', mnt: `${root}/x` }));
    await expect(optionDev.start(rc.ctx)).rejects.toThrow(/dev "--bind" is refused/);
    const badType = createFsDriver(resourceConfig('fs#x', { type: 'ext4 -o remount', dev: 'tmpfs', mnt: `${root}/x` }));
    await expect(badType.start(rc.ctx)).rejects.toThrow(/is not a file system type/);

    const marker = path.join(root, 'pwned');
    const hostile = path.join(root, `a b;touch ${marker};$(touch ${marker})\`touch ${marker}\``);
    trackMount(s, hostile);
    const d = createFsDriver(resourceConfig('fs#x', { type: 'tmpfs', dev: 'tmpfs', mnt: hostile, mnt_opt: 'size=1m' }));
    await expect(d.start(rc.ctx)).resolves.toBe('done');
    expect(await isMountPoint(hostile)).toBe(true);
    expect((await d.status(rc.ctx)).status).toBe('up');
    await expect(d.stop(rc.ctx)).resolves.toBe('done');
    expect(await isMountPoint(hostile)).toBe(false);
    expect(existsSync(marker)).toBe(false);
    expect(rc.messages()).toContain(`mount -t tmpfs -o size=1m tmpfs '${hostile}'`);
  });

  test('check_read_only: a file system remounted read-only is warn, said in one line; not when mnt_opt asks for ro, nor when false', async () => {
    const s = scope();
    const { rc, mnt } = await fixture(s);
    const d = createFsDriver(resourceConfig('fs#app', { type: 'tmpfs', dev: 'tmpfs', mnt }));
    const unchecked = createFsDriver(resourceConfig('fs#app', { type: 'tmpfs', dev: 'tmpfs', mnt, check_read_only: false }));
    const ro = createFsDriver(resourceConfig('fs#app', { type: 'tmpfs', dev: 'tmpfs', mnt, mnt_opt: 'size=1m,ro' }));
    await d.start(rc.ctx);
    expect(await d.status(rc.ctx)).toEqual({ status: 'up', log: [] });
    // what the kernel does to a file system on a failing disk
    await must(['mount', '-o', 'remount,ro', mnt]);
    expect(await d.status(rc.ctx)).toEqual({ status: 'warn', log: [`warn: ${mnt} is mounted read-only, mnt_opt does not ask for it`] });
    expect(await unchecked.status(rc.ctx)).toEqual({ status: 'up', log: [] });
    expect(await ro.status(rc.ctx)).toEqual({ status: 'up', log: [] });
    await d.stop(rc.ctx);
    await ro.start(rc.ctx);
    expect(await ro.status(rc.ctx)).toEqual({ status: 'up', log: [] });
    await ro.stop(rc.ctx);
  });

  test('a mount point already used by another device is reported and not mounted over', async () => {
    const s = scope();
    const { root, rc, mnt } = await fixture(s);
    const { dev } = await createExt4Loop(s, root);
    mkdirSync(mnt, { recursive: true });
    await must(['mount', '-t', 'tmpfs', 'othersrc', mnt]);
    const d = createFsDriver(resourceConfig('fs#app', { type: 'ext4', dev, mnt }));
    expect(await d.status(rc.ctx)).toEqual({ status: 'down', log: [`warn: ${mnt} is the mount point of othersrc`] });
    await expect(d.start(rc.ctx)).rejects.toThrow(`${mnt} is already the mount point of othersrc: refusing to mount ${dev} over it`);
    await expect(d.stop(rc.ctx)).resolves.toBe('already');
    expect((await mounts()).filter((x) => x.target === mnt).map((x) => x.source)).toEqual(['othersrc']);
  });
});
