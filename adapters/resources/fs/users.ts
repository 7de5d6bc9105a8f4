import { readdir, readFile, stat } from 'node:fs/promises';

export interface FsUser {
  readonly pid: number;
  readonly comm: string;
  /** how it holds the file system: cwd, root, exe, fd, maps */
  readonly how: readonly string[];
}

function devOf(st: { dev: number }): number {
  return st.dev;
}

/** major:minor of a dev_t as /proc/PID/maps prints it (hex, e.g. `07:03`). */
function mapsDev(dev: number): string {
  const major = ((dev >> 8) & 0xfff) | (Math.floor(dev / 2 ** 32) & ~0xfff);
  const minor = (dev & 0xff) | ((dev >> 12) & 0xfff00);
  return `${major.toString(16).padStart(2, '0')}:${minor.toString(16).padStart(2, '0')}`;
}

async function sameDev(p: string, dev: number): Promise<boolean> {
  try {
    return devOf(await stat(p)) === dev;
  } catch {
    return false;
  }
}

/**
 * The processes using the file system mounted on `mnt`, found the way fuser -m
 * does: by device number, not by path, so a process of another mount
 * namespace whose cwd merely has the same path is not counted. Our own
 * process is left out: the agent never kills itself.
 */
export async function findFsUsers(mnt: string): Promise<FsUser[]> {
  let dev: number;
  try {
    dev = devOf(await stat(mnt));
  } catch {
    return [];
  }
  const mdev = mapsDev(dev);
  const users: FsUser[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    const how: string[] = [];
    for (const link of ['cwd', 'root', 'exe'] as const) {
      if (await sameDev(`/proc/${pid}/${link}`, dev)) how.push(link);
    }
    try {
      for (const fd of await readdir(`/proc/${pid}/fd`)) {
        if (await sameDev(`/proc/${pid}/fd/${fd}`, dev)) {
          how.push('fd');
          break;
        }
      }
    } catch {
      // process gone or not ours to read
    }
    try {
      const maps = await readFile(`/proc/${pid}/maps`, 'utf8');
      if (maps.split('\n').some((l) => l.split(/\s+/)[3] === mdev && l.split(/\s+/)[4] !== '0')) how.push('maps');
    } catch {
      // idem
    }
    if (how.length === 0) continue;
    let comm = '?';
    try {
      comm = (await readFile(`/proc/${pid}/comm`, 'utf8')).trim();
    } catch {
      // exited meanwhile
    }
    users.push({ pid, comm, how });
  }
  return users;
}

export function describeUsers(users: readonly FsUser[]): string {
  return users.map((u) => `pid ${u.pid} (${u.comm}, ${u.how.join('+')})`).join(', ');
}
