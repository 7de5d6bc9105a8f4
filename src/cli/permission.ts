import fs from 'node:fs';
import path from 'node:path';
import { HasvcError } from '../../domain/errors.js';
import { showPath } from '../../domain/escape.js';

const DENIED = new Set(['EACCES', 'EPERM']);
/** Calls denied by the directory holding the path, not by the file itself. */
const IN_DIRECTORY = new Set(['mkdir', 'unlink', 'rmdir', 'rename', 'symlink', 'link']);

/** The first permission failure in an error and its causes, with the file or socket it was about. */
function deniedOf(e: unknown): (NodeJS.ErrnoException & { address?: string }) | undefined {
  for (let cur = e, depth = 0; cur instanceof Error && depth < 8; cur = cur.cause, depth++) {
    const x = cur as NodeJS.ErrnoException & { address?: string };
    if (x.code !== undefined && DENIED.has(x.code) && (x.path !== undefined || x.address !== undefined)) return x;
  }
  return undefined;
}

function readable(p: string): boolean {
  try {
    fs.accessSync(p, fs.constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

/** What the denied file is to this user: not readable, or readable but not writable (or its directory is not). */
function whatIsDenied(x: NodeJS.ErrnoException & { address?: string }): string {
  if (x.syscall === 'connect') return `the daemon socket ${showPath(x.address ?? x.path ?? '')} is root's only`;
  const p = x.path!;
  if (IN_DIRECTORY.has(x.syscall ?? '') || !fs.existsSync(p)) return `${showPath(path.dirname(p))} is writable by root only`;
  return readable(p) ? `${showPath(p)} is writable by root only` : `${showPath(p)} is readable by root only`;
}

/**
 * A command that needs root-only files, run by another user: one line that
 * says so and which file, instead of a stack trace. Undefined when the error
 * is not a permission failure, or, as root, one an error of ours already
 * words. As root, any other permission failure is one line too, naming the
 * call and the file.
 */
export function permissionLine(prog: string, e: unknown, uid: number | undefined = process.getuid?.()): string | undefined {
  const x = deniedOf(e);
  if (x === undefined || (uid === 0 && e instanceof HasvcError)) return undefined;
  if (uid !== 0) return `${prog}: must run as root (${whatIsDenied(x)})`;
  return `${prog}: permission denied: ${x.syscall ?? 'access'} ${showPath(x.path ?? x.address ?? '')}`;
}
