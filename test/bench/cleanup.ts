import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The processes that belong to a node root: started with OSVC_ROOT=<root> (the CLI, the daemon) or naming a file under it (its nats-server's config). */
export function processesOf(root: string): number[] {
  const env = Buffer.from(`OSVC_ROOT=${root}\0`);
  const under = Buffer.from(`${root}/`);
  const out: number[] = [];
  for (const d of fs.readdirSync('/proc')) {
    const pid = Number(d);
    if (!Number.isInteger(pid) || pid <= 1 || pid === process.pid) continue;
    try {
      const environ = fs.readFileSync(`/proc/${pid}/environ`);
      const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`);
      // a zombie reads empty: nothing to kill
      if (environ.includes(env) || cmdline.includes(under)) out.push(pid);
    } catch {
      // gone, or not ours to read
    }
  }
  return out;
}

/**
 * The temp roots a bench made and everything running from them, torn down
 * however the bench ends: finished, failed or interrupted (SIGINT, SIGTERM,
 * SIGHUP). A daemon leads a process group of its own, so a Ctrl-C on the
 * bench never reaches it nor its nats-server: without this they outlive the
 * bench. Every process is found again from /proc at teardown, so a daemon
 * restarted by a join (a new pid) or one half started is not missed.
 */
export class BenchCleanup {
  private readonly roots = new Set<string>();
  private readonly onSignal = (sig: NodeJS.Signals) => {
    console.error(`bench: ${sig}: killing what it started and removing its temp dirs`);
    this.sweep();
    process.exit(128 + (os.constants.signals[sig] ?? 2));
  };
  private readonly onExit = () => this.sweep();

  constructor() {
    for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(s, this.onSignal);
    process.on('exit', this.onExit);
  }

  /** A new temp dir, removed (and whatever runs from it killed) at teardown. */
  tempRoot(prefix: string): string {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    this.roots.add(root);
    return root;
  }

  /** Kill every process of one root (SIGKILL, with its process group) and remove it. Synchronous: it runs from signal and exit handlers too. */
  release(root: string): void {
    for (let round = 0; round < 5; round++) {
      const pids = processesOf(root);
      if (pids.length === 0) break;
      for (const pid of pids) {
        for (const target of [-pid, pid]) {
          try {
            process.kill(target, 'SIGKILL');
          } catch {
            // not a group leader, or already gone
          }
        }
      }
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
    }
    fs.rmSync(root, { recursive: true, force: true });
    this.roots.delete(root);
  }

  sweep(): void {
    for (const root of [...this.roots]) this.release(root);
  }

  /** Sweep what is left and stop listening for signals. */
  close(): void {
    this.sweep();
    for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.off(s, this.onSignal);
    process.off('exit', this.onExit);
  }
}
