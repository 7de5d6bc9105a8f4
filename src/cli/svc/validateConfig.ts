import { checkServiceConfig } from '../../../domain/config/service.js';
import { nodename } from '../../config/identity.js';
import { checkServiceName } from '../../config/serviceFiles.js';
import { readServiceText } from '../../config/serviceStore.js';
import { allowOnly } from '../args.js';
import type { CliContext } from '../context.js';
import { noExtraWords, outputFormat } from './options.js';

/** svcmgr -s svc1 validate config: every problem listed, exit 0 when none, 1 otherwise. */
export async function run(ctx: CliContext): Promise<number> {
  allowOnly(ctx.args, 'validate config', []);
  noExtraWords(ctx, 'validate config');
  const svc = checkServiceName(ctx.svc);
  const format = outputFormat(ctx);
  const { file, text } = readServiceText(ctx.paths, svc);
  const c = checkServiceConfig({ text, file, svcname: svc, nodename: nodename(ctx.env) });
  const problems = c.ok ? [] : c.problems;
  if (format === 'json') ctx.out(JSON.stringify({ file, valid: c.ok, problems }));
  else for (const p of problems) ctx.err(p);
  return c.ok ? 0 : 1;
}
