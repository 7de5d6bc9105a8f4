import { daemonJson } from '../../daemon/client.js';
import type { EventsPage } from '../../daemon/monitor.js';
import type { DaemonStatus } from '../../daemon/readModel.js';
import { allowOnly, flag, opt, optAll } from '../args.js';
import type { CliContext } from '../context.js';
import { stdoutClosed } from '../main.js';
import { renderSvcmon } from './render.js';

/** -s svc1,svc2 or -s 'web*': which services to show. */
export function serviceFilter(patterns: readonly string[]): ((name: string) => boolean) | undefined {
  const list = patterns.flatMap((p) => p.split(',')).map((p) => p.trim()).filter(Boolean);
  if (list.length === 0) return undefined;
  const res = list.map((p) => new RegExp(`^${p.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`));
  return (name) => res.some((re) => re.test(name));
}

function filtered(s: DaemonStatus, keep: ((name: string) => boolean) | undefined): DaemonStatus {
  return keep ? { ...s, services: s.services.filter((x) => keep(x.name)) } : s;
}

const CLEAR = '\x1b[H\x1b[2J';

/**
 * svcmon: the cluster as the daemon's projections see it (threads, nodes,
 * services x nodes). It asks the daemon, never the system. --watch redraws
 * on every new event, following the daemon's event long-poll.
 */
export async function run(ctx: CliContext): Promise<number> {
  allowOnly(ctx.args, 'svcmon', ['watch', 'w']);
  const keep = serviceFilter(optAll(ctx.args, 'service'));
  const json = opt(ctx.args, 'format') === 'json';
  const show = (s: DaemonStatus, clear: boolean) => {
    if (json) {
      ctx.out(JSON.stringify(filtered(s, keep), null, 2));
      return;
    }
    // node columns past the terminal's width go to another block (80 columns when not a terminal)
    const width = process.stdout.isTTY ? process.stdout.columns : undefined;
    const lines = renderSvcmon(s, ctx.paint, { ...(keep ? { services: keep } : {}), ...(width ? { width } : {}) });
    if (clear) ctx.out(`${CLEAR}${lines.join('\n')}`);
    else for (const l of lines) ctx.out(l);
  };
  let status = await daemonJson<DaemonStatus>(ctx.paths, 'GET', '/daemon/status');
  if (!flag(ctx.args, 'watch') && !flag(ctx.args, 'w')) {
    show(status, false);
    return 0;
  }

  const ac = new AbortController();
  const onSigint = () => ac.abort();
  process.once('SIGINT', onSigint);
  // its reader gone (svcmon --watch | head), svcmon stops
  const onClosed = () => ac.abort();
  process.stdout.once('close', onClosed);
  process.stdout.once('error', onClosed);
  const tty = Boolean(process.stdout.isTTY) && !json;
  try {
    show(status, tty);
    let since = status.lastSeq;
    while (!ac.signal.aborted && !stdoutClosed()) {
      let page: EventsPage;
      try {
        page = await daemonJson<EventsPage>(ctx.paths, 'GET', `/events?since=${since}&wait=30&limit=1`, undefined, { timeoutMs: 45_000, signal: ac.signal });
      } catch (e) {
        if (ac.signal.aborted) break;
        throw e;
      }
      if (page.events.length === 0 && !page.truncated) continue;
      status = await daemonJson<DaemonStatus>(ctx.paths, 'GET', '/daemon/status');
      since = Math.max(status.lastSeq, page.lastSeq);
      if (!tty) ctx.out('');
      show(status, tty);
    }
    return 0;
  } finally {
    process.off('SIGINT', onSigint);
    process.stdout.off('close', onClosed);
    process.stdout.off('error', onClosed);
  }
}
