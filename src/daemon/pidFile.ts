import fs from 'node:fs';
import path from 'node:path';
import { ConflictError } from '../../domain/errors.js';
import type { NodePaths } from '../paths.js';

export function pidFilePath(p: NodePaths): string {
  return path.join(p.var, 'osvcd.pid');
}

export function daemonOutPath(p: NodePaths): string {
  return path.join(p.log, 'daemon.out');
}

function cmdline(pid: number): string[] | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return undefined;
  }
}

/**
 * A live process running `... daemon run`: a pid file left by a daemon that
 * died, its pid since reused by some other program, is not ours to signal.
 */
export function isDaemonProcess(pid: number): boolean {
  const argv = cmdline(pid);
  if (argv === undefined) return false;
  const i = argv.indexOf('daemon');
  return i >= 0 && argv[i + 1] === 'run';
}

function readPid(file: string): number | undefined {
  try {
    const n = Number(fs.readFileSync(file, 'utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/** The pid of the node's running daemon, from <OSVCVAR>/osvcd.pid, if it is alive. */
export function runningDaemonPid(p: NodePaths): number | undefined {
  const pid = readPid(pidFilePath(p));
  return pid !== undefined && isDaemonProcess(pid) ? pid : undefined;
}

/**
 * Write our pid, exclusively: one daemon per node. A file whose pid is not a
 * live daemon is stale (kill -9, reboot) and replaced.
 */
export function acquirePidFile(p: NodePaths, pid = process.pid): void {
  const file = pidFilePath(p);
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = fs.openSync(file, 'wx', 0o644);
      fs.writeSync(fd, `${pid}\n`);
      fs.closeSync(fd);
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const other = readPid(file);
    if (other !== undefined && other !== pid && isDaemonProcess(other)) throw new ConflictError(`the daemon is already running (pid ${other}, ${file})`);
    fs.rmSync(file, { force: true });
  }
  throw new ConflictError(`${file}: another daemon is starting at the same time`);
}

export function releasePidFile(p: NodePaths, pid = process.pid): void {
  const file = pidFilePath(p);
  if (readPid(file) === pid) fs.rmSync(file, { force: true });
}
