import { constants } from 'node:fs';
import { access, realpath, stat } from 'node:fs/promises';
import { userInfo } from 'node:os';
import path from 'node:path';
import { kwList, kwString, type ResourceConfig } from '../../../domain/config/types.js';
import { ResourceError } from '../../../domain/errors.js';
import { runCommand, type CommandResult } from '../../exec.js';
import type { DriverContext, ResourceDriver, ResourceStatus } from '../driver.js';
import { formatDuration, parseSeconds } from '../common/duration.js';
import { hasControlChars, hasDotDotSegment, isEnvName, isUserName, tail } from '../common/values.js';

type Action = 'start' | 'stop' | 'status' | 'info';

/** grace between TERM and KILL when a launcher overruns its timeout */
const KILL_AFTER_S = 2;
const DEFAULT_TIMEOUT_S: Record<Action, number> = { start: 60, stop: 60, status: 30, info: 30 };
/** the specific keyword first, then `timeout` */
const TIMEOUT_KW: Record<Action, readonly string[]> = {
  start: ['start_timeout', 'timeout'],
  stop: ['stop_timeout', 'timeout'],
  status: ['status_timeout', 'check_timeout', 'timeout'],
  info: ['info_timeout', 'timeout'],
};

/**
 * A launcher's status exit code that means "not running". As OpenSVC's app
 * driver: 0 is up, 1 is down, any other code is the check itself failing
 * (warn, "check reports errors"), which says nothing of the app.
 */
const STATUS_DOWN = 1;

/** keys a launcher's `info` output may not set on a plain object */
const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

interface Launcher {
  /** the path executed */
  readonly file: string;
  /** the path shown: the .d symlink resolved, as the tutorial prints it */
  readonly shown: string;
}

interface RunAs {
  readonly name: string;
  readonly uid: number | undefined;
  readonly gid: number | undefined;
}

/** Why a launcher cannot be used; 'missing' is not an error for status/stop. */
class LauncherMissing extends ResourceError {}

/**
 * app: a launcher script called with start/stop/status/info, as OpenSVC does.
 * Keywords: script (a basename looked up in <etc>/<svc>.d/, or an absolute
 * path), user, environment (KEY=VALUE list), timeout, start_timeout,
 * stop_timeout, status_timeout (check_timeout), info_timeout (seconds).
 */
