import fs from 'node:fs';
import path from 'node:path';
import type { AsOfCheckpoint } from '../../projections/asOf.js';

/**
 * The --at checkpoints of a node's log, one file each, named by stream
 * sequence, in a directory beside the daemon's snapshot. Files are written
 * whole (tmp, fsync, rename): a crash leaves a checkpoint or none. A file
 * that does not read is as if missing: it is rebuilt from the log.
 */
export class AsOfCheckpointFiles {
  constructor(
    readonly dir: string,
    private readonly cluster: string,
  ) {}

  /** the sequences of the checkpoints present, ascending */
  list(): number[] {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir);
    } catch {
      return [];
    }
    return names
      .map((n) => /^(\d+)\.json$/.exec(n)?.[1])
      .filter((x): x is string => x !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
  }

  read(seq: number): AsOfCheckpoint | undefined {
    try {
      const raw = JSON.parse(fs.readFileSync(this.file(seq), 'utf8')) as { cluster?: unknown; checkpoint?: AsOfCheckpoint };
      const c = raw.checkpoint;
      if (raw.cluster !== this.cluster || c?.v !== 1 || c.seq !== seq || typeof c.from !== 'number' || typeof c.state !== 'object' || c.state === null) return undefined;
      return c;
    } catch {
      return undefined;
    }
  }

  /** false when it cannot be written (a reader without the rights): the view is still answered, only slower next time */
  write(c: AsOfCheckpoint): boolean {
    try {
      fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      const file = this.file(c.seq);
      const tmp = `${file}.${process.pid}.tmp`;
      const fd = fs.openSync(tmp, 'w', 0o600);
      try {
        fs.writeSync(fd, JSON.stringify({ cluster: this.cluster, checkpoint: c }));
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      fs.renameSync(tmp, file);
      return true;
    } catch {
      return false;
    }
  }

  /** drop the checkpoints from `seq` on (a stream that no longer holds what they were cut from) */
  dropFrom(seq: number): void {
    for (const s of this.list()) if (s >= seq) fs.rmSync(this.file(s), { force: true });
  }

  private file(seq: number): string {
    return path.join(this.dir, `${seq}.json`);
  }
}
