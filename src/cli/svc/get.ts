import { getValue } from '../../../domain/config/document.js';
import { lookupKeyword } from '../../../domain/config/lookup.js';
import { SERVICE_SCHEMA } from '../../../domain/config/schema.js';
import { ConfigError } from '../../../domain/errors.js';
import { checkServiceName } from '../../config/serviceFiles.js';
import { readServiceDocument } from '../../config/serviceStore.js';
import { allowOnly } from '../args.js';
import type { CliContext } from '../context.js';
import { keywordRefsOf, noExtraWords, outputFormat } from './options.js';

/**
 * svcmgr -s svc1 get --kw section.key ... | --param section.key
 * Prints the value as written in the file, one per line. A keyword not
 * written fails, telling its default.
 */
export async function run(ctx: CliContext): Promise<number> {
  allowOnly(ctx.args, 'get', ['kw', 'param']);
  noExtraWords(ctx, 'get');
  const svc = checkServiceName(ctx.svc);
  const format = outputFormat(ctx);
  const refs = keywordRefsOf(ctx, 'get', 'DEFAULT');
  const { doc, file } = readServiceDocument(ctx.paths, svc);
  const problems: string[] = [];
  const found: Record<string, string> = {};
  for (const r of refs) {
    const v = getValue(doc, r.section, r.key);
    if (v !== undefined) {
      found[`${r.section}.${r.key}`] = v;
      continue;
    }
    const l = lookupKeyword(SERVICE_SCHEMA, file, r);
    if (!l.ok) problems.push(l.problem);
    else problems.push(`${file}: [${r.section}] keyword "${r.key}" is not set${l.spec?.default !== undefined ? ` (default: ${l.spec.default === '' ? 'empty' : JSON.stringify(l.spec.default)})` : ''}`);
  }
  if (format === 'json') ctx.out(JSON.stringify(found));
  else for (const v of Object.values(found)) ctx.out(v);
  if (problems.length > 0) throw new ConfigError(problems);
  return 0;
}
