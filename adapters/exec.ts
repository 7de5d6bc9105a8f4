import { AsyncLocalStorage } from 'node:async_hooks';
import type { DriverLog, LogLevel } from './resources/driver.js';

/** Who is told the pid of each command runCommand spawns, within reportingSpawns (an action's runner). */
const spawnWatch = new AsyncLocalStorage<(pid: number) => void>();

/** Run `fn`, telling `onSpawn` the pid of every command runCommand starts within it, as it starts. */
export function reportingSpawns<T>(onSpawn: (pid: number) => void, fn: () => Promise<T>): Promise<T> {
  return spawnWatch.run(onSpawn, fn);
}

/**
 * execa is loaded on the first command, not with this module: its ~260
 * modules took ~100 ms of every CLI start, and most (print status from the
 * daemon, svcmon) run no command.
 */
let loaded: Promise<typeof import('execa')> | undefined;
const loadExeca = () => (loaded ??= import('execa'));

export interface CommandResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly durationMs: number;
  readonly timedOut: boolean;
}

export interface RunOptions {
  readonly signal?: AbortSignal;
  readonly timeoutMs?: number;
  /** log the command line and its output the way the tutorial shows them, each line awaited */
  readonly log?: DriverLog;
  /** print the command line before running it (default true when log is set) */
  readonly echo?: boolean;
  readonly env?: Record<string, string>;
  /** false: `env` is the whole environment, nothing inherited (default true) */
  readonly inheritEnv?: boolean;
  readonly cwd?: string;
  readonly uid?: number;
  readonly gid?: number;
  /** a non-zero exit is not an error for this call (status probes) */
  readonly input?: string;
}

/**
 * Run one command from an argument array, never through a shell, so config
 * values are data. Output is shown as the tutorial does:
 *   vgchange --addtag @node1 vgsvc1
 *   output:
 *     Volume group "vgsvc1" successfully changed      (LVM's own indent)
 *   (blank)
 * Output lines are shown as the command printed them.
 */
export async function runCommand(argv: readonly string[], o: RunOptions = {}): Promise<CommandResult> {
  const [file, ...args] = argv;
  if (file === undefined) throw new Error('runCommand: empty argv');
  if (o.log && o.echo !== false) await o.log('info', argv.map(quoteForDisplay).join(' '));
  const { execa } = await loadExeca();
  const t0 = performance.now();
  const sub = execa(file, args, {
    reject: false,
    all: false,
    stdin: o.input !== undefined ? 'pipe' : 'ignore',
    input: o.input,
    cancelSignal: o.signal,
    timeout: o.timeoutMs,
    forceKillAfterDelay: 2000,
    env: o.env,
    extendEnv: o.inheritEnv !== false,
    cwd: o.cwd,
    uid: o.uid,
    gid: o.gid,
    stripFinalNewline: true,
  });
  if (sub.pid !== undefined) spawnWatch.getStore()?.(sub.pid);
  const r = await sub;
  const result: CommandResult = {
    exitCode: typeof r.exitCode === 'number' ? r.exitCode : r.timedOut ? 124 : 1,
    stdout: typeof r.stdout === 'string' ? r.stdout : '',
    stderr: typeof r.stderr === 'string' && r.stderr !== '' ? r.stderr : r.failed && r.exitCode === undefined ? (r.shortMessage ?? '') : '',
    durationMs: performance.now() - t0,
    timedOut: Boolean(r.timedOut),
  };
  if (o.log && o.echo !== false) {
    const text = [result.stdout, result.stderr].filter((s) => s.trim() !== '').join('\n');
    if (text !== '') {
      const level: LogLevel = result.exitCode === 0 ? 'info' : 'error';
      await o.log(level, 'output:');
      for (const line of text.split('\n')) await o.log(level, line);
      await o.log(level, '');
    }
  }
  return result;
}

/** Show an argument the way a user could paste it back into a shell. */
export function quoteForDisplay(a: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}
