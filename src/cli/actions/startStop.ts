import os from 'node:os';
import { optAll, allowOnly, flag, opt } from '../args.js';
import type { CliContext } from '../context.js';
import { runAction } from '../../action/runner.js';
import type { ActionVerb } from '../../action/runner.js';
import { withLocalService } from './local.js';

function list(ctx: CliContext, name: string): string[] {
  return optAll(ctx.args, name).flatMap((v) => v.split(',')).map((s) => s.trim()).filter(Boolean);
}

/**
 * start / stop / restart of the local instance. Without a daemon to
 * orchestrate, the action runs here whether or not --local is given.
 */
export function actionCommand(verb: ActionVerb) {
  return {
    async run(ctx: CliContext): Promise<number> {
      allowOnly(ctx.args, verb, ['local', 'rid', 'tag', 'subset', 'force', 'waitlock']);
      return withLocalService(ctx, async (l) => {
        const wait = opt(ctx.args, 'waitlock');
        const out = await runAction(
          {
            svc: l.svc,
            action: verb,
            selection: { rids: list(ctx, 'rid'), tags: list(ctx, 'tag'), subsets: list(ctx, 'subset') },
            force: flag(ctx.args, 'force'),
            argv: process.argv.slice(1),
            user: ctx.env.SUDO_USER ?? ctx.env.USER ?? os.userInfo().username,
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
