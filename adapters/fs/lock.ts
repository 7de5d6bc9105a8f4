import fs from 'node:fs';
import { exited, procStat } from '../system/procStat.js';
import path from 'node:path';
import { ConflictError } from '../../domain/errors.js';

/**
 * Whether a process runs. A zombie does not: it has exited and waits for its
 * parent to reap it, which PID 1 may do seconds later, while `kill -0` still
 * succeeds. Where /proc says nothing, kill -0 (EPERM: it runs, owned by
 * someone else).
 */
export function pidAlive(pid: number): boolean {
  const st = procStat(pid);
  if (st !== undefined) return !exited(st.state);
  // no /proc entry: gone, or no /proc here
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A lock file holding the owner's pid, created with O_EXCL. A lock whose owner
 * died (kill -9) is taken over: a crashed command never blocks the node.
 */
export class FileLock {
  private held = false;
  constructor(readonly file: string) {}

  /** The pid holding the lock, if any process alive holds it. */
  holder(): number | undefined {
    try {
      const pid = Number(fs.readFileSync(this.file, 'utf8').trim());
      return Number.isInteger(pid) && pid > 0 && pidAlive(pid) ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  tryAcquire(): boolean {
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    for (let i = 0; i < 3; i++) {
      try {
        const fd = fs.openSync(this.file, 'wx', 0o600);
        fs.writeSync(fd, `${process.pid}\n`);
        fs.closeSync(fd);
        this.held = true;
        return true;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        const owner = this.holder();
        if (owner === process.pid && !this.held) return false;
        if (owner !== undefined) return false;
        // stale: its owner is gone (or the file is half-written by an owner that died)
        try {
          const st = fs.statSync(this.file);
          if (st.size === 0 && Date.now() - st.mtimeMs < 1000) return false;
          fs.unlinkSync(this.file);
        } catch {
          /* someone else removed it first: try again */
        }
      }
    }
    return false;
  }

  async acquire(timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let wait = 2;
    while (!this.tryAcquire()) {
      if (Date.now() > deadline) {
        const pid = this.holder();
        throw new ConflictError(`${what}: ${this.file} is held by pid ${pid ?? '?'} (waited ${timeoutMs} ms)`);
      }
      await new Promise((r) => setTimeout(r, wait));
      wait = Math.min(50, wait * 2);
    }
  }

  release(): void {
    if (!this.held) return;
    this.held = false;
    try {
      fs.unlinkSync(this.file);
    } catch {
      /* already gone */
    }
  }
}
