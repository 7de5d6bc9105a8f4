import { execa } from 'execa';

/** Commands run by tests and their cleanup: argument arrays, never a shell. */

export interface ShResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface ShOptions {
  readonly timeoutMs?: number;
  readonly input?: string;
  readonly cwd?: string;
  /** added to the inherited environment */
  readonly env?: Record<string, string>;
}

/** LVM warns on stderr about every fd jest and execa leave open. */
const BASE_ENV = { LVM_SUPPRESS_FD_WARNINGS: '1' };

export class ShError extends Error {
  readonly result: ShResult;
  constructor(argv: readonly string[], result: ShResult) {
    super(`\`${argv.join(' ')}\` exited ${result.exitCode}: ${(result.stderr || result.stdout).trim()}`);
    this.result = result;
    this.name = 'ShError';
  }
}

/** Run a command; a non-zero exit is returned, not thrown. */
export async function run(argv: readonly string[], o: ShOptions = {}): Promise<ShResult> {
  const [file, ...args] = argv;
  if (file === undefined) throw new Error('run: empty argv');
  const r = await execa(file, args, {
    reject: false,
    stdin: o.input !== undefined ? 'pipe' : 'ignore',
    input: o.input,
    cwd: o.cwd,
    env: { ...BASE_ENV, ...o.env },
    timeout: o.timeoutMs ?? 60_000,
    forceKillAfterDelay: 2000,
    stripFinalNewline: true,
  });
  const stderr = typeof r.stderr === 'string' ? r.stderr : '';
  return {
    exitCode: typeof r.exitCode === 'number' ? r.exitCode : r.timedOut ? 124 : 1,
    stdout: typeof r.stdout === 'string' ? r.stdout : '',
    stderr: stderr !== '' ? stderr : r.failed && r.exitCode === undefined ? (r.shortMessage ?? '') : '',
  };
}

/** Run a command that must succeed; returns its stdout. */
export async function must(argv: readonly string[], o: ShOptions = {}): Promise<string> {
  const r = await run(argv, o);
  if (r.exitCode !== 0) throw new ShError(argv, r);
  return r.stdout;
}
