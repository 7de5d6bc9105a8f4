import { readFile, realpath } from 'node:fs/promises';
import path from 'node:path';

export interface MountEntry {
  readonly source: string;
  readonly target: string;
  readonly fstype: string;
  readonly options: string;
}

/** /proc/mounts escapes space, tab, newline and backslash as octal (\040...). */
function unescapeMountField(v: string): string {
  return v.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

export function parseMounts(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const [source, target, fstype, options] = line.split(' ');
    if (source === undefined || target === undefined || fstype === undefined) continue;
    out.push({ source: unescapeMountField(source), target: unescapeMountField(target), fstype, options: options ?? '' });
  }
  return out;
}

/** The mount table of this process' mount namespace. */
export async function readMounts(): Promise<MountEntry[]> {
  return parseMounts(await readFile('/proc/self/mounts', 'utf8'));
}

/** The path the kernel shows for a directory: symlinks resolved when it exists. */
export async function canonicalPath(p: string): Promise<string> {
  try {
    return await realpath(p);
  } catch {
    return path.resolve(p);
  }
}

/** The file behind a loop device (`/dev/loop3` → `/srv/disk.img`), from sysfs. */
export async function loopBackingFile(dev: string): Promise<string | undefined> {
  const m = /^\/dev\/(loop\d+)$/.exec(dev);
  if (!m) return undefined;
  try {
    const f = (await readFile(`/sys/block/${m[1]}/loop/backing_file`, 'utf8')).trim();
    return f.replace(/ \(deleted\)$/, '');
  } catch {
    return undefined;
  }
}

/**
 * Whether a mount entry's source is `dev`: the same block device after
 * symlinks (/dev/mapper/x → /dev/dm-0), a loop device backed by the file
 * `dev`, or, for pseudo file systems (tmpfs), the same source string.
 */
export async function sourceMatches(entrySource: string, dev: string): Promise<boolean> {
  if (entrySource === dev) return true;
  if (!path.isAbsolute(dev)) return false;
  const want = await canonicalPath(dev);
  if ((await canonicalPath(entrySource)) === want) return true;
  const backing = await loopBackingFile(entrySource);
  return backing !== undefined && backing === want;
}
