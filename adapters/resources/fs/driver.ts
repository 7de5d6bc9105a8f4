import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { kwBool, kwString, type ResourceConfig } from '../../../domain/config/types.js';
import { ResourceError } from '../../../domain/errors.js';
import { runCommand } from '../../exec.js';
import { procStat } from '../../system/procStat.js';
import type { DriverContext, ResourceDriver, ResourceStatus } from '../driver.js';
import { findExecutable } from '../common/executable.js';
import { hasControlChars, hasDotDotSegment, tail } from '../common/values.js';
import { canonicalPath, readMounts, sourceMatches, type MountEntry } from './mounts.js';
import { describeUsers, findFsUsers } from './users.js';

const FSCK_TIMEOUT_MS = 3600_000;
const MOUNT_TIMEOUT_MS = 120_000;
const UMOUNT_RETRIES = 3;

interface Checked {
  readonly dev: string;
  readonly mnt: string;
  readonly type: string;
  readonly opts: string | undefined;
}

/**
 * fs: a file system mounted on `mnt`. Keywords: type (ext4, xfs, tmpfs...),
 * dev (block device, image file, or a pseudo source like `tmpfs`), mnt,
 * mnt_opt, kill_users (kill the processes keeping mnt busy on stop),
 * check_read_only (default true: warn when mounted ro unasked).
 */
