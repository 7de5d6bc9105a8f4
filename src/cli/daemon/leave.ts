import { ConflictError, UnavailableError } from '../../../domain/errors.js';
import { nodename } from '../../config/identity.js';
import { daemonRequest, DaemonDownError } from '../../daemon/client.js';
import { allowOnly } from '../args.js';
import type { CliContext } from '../context.js';

interface LeaveAnswer {
  readonly node: string;
  readonly told: readonly string[];
  readonly missed: readonly { readonly node: string; readonly why: string }[];
}

/**
 * nodemgr daemon leave: this node leaves its cluster. Its daemon records
 * NodeLeft and waits until every peer beating holds it (their daemons take
 * the node out of their cluster.nodes), then the node is a cluster of its
 * own, frozen, as OpenSVC leaves it; `daemon join` takes it back. The news
 * travels in this node's own beats, so the daemon must be running.
 */
export async function run(ctx: CliContext): Promise<number> {
  allowOnly(ctx.args, 'daemon leave', []);
  const me = nodename(ctx.env);
  let r;
  try {
    r = await daemonRequest<LeaveAnswer | { error?: string }>(ctx.paths, 'POST', '/cluster/leave', undefined, { timeoutMs: 30_000 });
  } catch (e) {
    if (e instanceof DaemonDownError) throw new UnavailableError('daemon leave: the daemon is not running, and the other nodes hear of a leave through it: start it first (nodemgr daemon start)', { cause: e });
    throw e;
  }
  const error = (r.body as { error?: unknown }).error;
  if (r.status === 409) throw new ConflictError(typeof error === 'string' ? error : 'daemon leave: refused');
  if (r.status !== 200) throw new UnavailableError(`daemon leave: ${typeof error === 'string' ? error : `HTTP ${r.status}`}`);
  const a = r.body as LeaveAnswer;
  const line = (msg: string) => ctx.out(`${me.padEnd(12)} ${msg}`);
  if (a.told.length > 0) line(`told ${a.told.join(', ')}`);
  for (const m of a.missed) ctx.err(`${m.node} did not hear of the leave (${m.why}): remove ${me} there with nodemgr set --kw cluster.nodes-=${me}`);
  line('freeze local node');
  line('left the cluster: a cluster of its own now (nodemgr daemon join to go back)');
  return 0;
}
