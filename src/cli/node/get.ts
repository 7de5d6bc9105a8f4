import { getValue } from '../../../domain/config/document.js';
import { lookupKeyword } from '../../../domain/config/lookup.js';
import { NODE_SCHEMA, nodeConfigFileOf } from '../../../domain/config/nodeSchema.js';
import { ConfigError } from '../../../domain/errors.js';
import { readNodeDocuments } from '../../config/nodeConfig.js';
import { natsTarget } from '../../events/natsTarget.js';
import { allowOnly } from '../args.js';
import type { CliContext } from '../context.js';
import { keywordRefsOf, noExtraWords, outputFormat } from '../svc/options.js';

/**
 * nodemgr get --param cluster.secret: the value as written (node.conf
 * overriding cluster.conf). The only command printing the secret, as the
 * tutorial's join step needs it.
 */
export async function run(ctx: CliContext): Promise<number> {
  allowOnly(ctx.args, 'get', ['kw', 'param']);
  noExtraWords(ctx, 'get');
  const format = outputFormat(ctx);
  const refs = keywordRefsOf(ctx, 'get', undefined);
  const docs = readNodeDocuments(ctx.paths);
  const found: Record<string, string> = {};
  const problems: string[] = [];
  for (const r of refs) {
    const v = getValue(docs.node, r.section, r.key) ?? getValue(docs.cluster, r.section, r.key);
    if (v !== undefined) {
      found[`${r.section}.${r.key}`] = v;
      continue;
    }
    if (r.section === 'nats' && r.key === 'url') {
      // not set: the node's embedded server; a local consumer logs in with the reader key beside it (docs/nats.md)
      const t = natsTarget(ctx.paths);
      if (t.provisioned) found['nats.url'] = t.url;
      else problems.push(`${ctx.paths.nodeConf}: [nats] url is not set and the embedded NATS server was never started on this node (nodemgr daemon start)`);
      continue;
    }
    const file = nodeConfigFileOf(r.section) === 'cluster' ? ctx.paths.clusterConf : ctx.paths.nodeConf;
    const l = lookupKeyword(NODE_SCHEMA, file, r);
    if (!l.ok) problems.push(l.problem);
    else problems.push(`${file}: [${r.section}] keyword "${r.key}" is not set${l.spec?.default !== undefined ? ` (default: ${JSON.stringify(l.spec.default)})` : ''}`);
  }
  if (format === 'json') ctx.out(JSON.stringify(found));
  else for (const v of Object.values(found)) ctx.out(v);
  if (problems.length > 0) throw new ConfigError(problems);
  return 0;
}
