import fs from 'node:fs';
import { assignedValue } from '../../../domain/config/assignment.js';
import { getValue, parseDocument, setValue, type IniDocument } from '../../../domain/config/document.js';
import { checkAssignment } from '../../../domain/config/lookup.js';
import { SERVICE_SCHEMA } from '../../../domain/config/schema.js';
import { ConfigError, NotFoundError } from '../../../domain/errors.js';
import { setFrozen } from '../../action/statusCache.js';
import { createService } from '../../config/serviceStore.js';
import { checkServiceName, serviceFiles } from '../../config/serviceFiles.js';
import { allowOnly, opt, optAll } from '../args.js';
import type { CliContext } from '../context.js';
import { assignmentsOf, noExtraWords, outputFormat } from './options.js';
import { record } from './record.js';

/**
 * svcmgr -s svc1 create [--config FILE] [--kw section.key=value ...]
 * Creates svc1.conf (with a generated id), svc1.dir, svc1.d -> svc1.dir and
 * svc1 -> svcmgr in <OSVCETC>.
 */
export async function run(ctx: CliContext): Promise<number> {
  allowOnly(ctx.args, 'create', ['config', 'kw']);
  noExtraWords(ctx, 'create');
  const svc = checkServiceName(ctx.svc);
  const format = outputFormat(ctx);
  const conf = serviceFiles(ctx.paths, svc).conf;
  let from: IniDocument | undefined;
  const source = opt(ctx.args, 'config');
  if (source !== undefined) {
    let text: string;
    try {
      text = fs.readFileSync(source, 'utf8');
    } catch (e) {
      throw new NotFoundError(`create --config ${source}: ${(e as Error).message}`, { cause: e });
    }
    const parsed = parseDocument(text, source);
    if (!parsed.ok) throw new ConfigError(parsed.problems);
    from = parsed.doc;
  }
  const assignments = optAll(ctx.args, 'kw').length > 0 ? assignmentsOf(ctx, 'create', 'DEFAULT') : [];
  const bad = assignments.map((a) => checkAssignment(SERVICE_SCHEMA, conf, a)).filter((p): p is string => p !== undefined);
  if (bad.length > 0) throw new ConfigError(bad);
  const edit = (d: IniDocument) => assignments.reduce((doc, a) => setValue(doc, a.section, a.key, assignedValue(getValue(doc, a.section, a.key), a)), d);
  const created = createService(ctx.paths, svc, { svcmgrPath: ctx.svcmgrPath, env: ctx.env, edit, ...(from ? { from } : {}) });
  setFrozen(ctx.paths, svc, true);
  if (format === 'json') ctx.out(JSON.stringify({ svc, id: created.id, file: created.file, checksum: created.checksum }));
  return record(ctx, [{ type: 'ServiceCreated', svc, id: created.id, checksum: created.checksum, text: created.text }]);
}
