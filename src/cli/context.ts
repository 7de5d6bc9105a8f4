import type { NodePaths } from '../paths.js';
import type { ParsedArgs } from './args.js';
import type { Painter } from './color.js';

/** What every CLI action receives. Output goes through out/err so tests can capture it. */
export interface CliContext {
  readonly args: ParsedArgs;
  readonly paths: NodePaths;
  readonly env: NodeJS.ProcessEnv;
  readonly paint: Painter;
  /** the service chosen by -s or by the program name (svc1 -> svcmgr symlink) */
  readonly svc: string | undefined;
  /** absolute path of the svcmgr launcher, target of the per-service symlinks */
  readonly svcmgrPath: string;
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

export interface CommandModule {
  run(ctx: CliContext): Promise<number>;
}

export interface CommandEntry {
  /** one line shown by --help */
  readonly summary: string;
  /** lazy: an action loads only what it needs, which keeps start-up short */
  readonly load: () => Promise<CommandModule>;
}

export type CommandTable = Readonly<Record<string, CommandEntry>>;

/**
 * A command that also shows the past: with --at, `past` answers from the
 * log (src/cli/log/), otherwise `now` as before. The two stay apart: the
 * present asks the daemon, the past never does.
 */
export function orAt(now: () => Promise<CommandModule>, past: () => Promise<CommandModule>): () => Promise<CommandModule> {
  return async () => ({ run: async (ctx) => (await (ctx.args.opts.has('at') ? past() : now())).run(ctx) });
}
