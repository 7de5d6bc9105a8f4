import { UsageError } from '../../domain/errors.js';

export interface ParsedArgs {
  /** words that are not options, in order: the action ("print status", "start"...) */
  readonly words: string[];
  /** options: --kw a=1 --kw b=2 gives kw: ['a=1','b=2']; booleans are 'true' */
  readonly opts: Map<string, string[]>;
}

/**
 * Options that take no value. Everything else takes the next word (or `=value`).
 * One table for all three commands keeps the CLI consistent.
 */
const BOOLEAN_OPTS = new Set([
  'local', 'force', 'help', 'h', 'debug', 'watch', 'w', 'dry-run', 'recover', 'cron', 'keep', 'foreground', 'discard', 'yes', 'wait', 'follow',
]);

const SHORT_ALIASES: Record<string, string> = { s: 'service', h: 'help', w: 'watch' };

export function parseArgs(argv: readonly string[]): ParsedArgs {
  const words: string[] = [];
  const opts = new Map<string, string[]>();
  const add = (k: string, v: string) => {
    const list = opts.get(k) ?? [];
    list.push(v);
    opts.set(k, list);
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      words.push(...argv.slice(i + 1));
      break;
    }
    const m = /^(--?)([A-Za-z][A-Za-z0-9_-]*)(?:=(.*))?$/s.exec(a);
    if (!m) {
      words.push(a);
      continue;
    }
    const name = m[1] === '-' ? (SHORT_ALIASES[m[2]!] ?? m[2]!) : m[2]!;
    if (m[3] !== undefined) {
      add(name, m[3]);
    } else if (BOOLEAN_OPTS.has(name)) {
      add(name, 'true');
    } else {
      const next = argv[i + 1];
      if (next === undefined) throw new UsageError(`option ${a} expects a value`);
      add(name, next);
      i++;
    }
  }
  return { words, opts };
}

export function opt(p: ParsedArgs, name: string): string | undefined {
  const v = p.opts.get(name);
  return v === undefined ? undefined : v[v.length - 1];
}

export function optAll(p: ParsedArgs, name: string): string[] {
  return p.opts.get(name) ?? [];
}

export function flag(p: ParsedArgs, name: string): boolean {
  const v = opt(p, name);
  return v !== undefined && v !== 'false' && v !== 'no';
}

/** Refuse options the action does not know, so a typo never silently does something else. */
export function allowOnly(p: ParsedArgs, action: string, allowed: readonly string[]): void {
  const common = ['service', 'help', 'color', 'format', 'debug'];
  for (const k of p.opts.keys()) {
    if (!common.includes(k) && !allowed.includes(k)) {
      throw new UsageError(`${action}: unknown option --${k} (allowed: ${[...allowed, 'format', 'color'].map((x) => `--${x}`).join(', ')})`);
    }
  }
}
