import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pidAlive as alive } from '../../../adapters/fs/lock.js';
import { UnavailableError } from '../../../domain/errors.js';
import { daemonRequest, DaemonDownError, isDaemonUp } from '../../daemon/client.js';
import { daemonOutPath, runningDaemonPid } from '../../daemon/pidFile.js';
import type { CliContext } from '../context.js';

/**
 * A daemon mostly waits: a small young generation keeps its resident memory
 * low (V8's default semi-space is sized for throughput). The systemd unit
 * passes the same flags.
 */
export const DAEMON_NODE_FLAGS = ['--max-semi-space-size=2'];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The last lines written to `file` after `offset`: what this start printed, not an earlier one. */
function tail(file: string, offset: number, lines = 5): string {
  try {
    return fs.readFileSync(file).subarray(offset).toString('utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/**
 * `daemon start`: `nodemgr daemon run` detached, its output appended to
 * <OSVCLOG>/daemon.out; it writes <OSVCVAR>/osvcd.pid itself (so does a
 * daemon started by systemd). Returns once the listener answers.
 */
export async function startDaemon(ctx: CliContext, timeoutMs = 60_000): Promise<number> {
  if (await isDaemonUp(ctx.paths)) {
    ctx.out(`daemon already running (pid ${runningDaemonPid(ctx.paths) ?? '?'})`);
    return 0;
  }
  const outFile = daemonOutPath(ctx.paths);
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  const fd = fs.openSync(outFile, 'a', 0o640);
  const offset = fs.fstatSync(fd).size;
  const nodemgr = path.join(path.dirname(ctx.svcmgrPath), 'nodemgr');
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const child = spawn(process.execPath, [...DAEMON_NODE_FLAGS, nodemgr, 'daemon', 'run'], { detached: true, stdio: ['ignore', fd, fd], env: ctx.env, cwd: '/' });
  fs.closeSync(fd);
  child.once('exit', (code, signal) => (exit = { code, signal }));
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  child.unref();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const failed = await Promise.race([spawnError, sleep(100).then(() => undefined)]);
    if (failed) throw new UnavailableError(`cannot run ${nodemgr}: ${failed.message}`, { cause: failed });
    if (await isDaemonUp(ctx.paths, 1000)) break;
    if (exit) {
      const why = tail(outFile, offset);
      throw new UnavailableError(`the daemon exited during start-up (${exit.signal ?? `code ${exit.code}`}), see ${outFile}${why ? `:\n${why}` : ''}`);
    }
    if (Date.now() > deadline) throw new UnavailableError(`the daemon (pid ${child.pid}) did not answer within ${timeoutMs / 1000}s, see ${outFile} and ${ctx.paths.agentLog}`);
  }
  ctx.out(`daemon started (pid ${child.pid})`);
  return 0;
}

/**
 * `daemon stop`: ask the daemon over its socket, SIGTERM by pid when it
 * does not answer; wait until the process is gone. Services keep running.
 */
export async function stopDaemon(ctx: CliContext, timeoutMs = 60_000): Promise<number> {
  let pid = runningDaemonPid(ctx.paths);
  let asked = false;
  try {
    const r = await daemonRequest<{ pid?: number }>(ctx.paths, 'POST', '/daemon/stop');
    asked = r.status === 202;
    if (typeof r.body?.pid === 'number') pid = r.body.pid;
  } catch (e) {
    if (!(e instanceof DaemonDownError)) throw e;
  }
  if (!asked) {
    if (pid === undefined) {
      ctx.out('daemon not running');
      return 0;
    }
    process.kill(pid, 'SIGTERM');
  }
  const deadline = Date.now() + timeoutMs;
  while (pid !== undefined ? alive(pid) : await isDaemonUp(ctx.paths, 1000)) {
    if (Date.now() > deadline) throw new UnavailableError(`the daemon${pid !== undefined ? ` (pid ${pid})` : ''} did not stop within ${timeoutMs / 1000}s, see ${ctx.paths.agentLog}`);
    await sleep(100);
  }
  ctx.out('daemon stopped');
  return 0;
}
