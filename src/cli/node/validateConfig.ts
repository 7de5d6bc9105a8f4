import { checkNodeDocuments } from '../../../domain/config/node.js';
import { ConfigError } from '../../../domain/errors.js';
import { nodename } from '../../config/identity.js';
import { readNodeDocuments } from '../../config/nodeConfig.js';
import { allowOnly } from '../args.js';
import type { CliContext } from '../context.js';
import { noExtraWords, outputFormat } from '../svc/options.js';

/** nodemgr validate config: every problem of node.conf and cluster.conf, exit 0 when none. */
export async function run(ctx: CliContext): Promise<number> {
  allowOnly(ctx.args, 'validate config', []);
  noExtraWords(ctx, 'validate config');
  const format = outputFormat(ctx);
  let problems: readonly string[];
  try {
    const c = checkNodeDocuments(readNodeDocuments(ctx.paths), nodename(ctx.env));
    problems = c.ok ? [] : c.problems;
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    problems = e.problems;
  }
  if (format === 'json') ctx.out(JSON.stringify({ files: [ctx.paths.clusterConf, ctx.paths.nodeConf], valid: problems.length === 0, problems }));
  else for (const p of problems) ctx.err(p);
  return problems.length === 0 ? 0 : 1;
}