export function createAppDriver(conf: ResourceConfig): ResourceDriver {
  const rid = conf.rid;
  const script = kwString(conf, 'script') ?? '';

  async function launcher(ctx: DriverContext): Promise<Launcher> {
    if (script === '') throw new ResourceError(rid, 'script is not set');
    if (hasControlChars(script)) throw new ResourceError(rid, 'script is refused: control characters');
    if (hasDotDotSegment(script)) throw new ResourceError(rid, `script ${JSON.stringify(script)} is refused: no '..' segments`);
    let file: string;
    if (path.isAbsolute(script)) {
      file = path.normalize(script);
    } else if (script.includes('/') || script === '.') {
      throw new ResourceError(rid, `script ${JSON.stringify(script)} is refused: give a basename found in ${ctx.svc.name}.d/ or an absolute path`);
    } else {
      if (ctx.svc.name.includes('/') || hasDotDotSegment(ctx.svc.name)) throw new ResourceError(rid, `service name ${JSON.stringify(ctx.svc.name)} is refused`);
      file = path.join(ctx.paths.etc, `${ctx.svc.name}.d`, script);
    }
    let shown: string;
    try {
      shown = path.join(await realpath(path.dirname(file)), path.basename(file));
      const st = await stat(file);
      if (!st.isFile()) throw new ResourceError(rid, `script ${file} is not a regular file`);
    } catch (err) {
      if (err instanceof ResourceError) throw err;
      throw new LauncherMissing(rid, `script ${file} not found`, { cause: err });
    }
    try {
      await access(file, constants.X_OK);
    } catch (err) {
      throw new ResourceError(rid, `script ${shown} is not executable`, { cause: err });
    }
    return { file, shown };
  }

  async function runAs(ctx: DriverContext): Promise<RunAs> {
    const user = kwString(conf, 'user');
    if (user === undefined || user === '') return { name: userInfo().username, uid: undefined, gid: undefined };
    if (!isUserName(user)) throw new ResourceError(rid, `user ${JSON.stringify(user)} is not a user name`);
    const id = async (flag: string) => {
      const r = await runCommand(['id', flag, user], { signal: ctx.signal, timeoutMs: 10_000 });
      const n = Number(r.stdout.trim());
      if (r.exitCode !== 0 || !Number.isInteger(n)) throw new ResourceError(rid, `user ${user} not found`);
      return n;
    };
    return { name: user, uid: await id('-u'), gid: await id('-g') };
  }

  function environment(ctx: DriverContext): Record<string, string> {
    const env: Record<string, string> = { OPENSVC_SVCNAME: ctx.svc.name, OPENSVC_RID: rid };
    for (const item of kwList(conf, 'environment')) {
      const eq = item.indexOf('=');
      const key = eq > 0 ? item.slice(0, eq) : '';
      if (!isEnvName(key)) throw new ResourceError(rid, `environment ${JSON.stringify(item)} is not KEY=VALUE`);
      env[key] = item.slice(eq + 1);
    }
    return env;
  }

  function timeoutOf(action: Action): number {
    for (const k of TIMEOUT_KW[action]) {
      const s = parseSeconds(conf.kw[k]);
      if (s !== undefined) return s;
    }
    return DEFAULT_TIMEOUT_S[action];
  }

  /** run one launcher action, logging the tutorial's `exec ...` and `... done in ... ret N` lines */
  async function run(ctx: DriverContext, l: Launcher, action: Action, verbose: boolean): Promise<CommandResult> {
    const who = await runAs(ctx);
    const env = environment(ctx);
    const timeoutS = timeoutOf(action);
    if (verbose) await ctx.log('info', `exec ${l.shown} ${action} as user ${who.name}`);
    // coreutils timeout runs the launcher in a process group of its own and
    // kills the whole group when time is up: a child the launcher forked
    // (a `sleep` in a hung loop) would otherwise hold the output pipe open
    // and keep the action waiting past its timeout.
    // cwd /: a launcher's daemons must not keep the agent's cwd (or a service fs) busy.
    const r = await runCommand(['timeout', '-k', String(KILL_AFTER_S), `${timeoutS}s`, l.file, action], {
      signal: ctx.signal,
      timeoutMs: (timeoutS + KILL_AFTER_S + 5) * 1000,
      env,
      cwd: '/',
      uid: who.uid,
      gid: who.gid,
    });
    // 124: timeout sent TERM, 137: it had to KILL (the launcher's own exit codes are told apart by the time taken)
    const timedOut = r.timedOut || ((r.exitCode === 124 || r.exitCode === 137) && r.durationMs >= timeoutS * 1000 - 50);
    if (ctx.signal.aborted) throw new ResourceError(rid, `${action} aborted`);
    if (verbose) {
      for (const line of r.stdout.split('\n')) if (line.trim() !== '') await ctx.log('info', line);
      for (const line of r.stderr.split('\n')) if (line.trim() !== '') await ctx.log(r.exitCode === 0 ? 'warn' : 'error', line);
      const ret = timedOut ? 'timed out' : `ret ${r.exitCode}`;
      await ctx.log(r.exitCode === 0 ? 'info' : 'error', `${action} done in ${formatDuration(r.durationMs)} ${ret}`);
    }
    if (timedOut && action !== 'status') throw new ResourceError(rid, `${action} timed out after ${timeoutS}s`);
    return { ...r, timedOut };
  }

  async function startOrStop(ctx: DriverContext, action: 'start' | 'stop'): Promise<'done' | 'already'> {
    let l: Launcher;
    try {
      l = await launcher(ctx);
    } catch (err) {
      // a launcher that is gone (its fs unmounted) has nothing left running to stop
      if (action === 'stop' && err instanceof LauncherMissing) {
        await ctx.log('warn', `${err.message}: considered stopped`);
        return 'already';
      }
      throw err;
    }
    if (action === 'stop') {
      // as OpenSVC: an app whose status says it is not running is not stopped again
      // (a launcher's `killall` fails when nothing runs, which would fail a relocation)
      // Only a clean "not running" (exit 1) counts: a status that errs or hangs proves nothing, and
      // skipping the stop then would leave the app running under a relocation.
      const st = await run(ctx, l, 'status', false).catch(() => undefined);
      if (st !== undefined && !st.timedOut && st.exitCode === STATUS_DOWN) {
        await ctx.log('info', `${script} is already stopped`);
        return 'already';
      }
    }
    const r = await run(ctx, l, action, true);
    if (r.exitCode !== 0) {
      const why = tail(r.stderr) || tail(r.stdout);
      throw new ResourceError(rid, `${action} failed, ret ${r.exitCode}${why ? `: ${why}` : ''}`);
    }
    return 'done';
  }

  const driver: ResourceDriver = {
    rid,
    conf,
    label: () => script,

    async status(ctx): Promise<ResourceStatus> {
      let l: Launcher;
      try {
        l = await launcher(ctx);
      } catch (err) {
        // the tutorial shows a plain `down` when the launcher's fs is not mounted
        if (err instanceof LauncherMissing) return { status: 'down', log: [] };
        return { status: 'warn', log: [`warn: ${(err as Error).message}`] };
      }
      let r: CommandResult;
      try {
        r = await run(ctx, l, 'status', false);
      } catch (err) {
        return { status: 'warn', log: [`warn: ${(err as Error).message}`] };
      }
      if (r.timedOut) return { status: 'warn', log: [`warn: status timed out after ${timeoutOf('status')}s`] };
      if (r.exitCode === 0) return { status: 'up', log: [] };
      if (r.exitCode === STATUS_DOWN) return { status: 'down', log: [] };
      const why = tail(r.stderr) || tail(r.stdout);
      return { status: 'warn', log: [`warn: check reports errors (${r.exitCode})${why ? `: ${why}` : ''}`] };
    },

    // The tutorial's second start runs the launcher's start although the app
    // may be up: launchers are idempotent (`already started`), the driver
    // does not second-guess them.
    start: (ctx) => startOrStop(ctx, 'start'),
    stop: (ctx) => startOrStop(ctx, 'stop'),

    async info(ctx) {
      const out: Record<string, string> = { script };
      try {
        const l = await launcher(ctx);
        out.path = l.shown;
        const r = await run(ctx, l, 'info', false);
        if (r.exitCode === 0) {
          for (const line of r.stdout.split('\n')) {
            const m = /^\s*([^:]+?)\s*:\s*(.*)$/.exec(line);
            if (m?.[1] !== undefined && m[2] !== undefined && !UNSAFE_KEYS.has(m[1])) out[m[1]] = m[2];
          }
        }
      } catch (err) {
        out.error = (err as Error).message;
      }
      return out;
    },
  };
  return driver;
}
