import { UsageError } from '../../../domain/errors.js';
import { audit } from '../../../projections/audit.js';
import type { AuditReport, AuditedDecision } from '../../../projections/audit.js';
import { configChecksum } from '../../config/checksum.js';
import { nodename } from '../../config/identity.js';
import { loadNodeConfig } from '../../config/nodeConfig.js';
import { readServiceText, validServiceConfig } from '../../config/serviceStore.js';
import type { CliContext } from '../context.js';
import { allowOnly, opt } from '../args.js';
import type { Painter } from '../color.js';
import { readLog } from '../log/read.js';
import { parseTime } from '../log/when.js';

const stamp = (iso: string) => iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');

export function renderAudit(r: AuditReport, node: string, p: Painter): string[] {
  const count = (v: AuditedDecision['verdict']) => r.decisions.filter((d) => d.verdict === v).length;
  const out = [
    `${r.decisions.length} orchestrator decision${r.decisions.length === 1 ? '' : 's'} in ${node}'s log replayed through today's code: ${count('same')} the same, ${count('different')} different, ${count('unchecked')} that cannot be re-checked`,
    ...r.assumptions.map((a) => p.grey(`  assuming ${a}`)),
  ];
  for (const d of r.decisions) {
    if (d.verdict === 'same') continue;
    out.push('', `${d.verdict === 'different' ? p.red('different') : p.yellow('unchecked')}  ${stamp(d.time)}  ${d.node}  ${p.bold(d.svc)}  ${p.grey(d.id)}`);
    out.push(`  recorded  ${d.recorded}`);
    out.push(d.verdict === 'different' ? `  now       ${d.now}` : `  ${d.now}`);
  }
  return out;
}

/**
 * nodemgr audit [--since T]: every decision this node's orchestrator
 * recorded, replayed through today's decide on what the log held then; the
 * ones it would now take otherwise are listed (exit 1), and the ones the
 * log cannot re-check say which input it lacks.
 */
export async function run(ctx: CliContext): Promise<number> {
  allowOnly(ctx.args, 'audit', ['since']);
  if (ctx.args.words.length > 0) throw new UsageError(`audit: unexpected ${ctx.args.words.join(' ')}`);
  const since = opt(ctx.args, 'since');
  const node = nodename(ctx.env);
  const conf = loadNodeConfig(ctx.paths, ctx.env).node;
  const readyPeriodMs = conf.readyPeriod * 1000;
  // every record decoded: an instance the daemon knew from any of its events is known here too
  const events = await readLog(ctx, {});
  const report = audit(events, {
    node,
    readyPeriodMs,
    rejoinGraceMs: conf.rejoinGracePeriod * 1000,
    ...(since !== undefined ? { since: parseTime('audit: --since', since, new Date()).getTime() } : {}),
    configAt: (svc, checksum, decider) => {
      let text: { file: string; text: string };
      try {
        text = readServiceText(ctx.paths, svc);
      } catch {
        return { unusable: `this node has no ${svc}.conf now` };
      }
      if (configChecksum(text.text) !== checksum) return { unusable: `this node's ${svc}.conf differs now` };
      try {
        return validServiceConfig(text.text, text.file, svc, decider);
      } catch (e) {
        return { unusable: `today's code refuses it: ${(e as Error).message.split('\n')[0]}` };
      }
    },
  });
  if (opt(ctx.args, 'format') === 'json') ctx.out(JSON.stringify(report, null, 2));
  else for (const l of renderAudit(report, node, ctx.paint)) ctx.out(l);
  return report.decisions.some((d) => d.verdict === 'different') ? 1 : 0;
}
