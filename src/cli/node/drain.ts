import { UnavailableError } from '../../../domain/errors.js';
import type { DaemonStatus } from '../../daemon/readModel.js';
import { operator, waitSeconds } from '../actions/target.js';
import { allowOnly } from '../args.js';
import type { CliContext } from '../context.js';
import { noExtraWords } from '../svc/options.js';

const runs = (a: string) => a === 'up' || a === 'warn';

/** The orchestrated services running on `node`: those the other nodes are to take over when it drains. */
export function takenOverFrom(status: DaemonStatus, node: string): string[] {
  return status.services.filter((s) => s.orchestrate !== 'no' && s.instances.some((i) => i.node === node && runs(i.avail))).map((s) => s.name);
}

/** Where each service runs now, away from `node`: undefined for one running nowhere else yet. */
export function runningElsewhere(status: DaemonStatus, node: string, svcs: readonly string[]): Map<string, string | undefined> {
  return new Map(svcs.map((svc) => [svc, status.services.find((s) => s.name === svc)?.instances.find((i) => i.node !== node && runs(i.avail))?.node]));
}

/**
 * nodemgr drain [--wait [--time D]]: this node frozen, then every service
 * running here stopped by the daemon, its output streamed as the actions'
 * own; the other nodes take the orchestrated ones over. With --wait, until
 * each of those runs on another node (300 s, or --time): the step before
 * maintenance is over when the services are back. Exit 1 naming each stop
 * that failed, or each service not taken over in time and what its
 * orchestrator last said.
 */
export async function run(ctx: CliContext): Promise<number> {
  allowOnly(ctx.args, 'drain', ['wait', 'time']);
  noExtraWords(ctx, 'drain');
  const seconds = waitSeconds(ctx, 'drain');
  const { daemonJson, daemonStream, DaemonDownError } = await import('../../daemon/client.js');
  // what runs here before the drain: what --wait waits for elsewhere
  const before = seconds === undefined ? undefined : await daemonJson<DaemonStatus>(ctx.paths, 'GET', '/daemon/status').catch(() => undefined);
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
  if (failed.length > 0 || error !== undefined) return 1;
  if (seconds === undefined || before === undefined) return 0;
  return waitTakenOver(ctx, before.node, takenOverFrom(before, before.node), seconds, daemonJson);
}

/** --wait: each service on another node, said as it happens; exit 1 naming those still down at the deadline. */
async function waitTakenOver(ctx: CliContext, node: string, svcs: readonly string[], seconds: number, get: <T>(p: CliContext['paths'], method: 'GET', url: string) => Promise<T>): Promise<number> {
  const deadline = Date.now() + seconds * 1000;
  const told = new Set<string>();
  let last: DaemonStatus | undefined;
  for (;;) {
    last = await get<DaemonStatus>(ctx.paths, 'GET', '/daemon/status').catch(() => last);
    const where = last === undefined ? new Map<string, string | undefined>() : runningElsewhere(last, node, svcs);
    for (const [svc, at] of where) {
      if (at !== undefined && !told.has(svc)) {
        told.add(svc);
        ctx.out(`${node.padEnd(21)}  ${svc} taken over: running on ${at}`);
      }
    }
    if (told.size === svcs.length) return 0;
    if (Date.now() >= deadline) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  for (const svc of svcs.filter((x) => !told.has(x))) {
    const why = last?.services.find((s) => s.name === svc)?.decision;
    ctx.err(`drain: ${svc} not running on another node after ${seconds} s${why !== undefined ? ` (${node}'s orchestrator: ${why})` : ''}`);
  }
  return 1;
}
