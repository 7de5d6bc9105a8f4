import { UnavailableError, UsageError } from '../../../domain/errors.js';
import type { DaemonStatus } from '../../daemon/readModel.js';
import type { JobView } from '../../daemon/scheduler.js';
import { allowOnly } from '../args.js';
import type { CliContext } from '../context.js';
import { noExtraWords, outputFormat } from './options.js';

/** 90s, 5m, 1h: an interval as the schedule keywords take it. */
export function every(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** The table of print schedule: each job, its schedule keyword and interval, its last run and result, every run counted. */
export function scheduleLines(jobs: readonly JobView[], o: { readonly svc: boolean }): string[] {
  const rows = [
    ['Action', 'Last Run', 'Config Parameter', 'Schedule', 'Runs', 'Last Result'],
    ...jobs.map((j) => [
      `${o.svc ? `${j.svc} ` : ''}${j.job}${j.running ? ' (running)' : ''}`,
      j.lastRunAt === undefined ? '-' : j.lastRunAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
      `DEFAULT.${j.job}_schedule`,
      every(j.intervalMs),
      String(j.runs),
      j.lastResult ?? '-',
    ]),
  ];
  const widths = rows[0]!.map((_c, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]! + 2))).join('').trimEnd());
}

/**
 * svcmgr print schedule (the service's jobs) and nodemgr print schedule
 * (every service's): the daemon's scheduler as it runs them, every run
 * counted (the log records only a change of result).
 */
export async function printSchedule(ctx: CliContext, svc: string | undefined): Promise<number> {
  allowOnly(ctx.args, 'print schedule', []);
  noExtraWords(ctx, 'print schedule');
  const { daemonJson, DaemonDownError } = await import('../../daemon/client.js');
  let s: DaemonStatus;
  try {
    s = await daemonJson<DaemonStatus>(ctx.paths, 'GET', '/daemon/status');
  } catch (e) {
    if (e instanceof DaemonDownError) throw new UnavailableError('print schedule: the jobs are the daemon\'s scheduler\'s, and the daemon is not running (nodemgr daemon start)', { cause: e });
    throw e;
  }
  const jobs = s.jobs.filter((j) => svc === undefined || j.svc === svc);
  if (outputFormat(ctx) === 'json') ctx.out(JSON.stringify(jobs, null, 2));
  else for (const l of scheduleLines(jobs, { svc: svc === undefined })) ctx.out(l);
  return 0;
}

export async function run(ctx: CliContext): Promise<number> {
  if (!ctx.svc) throw new UsageError('no service selected: use svcmgr -s SVC print schedule (nodemgr print schedule: every service)');
  const { serviceExists } = await import('../../config/serviceFiles.js');
  if (!serviceExists(ctx.paths, ctx.svc)) throw new UsageError(`service ${ctx.svc} does not exist`);
  return printSchedule(ctx, ctx.svc);
}

export const node = { run: (ctx: CliContext) => printSchedule(ctx, undefined) };
