import os from 'node:os';
import { parseDuration } from '../../../domain/config/values.js';
import { HasvcError, UnavailableError, UsageError } from '../../../domain/errors.js';
import type { AnyEvent } from '../../../domain/events.js';
import { placementOrder } from '../../../domain/orchestration/placement.js';
import { nodename } from '../../config/identity.js';
import { serviceExists } from '../../config/serviceFiles.js';
import type { EventsPage } from '../../daemon/monitor.js';
import type { DaemonStatus } from '../../daemon/readModel.js';
import type { TargetAnswer } from '../../daemon/targets.js';
import { allowOnly, flag, opt } from '../args.js';
import type { CliContext, CommandModule } from '../context.js';
import { noExtraWords } from '../svc/options.js';

export type TargetAction = 'start' | 'stop' | 'switch' | 'takeover' | 'giveback' | 'abort';

const TARGET_OF: Readonly<Record<TargetAction, 'started' | 'stopped' | 'placed' | 'aborted'>> = { start: 'started', stop: 'stopped', switch: 'placed', takeover: 'placed', giveback: 'placed', abort: 'aborted' };

/** --wait's bound when --time is not given, as OpenSVC's */
const DEFAULT_WAIT_S = 300;

export function operator(ctx: CliContext): string {
  return ctx.env.SUDO_USER ?? ctx.env.USER ?? os.userInfo().username;
}

/** --time: a duration (300, 90s, 5m); only with --wait. */
export function waitSeconds(ctx: CliContext, action: string): number | undefined {
  const raw = opt(ctx.args, 'time');
  if (!flag(ctx.args, 'wait')) {
    if (raw !== undefined) throw new UsageError(`${action}: --time bounds --wait: add --wait`);
    return undefined;
  }
  if (raw === undefined) return DEFAULT_WAIT_S;
  const s = parseDuration(raw);
  if (s === undefined || s <= 0) throw new UsageError(`${action}: --time ${raw}: expected a duration (300, 90s, 5m)`);
  return s;
}

/**
 * How the target the daemon recorded ended, read from the log the daemon
 * follows: undefined while it has not. Another request replaces it only when
 * it is the newer (time, then id, as every node picks the service's target):
 * two operators asking on two nodes at once, the older one's log may hold the
 * newer after it, and the newer one's the older after it.
 */
function endOf(e: AnyEvent, svc: string, id: string, at: string | undefined): { ok: boolean; why: string } | undefined {
  if (e.svc !== svc) return undefined;
  switch (e.type) {
    case 'ServiceTargetReached':
      return e.data.of === id ? { ok: true, why: 'reached' } : undefined;
    case 'ServiceTargetFailed':
      return e.data.of === id ? { ok: false, why: `failed on ${e.origin}: ${e.data.reason}` } : undefined;
    case 'ServiceTargetAborted':
      return e.data.of === id ? { ok: false, why: `aborted by ${e.data.by} on ${e.origin}` } : undefined;
    case 'ServiceTargetRequested':
      return e.id !== id && (at === undefined || e.time > at || (e.time === at && e.id > id)) ? { ok: false, why: `replaced by ${e.data.action} (${e.data.target}${e.data.node !== undefined ? `@${e.data.node}` : ''}) by ${e.data.by} on ${e.origin}` } : undefined;
    default:
      return undefined;
  }
}

/**
 * Follow the node's log through its daemon until the target ends or the
 * time is up: 0 reached; 1 failed, aborted, replaced or still going, with
 * why and what the orchestrator last said.
 */
async function waitForEnd(ctx: CliContext, svc: string, recorded: { id: string; target: string; since: number; at?: string }, seconds: number): Promise<number> {
  const { daemonJson } = await import('../../daemon/client.js');
  const deadline = Date.now() + seconds * 1000;
  let since = recorded.since;
  while (Date.now() < deadline) {
    const wait = Math.max(1, Math.min(30, Math.ceil((deadline - Date.now()) / 1000)));
    const page = await daemonJson<EventsPage>(ctx.paths, 'GET', `/events?since=${since}&wait=${wait}&limit=1000`, undefined, { timeoutMs: (wait + 10) * 1000 });
    for (const s of page.events) {
      const end = endOf(s.event, svc, recorded.id, recorded.at);
      if (end === undefined) continue;
      if (end.ok) return 0;
      ctx.err(`${svc}: target ${recorded.target} ${end.why}`);
      return 1;
    }
    if (page.truncated) {
      ctx.err(`${svc}: target ${recorded.target}: the daemon no longer holds the events since the request (svcmgr -s ${svc} print history)`);
      return 1;
    }
    since = Math.max(since, page.events.at(-1)?.streamSeq ?? since, page.lastSeq);
  }
  const why = (await daemonJson<DaemonStatus>(ctx.paths, 'GET', '/daemon/status').catch(() => undefined))?.services.find((x) => x.name === svc)?.decision;
  ctx.err(`${svc}: target ${recorded.target} not reached in ${seconds}s${why !== undefined ? `: ${why}` : ''}`);
  return 1;
}

