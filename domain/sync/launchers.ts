/**
 * What a node accepts of the launchers a peer pushes with `sync nodes`. The
 * receiving daemon runs as root and writes what it is sent as root: a file
 * mode or a <svc>.d link target is a privilege, not a detail. Pure: paths
 * and modes in, verdicts out.
 */
import { showPath } from '../escape.js';

/** rwxr-xr-x: a launcher is run and read by root, and read by anyone. */
export const LAUNCHER_MODE_MASK = 0o755;

const DROPPED_BITS: ReadonlyArray<readonly [number, string]> = [
  [0o4000, 'setuid'],
  [0o2000, 'setgid'],
  [0o1000, 'sticky'],
  [0o020, 'group write'],
  [0o002, 'other write'],
];

export interface MaskedMode {
  readonly mode: number;
  /** the bits taken away, in words: setuid, setgid, sticky, group write, other write */
  readonly dropped: readonly string[];
}

/**
 * A pushed launcher mode, masked to 0755: a root-owned setuid file or one
 * anyone can rewrite is never created by a sync. Nothing is refused: the
 * bits are dropped and said.
 */
export function maskLauncherMode(mode: number): MaskedMode {
  return { mode: mode & LAUNCHER_MODE_MASK, dropped: DROPPED_BITS.filter(([bit]) => (mode & bit) !== 0).map(([, name]) => name) };
}

export const octal = (mode: number): string => mode.toString(8).padStart(4, '0');

/** A POSIX path made absolute against base and normalized ('.', '..' and '//' resolved), as the kernel reads a link target without following links. */
export function resolvePosix(base: string, target: string): string {
  const parts: string[] = [];
  for (const seg of (target.startsWith('/') ? target : `${base}/${target}`).split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') parts.pop();
    else parts.push(seg);
  }
  return `/${parts.join('/')}`;
}

const within = (p: string, root: string): boolean => p === root || p.startsWith(`${root}/`);

export interface LinkRoots {
  /** <OSVCETC>: where <svc>.d is, what a relative target is read against */
  readonly etc: string;
  /** <OSVCETC>/<svc>.dir */
  readonly dir: string;
  /** the fs#*.mnt values of the pushed config, references expanded for this node */
  readonly mnts: readonly string[];
}

/**
 * Where a pushed <svc>.d may point: the service's own <svc>.dir, or a path
 * under one of its filesystems' mount points (the tutorial moves the
 * launchers to /svc1/app/init.d). A mount point of `/` allows nothing: it
 * would allow everything. Checked on the path as written, since on a passive
 * node the filesystem is not mounted and there is nothing to follow yet.
 * Undefined when allowed, else why not, in the user's words.
 */
export function launcherLinkRefusal(target: string, roots: LinkRoots): string | undefined {
  const resolved = resolvePosix(roots.etc, target);
  if (within(resolved, resolvePosix('/', roots.dir))) return undefined;
  const mnts = roots.mnts.filter((m) => m.startsWith('/')).map((m) => resolvePosix('/', m)).filter((m) => m !== '/');
  if (mnts.some((m) => within(resolved, m))) return undefined;
  const allowed = [roots.dir, ...mnts.map((m) => `${m}/...`)].map(showPath).join(', ');
  return `it resolves to ${showPath(resolved)}, outside the service's launcher directory and filesystems (allowed: ${allowed})`;
}
