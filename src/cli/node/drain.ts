import { UnavailableError } from '../../../domain/errors.js';
import { operator } from '../actions/target.js';
import { allowOnly } from '../args.js';
import type { CliContext } from '../context.js';
import { noExtraWords } from '../svc/options.js';

/**
 * nodemgr drain: this node frozen, then every service running here stopped
 * by the daemon, its output streamed as the actions' own; the other nodes
 * take the orchestrated ones over. Exit 1 naming each stop that failed.
 */
export async function run(ctx: CliContext): Promise<number> {
  allowOnly(ctx.args, 'drain', []);
  noExtraWords(ctx, 'drain');
  const { daemonStream, DaemonDownError } = await import('../../daemon/client.js');
  let failed: { svc: string; why: string }[] = [];
  let error: string | undefined;
  let done = false;
  let status: number;
  try {
    status = await daemonStream(
      ctx.paths,
      'POST',
      '/daemon/drain',
      { by: operator(ctx) },
      (o) => {
        const m = o as { line?: unknown; failed?: unknown; error?: unknown };
        if (typeof m.line === 'string') ctx.out(m.line);
        if (Array.isArray(m.failed)) {
          done = true;
          failed = m.failed as { svc: string; why: string }[];
        }
        if (typeof m.error === 'string') error = m.error;
      },
      { timeoutMs: 3_600_000 },
    );
  } catch (e) {
    if (e instanceof DaemonDownError) throw new UnavailableError('drain: the daemon is not running: it stops the services and lets the other nodes take them over (nodemgr daemon start)', { cause: e });
    throw e;
  }
  if (status !== 200 || !done) error ??= `the daemon answered HTTP ${status}`;
  for (const f of failed) ctx.err(`drain: ${f.svc}: ${f.why}`);
  if (error !== undefined) ctx.err(`drain: ${error}`);
  return failed.length === 0 && error === undefined ? 0 : 1;
}
