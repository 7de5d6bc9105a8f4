import { runCommand } from '../../adapters/exec.js';

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
export function run(argv: readonly string[], o: ShOptions = {}): Promise<ShResult> {
  return runCommand(argv, {
    ...(o.input !== undefined ? { input: o.input } : {}),
    ...(o.cwd !== undefined ? { cwd: o.cwd } : {}),
    env: { ...BASE_ENV, ...o.env },
    timeoutMs: o.timeoutMs ?? 60_000,
  });
}

/** Run a command that must succeed; returns its stdout. */
export async function must(argv: readonly string[], o: ShOptions = {}): Promise<string> {
  const r = await run(argv, o);
  if (r.exitCode !== 0) throw new ShError(argv, r);
  return r.stdout;
}
