import { nodename } from '../config/identity.js';
import type { NodePaths } from '../paths.js';
import { Daemon } from './daemon.js';
import { daemonLogger } from './log.js';
import { acquirePidFile, releasePidFile } from './pidFile.js';

export interface RunOptions {
  readonly paths: NodePaths;
  readonly env: NodeJS.ProcessEnv;
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

/**
 * `nodemgr daemon run`: the daemon in the foreground until SIGTERM/SIGINT
 * or a stop request (systemd's ExecStart, containers, `daemon start`'s
 * child). A second signal while stopping exits at once.
 */
export async function runDaemon(o: RunOptions): Promise<number> {
  acquirePidFile(o.paths);
  const log = daemonLogger(o.paths, nodename(o.env));
  // OSVC_ASOF_CHECK_MS: how often the --at checkpoints are looked at (tests look sooner than the 30 s default)
  const asOfCheckMs = Number(o.env.OSVC_ASOF_CHECK_MS);
  const daemon = new Daemon({ paths: o.paths, env: o.env, log, ...(asOfCheckMs > 0 ? { asOfCheckMs } : {}) });
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signals++;
    log.info({ signal: sig }, 'signal received');
    if (signals > 1) {
      log.warn('second signal while stopping: exiting now');
      process.exit(1);
    }
    void daemon.stop(`signal ${sig}`);
  };
  const onHup = () => log.info('SIGHUP ignored: configs are re-read as they change');
  // whatever way the process ends, the nats-server it started does not outlive it
  const onExit = () => {
    const pid = daemon.natsPid;
    if (pid === undefined) return;
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      /* already gone */
    }
    releasePidFile(o.paths);
  };
  const onUncaught = (e: Error) => {
    log.fatal({ err: e.stack ?? e.message }, 'uncaught exception: stopping');
    process.exitCode = 1;
    void daemon.stop('uncaught exception');
  };
  const onRejection = (e: unknown) => log.error({ err: e instanceof Error ? (e.stack ?? e.message) : String(e) }, 'unhandled rejection');
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  process.on('SIGHUP', onHup);
  process.on('exit', onExit);
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onRejection);
  try {
    try {
      await daemon.start();
    } catch (e) {
      log.error({ err: (e as Error).message }, 'daemon start failed');
      await daemon.stop('start failed');
      throw e;
    }
    o.out(`daemon running: pid ${process.pid}, node ${daemon.node}, listener ${daemon.threads.get('listener')?.address ?? '?'}, socket ${o.paths.daemonSocket}`);
    await daemon.stopped;
    o.out('daemon stopped');
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    process.off('SIGHUP', onHup);
    process.off('uncaughtException', onUncaught);
    process.off('unhandledRejection', onRejection);
    releasePidFile(o.paths);
    log.flush();
  }
}
