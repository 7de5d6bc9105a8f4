import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { exited, procStat } from './procStat.js';

/**
 * The commands an action runs (ip, vgchange, e2fsck, mount, a launcher's
 * start...), each recorded by pid and start time in `<svc>.action.children`
 * beside the action lock as it is spawned. A daemon killed in the middle of
 * an action leaves the command it was running behind (its children are not
 * killed with it); the daemon that starts next finds it here, and waits for
 * it to end (or ends it) before it records the action interrupted, so what
 * the orchestrator then decides (rule 11: stop what the start left up) does
 * not race with a mount or a check still on its way.
 */
export class ActionChildren {
  constructor(private readonly file: string) {}

  /** A new action: no command of it yet. */
  reset(): void {
    fs.writeFileSync(this.file, '');
  }

  add(pid: number): void {
    const start = startTime(pid);
    if (start !== undefined) fs.appendFileSync(this.file, `${pid} ${start}\n`);
  }

  /** The action ended: nothing of it is left to wait for. */
  clear(): void {
    fs.rmSync(this.file, { force: true });
  }

  /** Every command recorded (pid and start time), running or not; undefined when there is no record at all. */
  recorded(): string[] | undefined {
    try {
      return fs.readFileSync(this.file, 'utf8').split('\n').filter((l) => l.trim() !== '');
    } catch {
      return undefined;
    }
  }

  /** The recorded commands still running (the same pid and start time: not a pid reused since). */
  alive(): number[] {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch {
      return [];
    }
    const out: number[] = [];
    for (const line of text.split('\n')) {
      const [pid, start] = line.trim().split(' ').map(Number);
      if (pid !== undefined && Number.isInteger(pid) && pid > 0 && start !== undefined && startTime(pid) === start) out.push(pid);
    }
    return out;
  }

  /**
   * Wait up to `graceMs` for the recorded commands still running to end,
   * then SIGTERM them, then SIGKILL what is left 5 s later. Returns what was
   * found running and what had to be ended.
   */
  async settle(graceMs: number): Promise<{ readonly found: readonly number[]; readonly ended: readonly number[] }> {
    const found = this.alive();
    if (found.length === 0) return { found, ended: [] };
    const until = Date.now() + graceMs;
    while (Date.now() < until && this.alive().length > 0) await sleep(100);
    const ended = this.alive();
    for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
      const left = this.alive();
      if (left.length === 0) break;
      for (const pid of left) {
        try {
          process.kill(pid, signal);
        } catch {
          /* gone meanwhile */
        }
      }
      for (let i = 0; i < 50 && this.alive().length > 0; i++) await sleep(100);
    }
    return { found, ended };
  }
}

/** A process's start time (clock ticks since boot); undefined when it is gone or a zombie. */
function startTime(pid: number): number | undefined {
  const st = procStat(pid);
  return st === undefined || exited(st.state) || !Number.isFinite(st.startTime) ? undefined : st.startTime;
}
