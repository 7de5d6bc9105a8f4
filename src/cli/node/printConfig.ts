import { keywordsOf, serializeDocument } from '../../../domain/config/document.js';
import { escapeForTerminal } from '../../../domain/escape.js';
import { readNodeDocuments } from '../../config/nodeConfig.js';
import { allowOnly } from '../args.js';
import type { CliContext } from '../context.js';
import { noExtraWords, outputFormat } from '../svc/options.js';
import { maskSecrets } from './secrets.js';

/**
 * nodemgr print config [--format json]: cluster.conf then node.conf as
 * written, secrets hidden (nodemgr get --param cluster.secret shows it),
 * control characters shown as escapes (`\x1b`);
 * json: {section: {keyword: value}}, node.conf overriding cluster.conf.
 */
export async function run(ctx: CliContext): Promise<number> {
  allowOnly(ctx.args, 'print config', []);
  noExtraWords(ctx, 'print config');
  const format = outputFormat(ctx);
  const docs = readNodeDocuments(ctx.paths);
  const masked = [maskSecrets(docs.cluster), maskSecrets(docs.node)];
  if (format === 'json') {
    const out: Record<string, Record<string, string>> = {};
    for (const d of masked) for (const s of d.sections) out[s.name] = { ...out[s.name], ...Object.fromEntries(keywordsOf(s).map((k) => [k.key, k.value])) };
    ctx.out(JSON.stringify(out, null, 2));
    return 0;
  }
  for (const d of masked) {
    if (d.sections.length === 0 && d.head.length === 0) continue;
    ctx.out(`# ${d.file}`);
    for (const line of serializeDocument({ ...d, eol: '\n' }).replace(/\n$/, '').split('\n')) ctx.out(escapeForTerminal(line));
  }
  return 0;
}
