import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LedgerEntry } from './ledger.js';
import { isMountPoint, loopsBackedBy, mountsUnder, pidAlive, processStartTime } from './proc.js';
import { must, run } from './sh.js';
import { waitFor } from './wait.js';

/** The prefix of every kernel object and temp dir the helpers create. */
export const PREFIX = 'hasvct-';

/**
 * Undo one ledger entry. Idempotent (already gone is fine) and checked: it
 * throws when the object is still there afterwards, so a leak fails the test
 * that caused it instead of the next one.
 */
export async function teardown(e: LedgerEntry): Promise<void> {
  switch (e.kind) {
    case 'pid':
      return killProcess(e.pid, e.start, e.group);
    case 'mount':
      return unmount(e.mnt);
    case 'vg':
      return removeVg(e.name, e.pvs);
    case 'loop':
      return detachLoops(e.file);
    case 'link':
      return deleteLink(e.name, e.netns);
    case 'netns':
      return deleteNetns(e.name);
    case 'dir':
      return removeDir(e.path);
    default: {
      const never: never = e;
      throw new Error(`teardown: unknown entry ${JSON.stringify(never)}`);
    }
  }
}

export async function killProcess(pid: number, start: string, group: boolean): Promise<void> {
  // a recycled pid belongs to someone else: only kill the process we started
  if (processStartTime(pid) !== start) return;
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(group ? -pid : pid, sig);
    } catch {
      // gone
    }
  };
  signal('SIGTERM');
  try {
    await waitFor(`pid ${pid} to exit`, () => !pidAlive(pid), 2000);
  } catch {
    signal('SIGKILL');
    await waitFor(`pid ${pid} to die`, () => !pidAlive(pid), 5000);
  }
}

export async function unmount(mnt: string): Promise<void> {
  for (let i = 0; i < 3 && (await isMountPoint(mnt)); i++) {
    const r = await run(['umount', mnt]);
    if (r.exitCode !== 0) await sleep(200);
  }
  // last resort: detach it from the tree; the fs goes away when its users do
  if (await isMountPoint(mnt)) await run(['umount', '-l', mnt]);
  if (await isMountPoint(mnt)) throw new Error(`teardown: ${mnt} is still mounted`);
}

export async function removeVg(name: string, pvs: readonly { readonly dev: string; readonly file?: string }[]): Promise<void> {
  if ((await run(['vgs', name])).exitCode === 0) await must(['vgremove', '-f', name]);
  if ((await run(['vgs', name])).exitCode === 0) throw new Error(`teardown: vg ${name} still exists`);
  for (const pv of pvs) {
    // the loop device may have been detached and reused by someone else since
    if (pv.file !== undefined && !(await loopsBackedBy(pv.file)).includes(pv.dev)) continue;
    // no -ff: pvremove refuses a PV that belongs to a VG, i.e. not ours any more
    await run(['pvremove', '-y', pv.dev]);
  }
}

export async function detachLoops(file: string): Promise<void> {
  for (const dev of await loopsBackedBy(file)) await run(['losetup', '-d', dev]);
  // detach is asynchronous while the device is still open (autoclear)
  await waitFor(`loop devices of ${file} to detach`, async () => (await loopsBackedBy(file)).length === 0, 15_000).catch(async () => {
    throw new Error(`teardown: ${file} still backs ${(await loopsBackedBy(file)).join(' ')}`);
  });
}

export async function deleteLink(name: string, netns?: string): Promise<void> {
  const ns = netns ? ['-n', netns] : [];
  if (netns && !(await netnsExists(netns))) return; // went with its namespace
  if ((await run(['ip', ...ns, 'link', 'show', 'dev', name])).exitCode !== 0) return;
  await must(['ip', ...ns, 'link', 'del', 'dev', name]);
}

export async function netnsExists(name: string): Promise<boolean> {
  const out = await must(['ip', 'netns', 'list']);
  return out.split('\n').some((l) => l.split(' ')[0] === name);
}

export async function deleteNetns(name: string): Promise<void> {
  if (!(await netnsExists(name))) return;
  // processes left in it would keep it alive after `ip netns del`
  const pids = (await run(['ip', 'netns', 'pids', name])).stdout.split(/\s+/).filter(Boolean).map(Number);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  await must(['ip', 'netns', 'del', name]);
  if (await netnsExists(name)) throw new Error(`teardown: netns ${name} still exists`);
}

/**
 * rm -rf of a helper's temp dir, only under the temp dir and with our
 * prefix, and never through a mount point: whatever is mounted or
 * loop-attached below is undone first.
 */
export async function removeDir(dir: string): Promise<void> {
  const resolved = path.resolve(dir);
  if (path.dirname(resolved) !== path.resolve(tmpdir()) || !path.basename(resolved).startsWith(PREFIX)) {
    throw new Error(`teardown: refusing to remove ${resolved}: not a ${PREFIX}* dir of ${tmpdir()}`);
  }
  for (const mnt of await mountsUnder(resolved)) await unmount(mnt);
  const left = await mountsUnder(resolved);
  if (left.length > 0) throw new Error(`teardown: refusing to remove ${resolved}: still mounted ${left.join(' ')}`);
  for (const dev of await loopsBackedBy(resolved, true)) await run(['losetup', '-d', dev]);
  await rm(resolved, { recursive: true, force: true });
}
