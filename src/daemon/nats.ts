import fs from 'node:fs';
import path from 'node:path';
import { redact } from '../../adapters/nats/eventStore.js';
import type { NatsEndpoint } from '../../adapters/nats/connect.js';
import { NatsServerSupervisor, natsUrl } from '../../adapters/nats/server.js';
import type { ServerExit } from '../../adapters/nats/server.js';
import { tightenNodeConf } from '../config/nodeConfig.js';
import type { NodeConfig } from '../../domain/config/node.js';
import type { NodePaths } from '../paths.js';
import type { DaemonLogger } from './log.js';
import type { ThreadTable } from './threads.js';
import { pidAlive as alive } from '../../adapters/fs/lock.js';

export interface NatsHandle {
  readonly kind: 'embedded' | 'external';
  /** how the daemon connects: the writer's key, or the user's URL (its password never logged, never in an event) */
  readonly endpoint: NatsEndpoint;
  /** the URL without credentials */
  readonly shownUrl: string;
  readonly pid: number | undefined;
  stop(): Promise<void>;
}

export interface NatsHooks {
  readonly onStarted: (pid: number, shownUrl: string) => void;
  readonly onExited: (exit: ServerExit, willRestart: boolean) => void;
}

/**
 * A nats-server a previous daemon left running when it was killed (-9):
 * it still holds the port and the store. Only a nats-server started on this
 * node's config file is stopped.
 */
export async function stopOrphanServer(natsDir: string, log: DaemonLogger): Promise<void> {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(path.join(natsDir, 'nats-server.pid'), 'utf8').trim());
  } catch {
    return;
  }
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return;
  let argv: string[];
  try {
    argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return;
  }
  const conf = path.join(natsDir, 'nats-server.conf');
  if (!path.basename(argv[0] ?? '').startsWith('nats-server') || !argv.includes(conf)) return;
  log.warn({ natsPid: pid }, 'stopping the nats-server a previous daemon left running');
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  if (alive(pid)) process.kill(pid, 'SIGKILL');
  for (let i = 0; i < 50 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
}

/**
 * The node's NATS: `[nats] url` names an existing server (nothing spawned),
 * otherwise the embedded nats-server is started and supervised — restarted
 * when it dies, stopped with the daemon.
 */
export async function startNats(p: NodePaths, conf: NodeConfig, node: string, threads: ThreadTable, log: DaemonLogger, hooks: NatsHooks): Promise<NatsHandle> {
  const tightened = tightenNodeConf(p);
  if (tightened) log.warn({ file: p.nodeConf, mode: `0${tightened.mode.toString(8)}`, keywords: tightened.keywords }, 'node.conf holds credentials and others could read it: made it 0600');
  if (conf.nats.url !== undefined && conf.nats.url.trim() !== '') {
    const url = conf.nats.url.trim();
    const shownUrl = redact(url);
    threads.set('nats', 'running', { address: shownUrl.replace(/^nats:\/\/([^@]*@)?/, ''), detail: 'external' });
    log.info({ url: shownUrl }, 'using an external NATS server');
    return { kind: 'external', endpoint: { servers: url }, shownUrl, pid: undefined, stop: async () => undefined };
  }
  const port = conf.nats.port;
  const address = `127.0.0.1:${port}`;
  const shownUrl = natsUrl(port);
  threads.set('nats', 'starting', { address });
  await stopOrphanServer(p.natsDir, log);
  const sup = new NatsServerSupervisor(
    { dir: p.natsDir, port, serverName: `hasvc_${node}`, logFile: path.join(p.log, 'nats.log') },
    {
      onStarted: (pid) => {
        threads.set('nats', 'running', { address });
        log.info({ natsPid: pid, address }, 'nats-server started');
        hooks.onStarted(pid, shownUrl);
      },
      onExit: (exit, willRestart) => {
        threads.set('nats', willRestart ? 'restarting' : 'stopped', { address, ...(willRestart ? { detail: `exited (${exit.signal ?? `code ${exit.code}`})` } : {}) });
        (willRestart ? log.warn.bind(log) : log.info.bind(log))({ natsPid: exit.pid, code: exit.code, signal: exit.signal, willRestart }, 'nats-server exited');
        hooks.onExited(exit, willRestart);
      },
    },
  );
  if (sup.keys.removedPassword) log.warn({ dir: p.natsDir }, 'nats-server users now log in with nkeys (writer.nk, reader.nk): the old password is removed and no longer accepted');
  try {
    await sup.start();
  } catch (e) {
    threads.set('nats', 'failed', { address, detail: (e as Error).message });
    await sup.stop().catch(() => undefined);
    throw e;
  }
  return {
    kind: 'embedded',
    endpoint: sup.endpoint,
    shownUrl,
    get pid() {
      return sup.pid;
    },
    async stop() {
      threads.set('nats', 'stopping', { address });
      await sup.stop();
      threads.set('nats', 'stopped', { address });
    },
  };
}
