import os from 'node:os';
import { optAll, allowOnly, flag, opt } from '../args.js';
import type { CliContext } from '../context.js';
import { runAction } from '../../action/runner.js';
import type { ActionVerb } from '../../action/runner.js';
import { withLocalService } from './local.js';
import { requestTarget, waitSeconds } from './target.js';

function list(ctx: CliContext, name: string): string[] {
  return optAll(ctx.args, name).flatMap((v) => v.split(',')).map((s) => s.trim()).filter(Boolean);
}

/**
 * The action through the daemon, its output streamed: one runner, one
 * writer of the node's events, whether the user or the daemon starts it.
 */
async function viaDaemon(ctx: CliContext, verb: ActionVerb, user: string): Promise<number> {
  const { daemonStream } = await import('../../daemon/client.js');
  let ok = false;
  let error: string | undefined;
  const status = await daemonStream(
    ctx.paths,
    'POST',
    `/services/${encodeURIComponent(ctx.svc!)}/actions`,
    { action: verb, rids: list(ctx, 'rid'), tags: list(ctx, 'tag'), subsets: list(ctx, 'subset'), force: flag(ctx.args, 'force'), argv: process.argv.slice(1), user },
    (o) => {
      const m = o as { line?: unknown; ok?: unknown; error?: unknown };
      if (typeof m.line === 'string') ctx.out(m.line);
      if (typeof m.ok === 'boolean') ok = m.ok;
      if (typeof m.error === 'string') error = m.error;
    },
  );
  if (status !== 200) error ??= `the daemon answered HTTP ${status}`;
  if (error !== undefined) ctx.err(error);
  return ok ? 0 : 1;
}

/**
 * start / stop / restart. As in OpenSVC, `--local` runs the action on the
 * local instance right here, in this process. Without it, start and stop of
 * the whole service are targets for the cluster's orchestration (OpenSVC's
 * global expect, target.ts): started where placement says, stopped
 * everywhere and kept stopped; restart, and an action on some resources
 * (--rid, --tag, --subset) or --force, run on the local instance in the
 * daemon. With no daemon running, the action runs here.
 */
export function actionCommand(verb: ActionVerb) {
  return {
    async run(ctx: CliContext): Promise<number> {
      allowOnly(ctx.args, verb, ['local', 'rid', 'tag', 'subset', 'force', 'waitlock', ...(verb === 'restart' ? [] : ['wait', 'time'])]);
      const user = ctx.env.SUDO_USER ?? ctx.env.USER ?? os.userInfo().username;
      const whole = list(ctx, 'rid').length + list(ctx, 'tag').length + list(ctx, 'subset').length === 0 && !flag(ctx.args, 'force');
      const seconds = verb === 'restart' ? undefined : waitSeconds(ctx, verb);
      if (!flag(ctx.args, 'local') && ctx.svc && (await import('../../config/serviceFiles.js')).serviceExists(ctx.paths, ctx.svc)) {
        const { isDaemonUp } = await import('../../daemon/client.js');
        if (await isDaemonUp(ctx.paths, 1000)) return whole && verb !== 'restart' ? requestTarget(ctx, verb, undefined, seconds) : viaDaemon(ctx, verb, user);
      }
      return withLocalService(ctx, async (l) => {
        const wait = opt(ctx.args, 'waitlock');
        const out = await runAction(
          {
            svc: l.svc,
            action: verb,
            selection: { rids: list(ctx, 'rid'), tags: list(ctx, 'tag'), subsets: list(ctx, 'subset') },
            force: flag(ctx.args, 'force'),
            argv: process.argv.slice(1),
            user,
          },
          {
            nodename: l.node,
            paths: ctx.paths,
            sink: l.sink,
            print: ctx.out,
            driverFor: l.driverFor,
            signal: l.signal,
            now: () => Date.now(),
            ...(wait !== undefined ? { lockTimeoutMs: Number(wait) * 1000 } : {}),
          },
        );
        return out.ok ? 0 : 1;
      });
    },
  };
}
