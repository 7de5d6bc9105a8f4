import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export interface AtomicWriteOptions {
  /** mode of a new file; an existing file keeps its own */
  readonly mode?: number;
  /** force this mode even on an existing file (the file holding the cluster secret is 0600) */
  readonly forceMode?: number;
  /** fail with EEXIST when the file exists: two racing creators never both win */
  readonly exclusive?: boolean;
}

/**
 * Write a file so readers see the old text or the new one, never a part:
 * temp file in the same directory, fsync, then rename (or link, when
 * exclusive). The temp file is mode-restricted from the start, so a secret
 * is never readable by others, even for an instant.
 */
export function writeFileAtomic(file: string, text: string, o: AtomicWriteOptions = {}): void {
  const dir = path.dirname(file);
  fs.mkdirSync(dir, { recursive: true });
  let mode = o.forceMode ?? o.mode ?? 0o644;
  if (o.forceMode === undefined) {
    try {
      mode = fs.statSync(file).mode & 0o7777;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
  const tmp = path.join(dir, `.${path.basename(file)}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`);
  const fd = fs.openSync(tmp, 'wx', mode & 0o600);
  try {
    try {
      fs.writeFileSync(fd, text);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.chmodSync(tmp, mode);
    if (o.exclusive) fs.linkSync(tmp, file);
    else fs.renameSync(tmp, file);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}
