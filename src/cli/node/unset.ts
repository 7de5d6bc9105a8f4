import { getValue, unsetValue } from '../../../domain/config/document.js';
import { lookupKeyword } from '../../../domain/config/lookup.js';
import { NODE_SCHEMA } from '../../../domain/config/nodeSchema.js';
import { ConfigError } from '../../../domain/errors.js';
import { readNodeDocuments, updateNodeConfig } from '../../config/nodeConfig.js';
import { allowOnly } from '../args.js';
import type { CliContext } from '../context.js';
import { keywordRefsOf, noExtraWords, outputFormat } from '../svc/options.js';
import { record } from '../svc/record.js';
import { membersNow, removals } from './members.js';

/** nodemgr unset --param section.key | --kw section.key ...: removed from whichever file holds it. */
export async function run(ctx: CliContext): Promise<number> {
  allowOnly(ctx.args, 'unset', ['kw', 'param']);
  noExtraWords(ctx, 'unset');
  const format = outputFormat(ctx);
  const refs = keywordRefsOf(ctx, 'unset', undefined);
  const docs = readNodeDocuments(ctx.paths);
  const bad = refs
    .filter((r) => getValue(docs.node, r.section, r.key) === undefined && getValue(docs.cluster, r.section, r.key) === undefined)
    .map((r) => lookupKeyword(NODE_SCHEMA, ctx.paths.nodeConf, r))
    .flatMap((l) => (l.ok ? [] : [l.problem]));
  if (bad.length > 0) throw new ConfigError(bad);
  const before = membersNow(ctx);
  const changes = updateNodeConfig(ctx.paths, ctx.env, (d) =>
    refs.reduce((x, r) => ({ node: unsetValue(x.node, r.section, r.key), cluster: unsetValue(x.cluster, r.section, r.key) }), d),
  );
  if (format === 'json') ctx.out(JSON.stringify(changes));
  return record(ctx, [...changes.map((c) => ({ type: 'NodeConfigChanged' as const, file: c.file, changed: c.changed })), ...removals(ctx, before, membersNow(ctx))]);
}
