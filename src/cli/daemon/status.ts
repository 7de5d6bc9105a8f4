import { daemonJson, DaemonDownError } from '../../daemon/client.js';
import type { DaemonStatus } from '../../daemon/readModel.js';
import { allowOnly, opt } from '../args.js';
import type { CliContext } from '../context.js';
import { renderThreads } from '../svcmon/render.js';

/** The daemon's threads with their state and address; exit 1 when the daemon is not running. */
export async function run(ctx: CliContext): Promise<number> {
  allowOnly(ctx.args, 'daemon status', []);
  let s: DaemonStatus;
  try {
    s = await daemonJson<DaemonStatus>(ctx.paths, 'GET', '/daemon/status');
  } catch (e) {
    if (!(e instanceof DaemonDownError)) throw e;
    if (opt(ctx.args, 'format') === 'json') ctx.out(JSON.stringify({ running: false }));
    else ctx.out('daemon not running');
    return 1;
  }
  if (opt(ctx.args, 'format') === 'json') {
    ctx.out(JSON.stringify({ running: true, pid: s.pid, node: s.node, version: s.version, lastSeq: s.lastSeq, threads: s.threads }, null, 2));
    return 0;
  }
  for (const l of renderThreads(s, ctx.paint)) ctx.out(l);
  ctx.out('');
  ctx.out(`daemon pid ${s.pid}, hasvc ${s.version}, ${s.services.length} service(s), log at sequence ${s.lastSeq}`);
  return 0;
}
