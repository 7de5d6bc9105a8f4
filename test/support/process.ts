import { spawn } from 'node:child_process';
import { processStartTime } from './proc.js';
import type { TestScope } from './scope.js';
import { waitFor } from './wait.js';

/**
 * A background process (its own process group), killed with its group by
 * scope.close(): e.g. a `sleep` whose cwd keeps a mount point busy.
 */
export async function spawnTracked(scope: TestScope, argv: readonly string[], o: { cwd?: string } = {}): Promise<number> {
  const [file, ...args] = argv;
  if (file === undefined) throw new Error('spawnTracked: empty argv');
  const child = spawn(file, args, { cwd: o.cwd, detached: true, stdio: 'ignore' });
  const pid = await new Promise<number>((resolve, reject) => {
    child.once('spawn', () => resolve(child.pid ?? -1));
    child.once('error', reject);
  });
  child.unref();
  let start: string | undefined;
  await waitFor(`pid ${pid} in /proc`, () => (start = processStartTime(pid)) !== undefined, 2000);
  // recorded right after the spawn: a pid is only known once it exists
  scope.track({ kind: 'pid', pid, start: start ?? '0', group: true });
  return pid;
}

/** Track a process someone else started (a daemon a launcher left running). */
export function trackPid(scope: TestScope, pid: number, group = false): void {
  const start = processStartTime(pid);
  if (start !== undefined) scope.track({ kind: 'pid', pid, start, group });
}
