import { parseAssignment, parseKeywordRef, type Assignment, type KeywordRef } from '../../../domain/config/assignment.js';
import { show } from '../../../domain/config/show.js';
import { UsageError } from '../../../domain/errors.js';
import { opt, optAll } from '../args.js';
import type { CliContext } from '../context.js';

export type OutputFormat = 'text' | 'json';

export function outputFormat(ctx: CliContext): OutputFormat {
  const f = opt(ctx.args, 'format');
  if (f === undefined || f === 'text' || f === 'flat') return 'text';
  if (f === 'json') return 'json';
  throw new UsageError(`--format ${show(f)}: expected json or text`);
}

export function noExtraWords(ctx: CliContext, action: string): void {
  if (ctx.args.words.length > 0) throw new UsageError(`${action}: unexpected argument ${show(ctx.args.words.join(' '))}`);
}

/** `--kw section.key=value ...` and `--param section.key --value V ...` (the tutorial's form), in order. */
export function assignmentsOf(ctx: CliContext, action: string, defaultSection: string | undefined): Assignment[] {
  const out: Assignment[] = [];
  for (const kw of optAll(ctx.args, 'kw')) {
    const a = parseAssignment(kw, defaultSection);
    if (!a.ok) throw new UsageError(`${action} --kw ${a.reason}`);
    out.push(a.value);
  }
  const params = optAll(ctx.args, 'param');
  const values = optAll(ctx.args, 'value');
  if (params.length !== values.length) throw new UsageError(`${action}: each --param needs a --value (got ${params.length} --param, ${values.length} --value)`);
  params.forEach((p, i) => {
    const r = parseKeywordRef(p, defaultSection);
    if (!r.ok) throw new UsageError(`${action} --param ${r.reason}`);
    out.push({ ...r.value, value: values[i]!.trim() });
  });
  if (out.length === 0) throw new UsageError(`${action}: expected --kw section.keyword=value or --param section.keyword --value VALUE`);
  return out;
}

/** `--kw section.key ...` or `--param section.key ...` for get and unset. */
export function keywordRefsOf(ctx: CliContext, action: string, defaultSection: string | undefined): KeywordRef[] {
  const out: KeywordRef[] = [];
  for (const p of [...optAll(ctx.args, 'kw'), ...optAll(ctx.args, 'param')]) {
    const r = parseKeywordRef(p, defaultSection);
    if (!r.ok) throw new UsageError(`${action}: ${r.reason}`);
    out.push(r.value);
  }
  if (out.length === 0) throw new UsageError(`${action}: expected --kw section.keyword or --param section.keyword`);
  return out;
}
