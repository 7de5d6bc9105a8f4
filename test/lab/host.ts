import { runCommand } from '../../adapters/exec.js';
import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';

/** Host-side helpers of the lab: commands, the mount table, loop devices, processes by namespace. */

export class LabError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'LabError';
  }
}

export interface CmdResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CmdOptions {
  /** the whole environment of the command (nothing is inherited when set) */
  readonly env?: Record<string, string>;
  readonly input?: string;
  readonly timeoutMs?: number;
}

/** LVM warns on every fd it inherits (jest and execa leave some open). */
const HOST_ENV = { LVM_SUPPRESS_FD_WARNINGS: '1' };

export function cmd(argv: readonly string[], o: CmdOptions = {}): Promise<CmdResult> {
  if (argv.length === 0) throw new LabError('cmd: empty argv');
  return runCommand(argv, {
    ...(o.input !== undefined ? { input: o.input } : {}),
    env: o.env ?? HOST_ENV,
    inheritEnv: o.env === undefined,
    timeoutMs: o.timeoutMs ?? 60_000,
  });
}

/** Run a command that must succeed; the error names the command and its stderr. */
export async function must(argv: readonly string[], o: CmdOptions = {}): Promise<string> {
  const r = await cmd(argv, o);
  if (r.exitCode !== 0) {
    throw new LabError(`lab: \`${argv.join(' ')}\` exited ${r.exitCode}: ${(r.stderr || r.stdout).trim()}`);
  }
  return r.stdout;
}

export interface MountEntry {
  readonly target: string;
  readonly fstype: string;
  readonly source: string;
}

/** Parse /proc/<pid>/mountinfo text (man 5 proc): target is field 5, fstype and source follow " - ". */
export function parseMountinfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const [left, right] = line.split(' - ');
    if (left === undefined || right === undefined) continue;
    const target = left.split(' ')[4];
    const [fstype, source] = right.split(' ');
    if (target === undefined || fstype === undefined) continue;
    out.push({ target: unescapeMount(target), fstype, source: unescapeMount(source ?? '') });
  }
  return out;
}

function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

export function hostMounts(): MountEntry[] {
  return parseMountinfo(readFileSync('/proc/self/mountinfo', 'utf8'));
}

export function isMounted(target: string, fstype?: string, table: MountEntry[] = hostMounts()): boolean {
  return table.some((m) => m.target === target && (fstype === undefined || m.fstype === fstype));
}

/** Unmount every mount stacked on target (a crashed run can leave more than one). */
export async function unmountAll(target: string): Promise<void> {
  for (let i = 0; i < 16 && isMounted(target); i++) {
    const r = await cmd(['umount', target]);
    if (r.exitCode !== 0) await must(['umount', '--lazy', target]);
  }
}

export interface LoopDevice {
  readonly dev: string;
  readonly file: string;
}

/** Loop devices whose backing file is under dir, also when the file was deleted since. */
export async function loopsBackedUnder(dir: string): Promise<LoopDevice[]> {
  const out = await must(['losetup', '--list', '--json', '--output', 'NAME,BACK-FILE']);
  if (out.trim() === '') return [];
  const parsed = JSON.parse(out) as { loopdevices?: { name?: unknown; 'back-file'?: unknown }[] };
  const loops: LoopDevice[] = [];
  for (const l of parsed.loopdevices ?? []) {
    if (typeof l.name !== 'string' || typeof l['back-file'] !== 'string') continue;
    const file = l['back-file'].replace(/ \(deleted\)$/, '');
    if (file.startsWith(`${dir}/`)) loops.push({ dev: l.name, file });
  }
  return loops;
}

/** The `<type>:[inode]` link /proc/PID/ns/<type> shows for a process in the namespace bound on file. */
export async function namespaceLink(type: 'net' | 'uts' | 'mnt', file: string): Promise<string> {
  const st = await fs.stat(file);
  return `${type}:[${st.ino}]`;
}

/** Pids of the processes in any of the given namespaces (links as from namespaceLink). */
export async function processesIn(links: readonly string[]): Promise<number[]> {
  if (links.length === 0) return [];
  const wanted = new Set(links);
  const pids: number[] = [];
  for (const entry of await fs.readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    for (const type of ['net', 'mnt', 'uts']) {
      const link = await fs.readlink(`/proc/${pid}/ns/${type}`).catch(() => undefined);
      if (link !== undefined && wanted.has(link)) {
        pids.push(pid);
        break;
      }
    }
  }
  return pids;
}

/** A zombie counts as gone: it holds no namespace and only its parent can reap it. */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** TERM, then KILL what is still there after graceMs. */
export async function killPids(pids: readonly number[], graceMs = 3000): Promise<void> {
  const signal = (sig: NodeJS.Signals): void => {
    for (const pid of pids) {
      try {
        process.kill(pid, sig);
      } catch {
        // already gone
      }
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (pids.some(alive) && Date.now() < deadline) await sleep(50);
  if (!pids.some(alive)) return;
  signal('SIGKILL');
  const hard = Date.now() + 2000;
  while (pids.some(alive) && Date.now() < hard) await sleep(20);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
