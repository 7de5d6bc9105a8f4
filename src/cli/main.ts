import path from 'node:path';
import { exitCodeOf, HasvcError, UsageError } from '../../domain/errors.js';
import { show } from '../../domain/config/show.js';
import { escapeForTerminal } from '../../domain/escape.js';
import { nodePaths } from '../paths.js';
import { flag, opt, parseArgs } from './args.js';
import { colorMode, painter } from './color.js';
import type { CliContext, CommandTable } from './context.js';
import { permissionLine } from './permission.js';

/** Longest match of the action words against the table: "print status", "start"... */
function findAction(table: CommandTable, words: readonly string[]): { key: string; rest: string[] } | undefined {
  for (let n = Math.min(3, words.length); n >= 1; n--) {
    const key = words.slice(0, n).join(' ');
    if (Object.hasOwn(table, key)) return { key, rest: words.slice(n) };
  }
  return undefined;
}

export function usage(prog: string, table: CommandTable): string {
  const width = Math.max(...Object.keys(table).map((k) => k.length));
  const lines = Object.entries(table).map(([k, e]) => `  ${k.padEnd(width)}  ${e.summary}`);
  return [`usage: ${prog} ${prog === 'svcmgr' ? '-s SVC ' : ''}ACTION [OPTIONS]`, '', 'actions:', ...lines, '', 'common options: --help, --format json, --color auto|yes|no'].join('\n');
}

/**
 * A reader that goes away (`svcmon | head -1`, `print history | head`)
 * closes the pipe: what is left to print is dropped, silently, where Node
 * would die of an unhandled EPIPE with a stack trace. The command itself
 * runs to its end, with its own exit code: an action is never cut short
 * because nobody reads its output any more.
 */
const gone = new Set<NodeJS.WriteStream>();
let watching = false;

function quietWhenClosed(): void {
  if (watching) return;
  watching = true;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE' && e.code !== 'ERR_STREAM_DESTROYED') throw e;
      gone.add(stream);
    });
  }
}

/** Whether the reader of stdout went away (a --watch loop ends then). */
export function stdoutClosed(): boolean {
  return gone.has(process.stdout) || process.stdout.destroyed;
}

function write(stream: NodeJS.WriteStream, line: string): void {
  if (gone.has(stream) || stream.destroyed) return;
  stream.write(`${line}\n`);
}

export interface MainOptions {
  readonly prog: 'svcmgr' | 'nodemgr' | 'svcmon';
  readonly table: CommandTable;
  readonly argv: readonly string[];
  /** argv[1] as invoked: a per-service symlink names the service */
  readonly invokedAs: string;
  readonly svcmgrPath: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly out?: (line: string) => void;
  readonly err?: (line: string) => void;
  /** svcmon has a single action */
  readonly defaultAction?: string;
}

export async function main(o: MainOptions): Promise<number> {
  if (o.out === undefined || o.err === undefined) quietWhenClosed();
  const out = o.out ?? ((l: string) => write(process.stdout, l));
  const rawErr = o.err ?? ((l: string) => write(process.stderr, l));
  // every error line: a name, a value or a peer's words in it never act on the terminal
  const err = (l: string) => rawErr(escapeForTerminal(l));
  const env = o.env ?? process.env;
  try {
    const args = parseArgs(o.argv);
    const base = path.basename(o.invokedAs);
    const svc = opt(args, 'service') ?? (o.prog === 'svcmgr' && base !== 'svcmgr' && !base.endsWith('.js') ? base : undefined);
    const found = o.defaultAction !== undefined ? { key: o.defaultAction, rest: args.words } : findAction(o.table, args.words);
    if (!found) {
      if (args.words.length === 0) {
        out(usage(o.prog, o.table));
        return flag(args, 'help') ? 0 : 2;
      }
      // with or without --help: a script can tell from the exit code whether an action exists
      throw new UsageError(`${o.prog}: unknown action ${show(args.words.join(' '))} (see ${o.prog} --help)`);
    }
    const entry = o.table[found.key]!;
    if (flag(args, 'help')) {
      out(`${o.prog} ${found.key}: ${entry.summary}`);
      return 0;
    }
    const ctx: CliContext = {
      args: { words: found.rest, opts: args.opts },
      paths: nodePaths(env),
      env,
      paint: painter(colorMode(opt(args, 'color')), Boolean(process.stdout.isTTY)),
      svc,
      svcmgrPath: o.svcmgrPath,
      out,
      err,
    };
    const mod = await entry.load();
    return await mod.run(ctx);
  } catch (e) {
    const denied = permissionLine(o.prog, e);
    if (denied !== undefined) {
      err(denied);
      return 1;
    }
    if (e instanceof HasvcError) {
      for (const line of e.message.split('\n')) err(line);
      return exitCodeOf(e);
    }
    for (const line of `${o.prog}: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`.split('\n')) err(line);
    return 1;
  }
}
