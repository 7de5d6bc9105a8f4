import { keywordsOf } from '../../../domain/config/document.js';
import { escapeForTerminal } from '../../../domain/escape.js';
import { checkServiceName } from '../../config/serviceFiles.js';
import { readServiceDocument, readServiceText } from '../../config/serviceStore.js';
import { allowOnly } from '../args.js';
import type { CliContext } from '../context.js';
import { noExtraWords, outputFormat } from './options.js';

/**
 * svcmgr -s svc1 print config [--format json]: the file as written, even
 * when it no longer parses (that is when one needs to see it), control
 * characters shown as escapes (`\x1b`), not played to the terminal; json:
 * {section: {keyword: value}}, exact.
 */
export async function run(ctx: CliContext): Promise<number> {
  allowOnly(ctx.args, 'print config', []);
  noExtraWords(ctx, 'print config');
  const svc = checkServiceName(ctx.svc);
  if (outputFormat(ctx) === 'text') {
    const { text } = readServiceText(ctx.paths, svc);
    for (const line of text.replace(/^\uFEFF/, '').replace(/(\r\n|\n|\r)$/, '').split(/\r\n|\n|\r/)) ctx.out(escapeForTerminal(line));
    return 0;
  }
  const { doc } = readServiceDocument(ctx.paths, svc);
  const out: Record<string, Record<string, string>> = {};
  for (const s of doc.sections) out[s.name] = Object.fromEntries(keywordsOf(s).map((k) => [k.key, k.value]));
  ctx.out(JSON.stringify(out, null, 2));
  return 0;
}
