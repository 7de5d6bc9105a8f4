import { removeSection, findSection } from '../../../domain/config/document.js';
import { NotFoundError, ConflictError, UsageError } from '../../../domain/errors.js';
import { deleteServiceFiles, readServiceDocument, updateService } from '../../config/serviceStore.js';
import { checkServiceName } from '../../config/serviceFiles.js';
import { serviceUpReason } from '../../config/serviceUp.js';
import { allowOnly, flag, optAll } from '../args.js';
import type { CliContext } from '../context.js';
import { noExtraWords, outputFormat } from './options.js';
import { record } from './record.js';

/**
 * svcmgr -s svc1 delete [--force]      the whole service (refused while up)
 * svcmgr -s svc1 delete --rid RID,...  resource sections only
 */
export async function run(ctx: CliContext): Promise<number> {
  allowOnly(ctx.args, 'delete', ['rid', 'force']);
  noExtraWords(ctx, 'delete');
  const svc = checkServiceName(ctx.svc);
  const format = outputFormat(ctx);
  const rids = optAll(ctx.args, 'rid').flatMap((r) => r.split(',')).map((r) => r.trim()).filter((r) => r !== '');
  if (rids.length > 0) {
    if (rids.includes('DEFAULT')) throw new UsageError('delete --rid DEFAULT: the DEFAULT section can not be deleted (delete the service instead)');
    const { doc, file } = readServiceDocument(ctx.paths, svc);
    const missing = rids.filter((r) => !findSection(doc, r));
    if (missing.length > 0) throw new NotFoundError(`${file}: no section ${missing.map((r) => `[${r}]`).join(', ')} to delete`);
    const res = updateService(ctx.paths, svc, ctx.env, (d) => rids.reduce(removeSection, d));
    if (format === 'json') ctx.out(JSON.stringify({ svc, deleted: rids, changed: res.changed, checksum: res.checksum }));
    return record(ctx, [
      { type: 'ServiceDeleted', svc, rids },
      ...(res.changed.length > 0 ? [{ type: 'ServiceConfigChanged' as const, svc, changed: res.changed, checksum: res.checksum, text: res.text }] : []),
    ]);
  }
  if (!flag(ctx.args, 'force')) {
    const why = await serviceUpReason(ctx.paths, svc, ctx.env).catch((e: unknown) => {
      if (e instanceof NotFoundError) return undefined;
      throw e;
    });
    if (why !== undefined) throw new ConflictError(`service ${svc} is up on this node (${why}): stop it first, or delete --force`);
  }
  const removed = deleteServiceFiles(ctx.paths, svc);
  if (format === 'json') ctx.out(JSON.stringify({ svc, removed }));
  return record(ctx, [{ type: 'ServiceDeleted', svc, rids: [] }]);
}
