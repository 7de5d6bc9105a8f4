import { UsageError } from '../../../domain/errors.js';
import { nodename } from '../../config/identity.js';
import { loadServiceConfig } from '../../config/serviceStore.js';
import { allowOnly } from '../args.js';
import type { CliContext } from '../context.js';
import { noExtraWords, outputFormat } from './options.js';

interface DevsOfResource {
  readonly rid: string;
  readonly label: string;
  readonly exposed: readonly string[];
  readonly sub: readonly string[];
  /** the devices could not be listed: why */
  readonly error?: string;
}

/**
 * svcmgr print devs: the block devices the service's resources use on this
 * node, as their drivers see them now: a vg exposes its logical volumes and
 * is built on its physical volumes, a fs sits on its device. Disabled
 * resources, and kinds with no device (ip, app), are left out. Reads only.
 */
export async function run(ctx: CliContext): Promise<number> {
  allowOnly(ctx.args, 'print devs', []);
  noExtraWords(ctx, 'print devs');
  if (!ctx.svc) throw new UsageError('no service selected: use svcmgr -s SVC print devs, or the per-service command (svc1 print devs)');
  const svc = await loadServiceConfig(ctx.paths, ctx.svc, ctx.env);
  const { driverFor } = await import('../../action/drivers.js');
  const ctxOf = { signal: AbortSignal.timeout(120_000), nodename: nodename(ctx.env), svc, paths: ctx.paths, force: false, log: () => undefined };
  const out: DevsOfResource[] = [];
  for (const r of svc.resources) {
    if (r.disable) continue;
    const d = driverFor(r);
    if (d.devs === undefined) continue;
    try {
      const devs = await d.devs(ctxOf);
      out.push({ rid: r.rid, label: d.label(), exposed: devs.exposed, sub: devs.sub });
    } catch (e) {
      out.push({ rid: r.rid, label: d.label(), exposed: [], sub: [], error: (e as Error).message });
    }
  }
  if (outputFormat(ctx) === 'json') ctx.out(JSON.stringify(out, null, 2));
  else {
    const width = Math.max(8, ...out.map((r) => r.rid.length + 2));
    for (const r of out) {
      ctx.out(`${r.rid.padEnd(width)}${r.label}`);
      const rows = [...r.exposed.map((d) => ['exposed', d]), ...r.sub.map((d) => ['sub', d])];
      rows.forEach(([role, dev], i) => ctx.out(`  ${i === rows.length - 1 ? '`-' : '|-'} ${role!.padEnd(8)}${dev!}`));
    }
  }
  for (const r of out) if (r.error !== undefined) ctx.err(`print devs: ${r.rid}: ${r.error}`);
  return out.some((r) => r.error !== undefined) ? 1 : 0;
}
