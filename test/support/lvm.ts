import { readFile } from 'node:fs/promises';
import type { TestScope } from './scope.js';
import { loopsBackedBy } from './proc.js';
import { must, run } from './sh.js';

/**
 * A VG on loop-device PVs (no LVs: this machine has no device-mapper).
 * `pvs` are loop devices made by attachLoop; their image files are recorded
 * so a later sweep never touches a loop device someone else reused.
 */
export async function createVg(scope: TestScope, pvs: readonly string[], name = scope.name('vg')): Promise<string> {
  const withFiles = await Promise.all(
    pvs.map(async (dev) => {
      const file = await backingFile(dev);
      return file === undefined ? { dev } : { dev, file };
    }),
  );
  scope.track({ kind: 'vg', name, pvs: withFiles });
  for (const pv of pvs) await must(['pvcreate', '-q', pv]);
  await must(['vgcreate', '-q', name, ...pvs]);
  return name;
}

async function backingFile(dev: string): Promise<string | undefined> {
  const m = /^\/dev\/(loop\d+)$/.exec(dev);
  if (!m) return undefined;
  const f = (await readFile(`/sys/block/${m[1]}/loop/backing_file`, 'utf8')).trim();
  return (await loopsBackedBy(f)).includes(dev) ? f : undefined;
}

/** The VG's tags as vgs lists them (without `@`); undefined when the VG does not exist. */
export async function vgTags(name: string): Promise<string[] | undefined> {
  const r = await run(['vgs', '--noheadings', '-o', 'vg_tags', name]);
  if (r.exitCode !== 0) return undefined;
  return r.stdout.trim().split(',').map((t) => t.trim()).filter(Boolean);
}

export async function addVgTag(name: string, tag: string): Promise<void> {
  await must(['vgchange', '-q', '--addtag', tag, name]);
}
