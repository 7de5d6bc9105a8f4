import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import path from 'node:path';

const cache = new Map<string, string | undefined>();

/** The absolute path of a command found in PATH, or undefined: lets a driver skip an optional tool. */
export async function findExecutable(name: string): Promise<string | undefined> {
  if (cache.has(name)) return cache.get(name);
  const dirs = (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':').filter(Boolean);
  for (const extra of ['/usr/sbin', '/sbin']) if (!dirs.includes(extra)) dirs.push(extra);
  let found: string | undefined;
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      found = candidate;
      break;
    } catch {
      // not in this dir
    }
  }
  cache.set(name, found);
  return found;
}
