import { getValue, unsetValue } from '../../../domain/config/document.js';
import { lookupKeyword } from '../../../domain/config/lookup.js';
import { SERVICE_SCHEMA } from '../../../domain/config/schema.js';
import { ConfigError } from '../../../domain/errors.js';
import { checkServiceName } from '../../config/serviceFiles.js';
import { readServiceDocument, updateService } from '../../config/serviceStore.js';
import { allowOnly } from '../args.js';
import type { CliContext } from '../context.js';
import { keywordRefsOf, noExtraWords, outputFormat } from './options.js';
import { record } from './record.js';

/**
 * svcmgr -s svc1 unset --kw section.key ... | --param section.key
 * A keyword written in the file is removed even if unknown (that is how a
 * bad one is fixed); naming an unknown keyword that is not there is a typo.
 */
export async function run(ctx: CliContext): Promise<number> {
  allowOnly(ctx.args, 'unset', ['kw', 'param']);
  noExtraWords(ctx, 'unset');
  const svc = checkServiceName(ctx.svc);
  const format = outputFormat(ctx);
  const refs = keywordRefsOf(ctx, 'unset', 'DEFAULT');
  const { doc, file } = readServiceDocument(ctx.paths, svc);
  const bad = refs
    .filter((r) => getValue(doc, r.section, r.key) === undefined)
    .map((r) => lookupKeyword(SERVICE_SCHEMA, file, r))
    .flatMap((l) => (l.ok ? [] : [l.problem]));
  if (bad.length > 0) throw new ConfigError(bad);
  const res = updateService(ctx.paths, svc, ctx.env, (d) => refs.reduce((x, r) => unsetValue(x, r.section, r.key), d));
  if (format === 'json') ctx.out(JSON.stringify({ svc, changed: res.changed, checksum: res.checksum }));
  if (res.changed.length === 0) return 0;
  return record(ctx, [{ type: 'ServiceConfigChanged', svc, changed: res.changed, checksum: res.checksum, text: res.text }]);
}
