import { assignedValue } from '../../../domain/config/assignment.js';
import { getValue, setValue } from '../../../domain/config/document.js';
import { checkAssignment } from '../../../domain/config/lookup.js';
import { SERVICE_SCHEMA } from '../../../domain/config/schema.js';
import { ConfigError } from '../../../domain/errors.js';
import { checkServiceName, serviceFiles } from '../../config/serviceFiles.js';
import { updateService } from '../../config/serviceStore.js';
import { allowOnly } from '../args.js';
import type { CliContext } from '../context.js';
import { assignmentsOf, noExtraWords, outputFormat } from './options.js';
import { record } from './record.js';

/** svcmgr -s svc1 set --kw section.key=value ... (or +=, -= for lists) | --param section.key --value V (no section: DEFAULT) */
export async function run(ctx: CliContext): Promise<number> {
  allowOnly(ctx.args, 'set', ['kw', 'param', 'value']);
  noExtraWords(ctx, 'set');
  const svc = checkServiceName(ctx.svc);
  const format = outputFormat(ctx);
  const file = serviceFiles(ctx.paths, svc).conf;
  const assignments = assignmentsOf(ctx, 'set', 'DEFAULT');
  const bad = assignments.map((a) => checkAssignment(SERVICE_SCHEMA, file, a)).filter((p): p is string => p !== undefined);
  if (bad.length > 0) throw new ConfigError(bad);
  const res = updateService(ctx.paths, svc, ctx.env, (doc) => assignments.reduce((d, a) => setValue(d, a.section, a.key, assignedValue(getValue(d, a.section, a.key), a)), doc));
  if (format === 'json') ctx.out(JSON.stringify({ svc, changed: res.changed, checksum: res.checksum }));
  if (res.changed.length === 0) return 0;
  return record(ctx, [{ type: 'ServiceConfigChanged', svc, changed: res.changed, checksum: res.checksum, text: res.text }]);
}
