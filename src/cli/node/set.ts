import { assignedValue } from '../../../domain/config/assignment.js';
import { getValue, setValue } from '../../../domain/config/document.js';
import { checkAssignment } from '../../../domain/config/lookup.js';
import { NODE_SCHEMA, nodeConfigFileOf } from '../../../domain/config/nodeSchema.js';
import { ConfigError } from '../../../domain/errors.js';
import { updateNodeConfig } from '../../config/nodeConfig.js';
import { allowOnly } from '../args.js';
import type { CliContext } from '../context.js';
import { assignmentsOf, noExtraWords, outputFormat } from '../svc/options.js';
import { record } from '../svc/record.js';
import { membersNow, removals } from './members.js';

/**
 * nodemgr set --param hb#1.type --value unicast | --kw section.key=value ...
 * [cluster] and [hb#*] go to cluster.conf, other sections to node.conf.
 */
export async function run(ctx: CliContext): Promise<number> {
  allowOnly(ctx.args, 'set', ['kw', 'param', 'value']);
  noExtraWords(ctx, 'set');
  const format = outputFormat(ctx);
  const assignments = assignmentsOf(ctx, 'set', undefined);
  const fileOf = (section: string) => (nodeConfigFileOf(section) === 'cluster' ? ctx.paths.clusterConf : ctx.paths.nodeConf);
  const bad = assignments.map((a) => checkAssignment(NODE_SCHEMA, fileOf(a.section), a)).filter((p): p is string => p !== undefined);
  if (bad.length > 0) throw new ConfigError(bad);
  const before = membersNow(ctx);
  const changes = updateNodeConfig(ctx.paths, ctx.env, (docs) =>
    assignments.reduce((d, a) => {
      const which = nodeConfigFileOf(a.section);
      return { ...d, [which]: setValue(d[which], a.section, a.key, assignedValue(getValue(d[which], a.section, a.key), a)) };
    }, docs),
  );
  if (format === 'json') ctx.out(JSON.stringify(changes));
  return record(ctx, [...changes.map((c) => ({ type: 'NodeConfigChanged' as const, file: c.file, changed: c.changed })), ...removals(ctx, before, membersNow(ctx))]);
}