/**
 * Record a target through the daemon (svcmgr start, stop, switch, takeover,
 * giveback, abort without --local): the daemon checks it can be reached,
 * every node's orchestrator drives its instance toward it. Returns at once,
 * or with --wait once it is reached (exit 0) or failed (exit 1, why).
 */
export async function requestTarget(ctx: CliContext, action: TargetAction, node: string | undefined, seconds: number | undefined): Promise<number> {
  const svc = ctx.svc!;
  const { daemonRequest, DaemonDownError } = await import('../../daemon/client.js');
  let r;
  try {
    r = await daemonRequest<TargetAnswer['body']>(ctx.paths, 'POST', `/services/${encodeURIComponent(svc)}/target`, { target: TARGET_OF[action], ...(node !== undefined ? { node } : {}), action, by: operator(ctx) }, { timeoutMs: 20_000 });
  } catch (e) {
    if (e instanceof DaemonDownError) throw new UnavailableError(`${action}: the daemon is not running: the cluster's orchestration needs it (nodemgr daemon start${action === 'start' || action === 'stop' ? `, or ${action} --local on this node` : ''})`, { cause: e });
    throw e;
  }
  const body = r.body;
  if (r.status !== 200 || !('id' in body)) {
    const msg = typeof body === 'object' && body !== null && 'error' in body ? body.error : `the daemon answered HTTP ${r.status}`;
    throw new HasvcError(r.status === 400 ? 'USAGE' : r.status === 404 ? 'NOT_FOUND' : 'CONFLICT', `${action}: ${msg}`);
  }
  if (body.replaced !== undefined) ctx.err(`${svc}: target ${body.replaced} replaced by ${body.target}`);
  if (seconds === undefined || action === 'abort') return 0;
  return waitForEnd(ctx, svc, body, seconds);
}

function selected(ctx: CliContext, action: string): string {
  if (!ctx.svc) throw new UsageError(`no service selected: use svcmgr -s SVC ${action}, or the per-service command (svc1 ${action})`);
  if (!serviceExists(ctx.paths, ctx.svc)) throw new UsageError(`service ${ctx.svc} does not exist`);
  return ctx.svc;
}

/** switch --node N, takeover, giveback: the service placed on one node, stopped everywhere else. */
function placement(action: 'switch' | 'takeover' | 'giveback'): CommandModule {
  return {
    async run(ctx) {
      allowOnly(ctx.args, action, [...(action === 'switch' ? ['node'] : []), 'wait', 'time']);
      noExtraWords(ctx, action);
      const svc = selected(ctx, action);
      let node: string | undefined;
      if (action === 'switch') {
        node = opt(ctx.args, 'node');
        if (node === undefined) throw new UsageError('switch: --node NODE says where the service goes');
      } else if (action === 'takeover') node = nodename(ctx.env);
      else {
        // the natural leader: the first node of the placement order (spread ranks them per service)
        const { loadServiceConfig } = await import('../../config/serviceStore.js');
        const cfg = await loadServiceConfig(ctx.paths, svc, ctx.env);
        node = placementOrder(cfg.name, cfg.placement, cfg.nodes)[0];
      }
      return requestTarget(ctx, action, node, waitSeconds(ctx, action));
    },
  };
}

export const switchCmd = placement('switch');
export const takeover = placement('takeover');
export const giveback = placement('giveback');

/** abort: the service's target dropped; the actions in progress finish. */
export const abort: CommandModule = {
  async run(ctx) {
    allowOnly(ctx.args, 'abort', []);
    noExtraWords(ctx, 'abort');
    selected(ctx, 'abort');
    return requestTarget(ctx, 'abort', undefined, undefined);
  },
};