export function createFsDriver(conf: ResourceConfig): ResourceDriver {
  const rid = conf.rid;
  const type = conf.type ?? kwString(conf, 'type') ?? '';
  const dev = kwString(conf, 'dev') ?? '';
  const mnt = kwString(conf, 'mnt') ?? '';
  const opts = kwString(conf, 'mnt_opt') ?? kwString(conf, 'mnt_opts');
  const fsLabel = `${type} ${dev}@${mnt}`;

  function check(): Checked {
    if (type === '' || !/^[a-z0-9][a-z0-9._-]*$/.test(type)) throw new ResourceError(rid, `type ${JSON.stringify(type)} is not a file system type`);
    if (dev === '') throw new ResourceError(rid, 'dev is not set');
    if (dev.startsWith('-') || hasControlChars(dev) || hasDotDotSegment(dev)) throw new ResourceError(rid, `dev ${JSON.stringify(dev)} is refused`);
    if (!path.isAbsolute(mnt)) throw new ResourceError(rid, `mnt ${JSON.stringify(mnt)} must be an absolute path`);
    if (hasDotDotSegment(mnt) || hasControlChars(mnt)) throw new ResourceError(rid, `mnt ${JSON.stringify(mnt)} is refused: no '..' segments or control characters`);
    const normalized = path.normalize(mnt).replace(/(.)\/+$/, '$1');
    if (normalized === '/') throw new ResourceError(rid, 'mnt / is refused: a service never mounts over the root file system');
    if (opts !== undefined && hasControlChars(opts)) throw new ResourceError(rid, 'mnt_opt is refused: control characters');
    return { dev, mnt: normalized, type, opts: opts || undefined };
  }

  /** what is mounted on mnt now: our device, another one, or nothing */
  async function lookupMount(c: Checked): Promise<{ ours: MountEntry | undefined; other: MountEntry | undefined }> {
    const target = await canonicalPath(c.mnt);
    const onMnt = (await readMounts()).filter((m) => m.target === target);
    // the last entry is the visible one when mounts are stacked
    const top = onMnt[onMnt.length - 1];
    if (top === undefined) return { ours: undefined, other: undefined };
    return (await sourceMatches(top.source, c.dev)) ? { ours: top, other: undefined } : { ours: undefined, other: top };
  }

  async function isRegularFile(p: string): Promise<boolean> {
    if (!path.isAbsolute(p)) return false;
    try {
      return (await stat(p)).isFile();
    } catch {
      return false;
    }
  }

  /** e2fsck -p: 0 clean, 1 errors corrected, 2 corrected but reboot advised, >= 4 not fixed */
  async function fsck(ctx: DriverContext, c: Checked, isFile: boolean): Promise<void> {
    if (!path.isAbsolute(c.dev)) return;
    let argv: string[];
    let okCodes: number[];
    if (/^ext[234]$/.test(c.type)) {
      argv = ['e2fsck', '-p', c.dev];
      okCodes = [0, 1, 2];
    } else if (c.type === 'xfs') {
      argv = ['xfs_repair', '-n', ...(isFile ? ['-f'] : []), c.dev];
      okCodes = [0];
    } else {
      return; // no checker for this type (tmpfs, vfat...)
    }
    if ((await findExecutable(argv[0] ?? '')) === undefined) {
      await ctx.log('warn', `${argv[0]} not found: ${c.dev} mounted without a check`);
      return;
    }
    const r = await runCommand(argv, { signal: ctx.signal, timeoutMs: FSCK_TIMEOUT_MS, log: ctx.log });
    if (r.timedOut) throw new ResourceError(rid, `${argv[0]} ${c.dev} timed out`);
    if (!okCodes.includes(r.exitCode)) {
      throw new ResourceError(rid, `${argv[0]} ${c.dev} failed, ret ${r.exitCode}: ${tail(r.stdout + '\n' + r.stderr, 2)}`);
    }
    if (r.exitCode === 2) await ctx.log('warn', `${argv[0]} corrected errors on ${c.dev} and advises a reboot`);
  }

  async function umount(ctx: DriverContext, c: Checked): Promise<{ ok: boolean; busy: boolean; detail: string }> {
    const r = await runCommand(['umount', c.mnt], { signal: ctx.signal, timeoutMs: MOUNT_TIMEOUT_MS, log: ctx.log });
    return { ok: r.exitCode === 0, busy: /busy/i.test(r.stderr), detail: tail(r.stderr) || `ret ${r.exitCode}` };
  }

  async function killUsers(ctx: DriverContext, mntPath: string): Promise<void> {
    const users = await findFsUsers(mntPath);
    if (users.length === 0) return;
    await ctx.log('info', `kill ${describeUsers(users)} using ${mntPath}`);
    for (const u of users) {
      try {
        process.kill(u.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && users.some((u) => alive(u.pid))) await sleep(50, undefined, { signal: ctx.signal });
  }

  const driver: ResourceDriver = {
    rid,
    conf,
    label: () => fsLabel,

    async status(_ctx): Promise<ResourceStatus> {
      let c: Checked;
      try {
        c = check();
      } catch (err) {
        return { status: 'warn', log: [`warn: ${(err as Error).message}`] };
      }
      const { ours, other } = await lookupMount(c);
      // as OpenSVC: the kernel remounts a file system read-only on I/O errors, the service cannot write
      if (ours && conf.kw.check_read_only !== false && hasOption(ours.options, 'ro') && !hasOption(c.opts ?? '', 'ro')) {
        return { status: 'warn', log: [`warn: ${c.mnt} is mounted read-only, mnt_opt does not ask for it`] };
      }
      if (ours) return { status: 'up', log: [] };
      if (other) return { status: 'down', log: [`warn: ${c.mnt} is the mount point of ${other.source}`] };
      return { status: 'down', log: [] };
    },

    async start(ctx) {
      const c = check();
      const { ours, other } = await lookupMount(c);
      if (ours) {
        await ctx.log('info', `${fsLabel} is already mounted`);
        return 'already';
      }
      if (other) throw new ResourceError(rid, `${c.mnt} is already the mount point of ${other.source}: refusing to mount ${c.dev} over it`);
      const isFile = await isRegularFile(c.dev);
      if (path.isAbsolute(c.dev) && !isFile) {
        try {
          if (!(await stat(c.dev)).isBlockDevice()) throw new ResourceError(rid, `dev ${c.dev} is neither a block device nor a file`);
        } catch (err) {
          if (err instanceof ResourceError) throw err;
          throw new ResourceError(rid, `dev ${c.dev} not found`, { cause: err });
        }
      }
      await fsck(ctx, c, isFile);
      try {
        if (!(await stat(c.mnt)).isDirectory()) throw new ResourceError(rid, `mnt ${c.mnt} exists and is not a directory`);
      } catch (err) {
        if (err instanceof ResourceError) throw err;
        await ctx.log('info', `create missing mountpoint ${c.mnt}`);
        await mkdir(c.mnt, { recursive: true, mode: 0o755 });
      }
      // an image file is mounted through a loop device (auto-detached at umount)
      const o = [c.opts, isFile && !/(^|,)loop(,|=|$)/.test(c.opts ?? '') ? 'loop' : undefined].filter(Boolean).join(',');
      const argv = ['mount', '-t', c.type, ...(o ? ['-o', o] : []), c.dev, c.mnt];
      const r = await runCommand(argv, { signal: ctx.signal, timeoutMs: MOUNT_TIMEOUT_MS, log: ctx.log });
      if (r.exitCode !== 0) throw new ResourceError(rid, `mount ${c.dev} on ${c.mnt} failed, ret ${r.exitCode}: ${tail(r.stderr)}`);
      return 'done';
    },

    async stop(ctx) {
      const c = check();
      const { ours } = await lookupMount(c);
      if (!ours) {
        await ctx.log('info', `${fsLabel} is already umounted`);
        return 'already';
      }
      const mntPath = ours.target;
      let res = await umount(ctx, c);
      if (res.ok) return 'done';
      if (!res.busy) throw new ResourceError(rid, `umount ${c.mnt} failed: ${res.detail}`);
      const users = await findFsUsers(mntPath);
      const killAllowed = kwBool(conf, 'kill_users') || ctx.force;
      if (!killAllowed) {
        const who = users.length > 0 ? `used by ${describeUsers(users)}` : 'no process found using it (nested mounts?)';
        throw new ResourceError(rid, `umount ${c.mnt} failed: busy, ${who}; set kill_users = true or use --force to kill them`);
      }
      for (let attempt = 1; attempt <= UMOUNT_RETRIES; attempt++) {
        // re-check before each kill: the mount must still be there, never kill users of the parent fs
        if (!(await lookupMount(c)).ours) return 'done';
        await killUsers(ctx, mntPath);
        res = await umount(ctx, c);
        if (res.ok) return 'done';
        await sleep(200 * attempt, undefined, { signal: ctx.signal });
      }
      const left = await findFsUsers(mntPath);
      throw new ResourceError(rid, `umount ${c.mnt} failed after killing its users: ${res.detail}${left.length ? `; still used by ${describeUsers(left)}` : ''}`);
    },

    // sub: the device (or image file) it is mounted from; a pseudo source (tmpfs) is none
    async devs() {
      return { exposed: [], sub: path.isAbsolute(dev) ? [dev] : [] };
    },

    async info(_ctx) {
      const out: Record<string, string> = { type, dev, mnt };
      if (opts) out.mnt_opt = opts;
      return out;
    },
  };
  return driver;
}

/** `ro` in `rw,noatime,ro`: mount options are comma-separated words */
const hasOption = (opts: string, word: string): boolean => opts.split(',').includes(word);

/** a zombie no longer holds the file system: only its parent can reap it */
function alive(pid: number): boolean {
  const st = procStat(pid);
  return st !== undefined && st.state !== 'Z';
}
