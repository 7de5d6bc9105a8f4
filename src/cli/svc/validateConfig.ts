import fs from 'node:fs';
import { checkServiceConfig } from '../../../domain/config/service.js';
import { NotFoundError } from '../../../domain/errors.js';
import { nodename } from '../../config/identity.js';
import { checkServiceName, serviceFiles } from '../../config/serviceFiles.js';
import { allowOnly } from '../args.js';
import type { CliContext } from '../context.js';
import { noExtraWords, outputFormat } from './options.js';

/** svcmgr -s svc1 validate config: every problem listed, exit 0 when none, 1 otherwise. */
export async function run(ctx: CliContext): Promise<number> {
  allowOnly(ctx.args, 'validate config', []);
  noExtraWords(ctx, 'validate config');
  const svc = checkServiceName(ctx.svc);
  const format = outputFormat(ctx);
  const file = serviceFiles(ctx.paths, svc).conf;
  if (!fs.existsSync(file)) throw new NotFoundError(`service ${svc} does not exist (no ${file})`);
  const c = checkServiceConfig({ text: fs.readFileSync(file, 'utf8'), file, svcname: svc, nodename: nodename(ctx.env) });
  const problems = c.ok ? [] : c.problems;
  if (format === 'json') ctx.out(JSON.stringify({ file, valid: c.ok, problems }));
  else for (const p of problems) ctx.err(p);
  return c.ok ? 0 : 1;
}
