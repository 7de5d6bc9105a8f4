import { open } from 'node:fs/promises';
import path from 'node:path';
import type { TestScope } from './scope.js';
import { must } from './sh.js';

/** A sparse image file of `sizeMiB` in `dir` (use createTempDir for `dir`). */
export async function createImageFile(dir: string, sizeMiB: number, name = 'disk.img'): Promise<string> {
  const file = path.join(dir, name);
  const fh = await open(file, 'wx', 0o600);
  try {
    await fh.truncate(sizeMiB * 1024 * 1024);
  } finally {
    await fh.close();
  }
  return file;
}

/** Attach `file` to the first free loop device; returns `/dev/loopN`. */
export async function attachLoop(scope: TestScope, file: string): Promise<string> {
  scope.track({ kind: 'loop', file });
  return (await must(['losetup', '-f', '--show', file])).trim();
}

/** mkfs.ext4, quiet, on a device or an image file. */
export async function mkfsExt4(target: string): Promise<void> {
  await must(['mkfs.ext4', '-q', '-F', target], { timeoutMs: 120_000 });
}

/** An image file with an ext4 file system, attached to a loop device. */
export async function createExt4Loop(scope: TestScope, dir: string, sizeMiB = 32, name = 'fs.img'): Promise<{ file: string; dev: string }> {
  const file = await createImageFile(dir, sizeMiB, name);
  await mkfsExt4(file);
  return { file, dev: await attachLoop(scope, file) };
}
