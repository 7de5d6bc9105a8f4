import { readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';

/** Facts about processes and the kernel's tables, read from /proc and /sys (no commands). */

/** Start time of a process (field 22 of /proc/PID/stat): with the pid, identifies it across pid reuse. */
export function processStartTime(pid: number): string | undefined {
  try {
    const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return st.slice(st.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** Alive and not a zombie. */
export function pidAlive(pid: number): boolean {
  try {
    const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return st.slice(st.lastIndexOf(')') + 2, st.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

export interface MountLine {
  readonly source: string;
  readonly target: string;
  readonly fstype: string;
}

function unescape(v: string): string {
  return v.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** /proc/self/mounts of the test process. */
export async function mounts(): Promise<MountLine[]> {
  const text = await readFile('/proc/self/mounts', 'utf8');
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [source = '', target = '', fstype = ''] = l.split(' ');
      return { source: unescape(source), target: unescape(target), fstype };
    });
}

export async function isMountPoint(p: string): Promise<boolean> {
  return (await mounts()).some((m) => m.target === p);
}

/** Mount points at or below `dir`, deepest first (the order to unmount them). */
export async function mountsUnder(dir: string): Promise<string[]> {
  const base = dir.replace(/\/+$/, '');
  const found = (await mounts()).map((m) => m.target).filter((t) => t === base || t.startsWith(`${base}/`));
  return [...new Set(found)].sort((a, b) => b.split('/').length - a.split('/').length || b.length - a.length);
}

/** Every attached loop device and its backing file, from sysfs. */
export async function loopTable(): Promise<{ dev: string; file: string }[]> {
  const out: { dev: string; file: string }[] = [];
  for (const name of await readdir('/sys/block')) {
    if (!name.startsWith('loop')) continue;
    try {
      const file = (await readFile(`/sys/block/${name}/loop/backing_file`, 'utf8')).trim().replace(/ \(deleted\)$/, '');
      out.push({ dev: `/dev/${name}`, file });
    } catch {
      // not attached
    }
  }
  return out;
}

/** Loop devices (`/dev/loopN`) whose backing file is `file` (or lies under it when `under`). */
export async function loopsBackedBy(file: string, under = false): Promise<string[]> {
  const base = file.replace(/\/+$/, '');
  return (await loopTable()).filter((l) => l.file === file || (under && l.file.startsWith(`${base}/`))).map((l) => l.dev);
}
