import { setValue, unsetValue } from '../../../domain/config/document.js';
import { UsageError } from '../../../domain/errors.js';
import { checkServiceName } from '../../config/serviceFiles.js';
import { loadServiceConfig, updateService } from '../../config/serviceStore.js';
import { allowOnly, optAll } from '../args.js';
import type { CliContext, CommandModule } from '../context.js';
import { noExtraWords, outputFormat } from './options.js';
import { record } from './record.js';

/**
 * svcmgr disable / enable [--rid RID,...]: the `disable` keyword, as
 * OpenSVC's. With --rid, of those resources: actions skip them, their
 * status is n/a. Without, of the service (DEFAULT.disable): every resource
 * skipped, and the daemons neither orchestrate it nor take a target for it.
 * enable removes the keyword where disable wrote it. The change is a
 * ServiceConfigChanged like any set.
 */
function disableCommand(disable: boolean): CommandModule {
  const action = disable ? 'disable' : 'enable';
  return {
    async run(ctx: CliContext): Promise<number> {
      allowOnly(ctx.args, action, ['rid']);
      noExtraWords(ctx, action);
      const svc = checkServiceName(ctx.svc);
      const format = outputFormat(ctx);
      const rids = optAll(ctx.args, 'rid').flatMap((v) => v.split(',')).map((s) => s.trim()).filter(Boolean);
      if (rids.length > 0) {
        const known = (await loadServiceConfig(ctx.paths, svc, ctx.env)).resources.map((r) => r.rid);
        const unknown = rids.filter((r) => !known.includes(r));
        if (unknown.length > 0) throw new UsageError(`${action}: ${svc} has no resource ${unknown.join(', ')} (${known.join(', ')})`);
      }
      const sections = rids.length > 0 ? rids : ['DEFAULT'];
      const res = updateService(ctx.paths, svc, ctx.env, (doc) => sections.reduce((d, s) => (disable ? setValue(d, s, 'disable', 'true') : unsetValue(d, s, 'disable')), doc));
      if (format === 'json') ctx.out(JSON.stringify({ svc, changed: res.changed, checksum: res.checksum }));
      if (res.changed.length === 0) return 0;
      return record(ctx, [{ type: 'ServiceConfigChanged', svc, changed: res.changed, checksum: res.checksum, text: res.text }]);
    },
  };
}

export const disable = disableCommand(true);
export const enable = disableCommand(false);
