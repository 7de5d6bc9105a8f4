import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UnavailableError } from '../../domain/errors.js';
import { FileLock } from '../fs/lock.js';
import type { NatsEndpoint } from './connect.js';
import { WRITER_INBOX_PREFIX, provisionNkeys, readSeed, seedFile } from './nkeys.js';
import type { NatsUserKeys } from './nkeys.js';

export interface EmbeddedServerOptions {
  /** <OSVCVAR>/nats: store, rendered config, nkey seeds, pid */
  readonly dir: string;
  readonly port: number;
  readonly serverName: string;
  /** log file of nats-server itself */
  readonly logFile: string;
  readonly maxFileStore?: number;
  readonly binary?: string;
  readonly template?: string;
}

export interface ServerExit {
  readonly pid: number;
  readonly code: number | null;
  readonly signal: string | null;
}

/** The repo's nats.conf: from adapters/nats/ (sources) or dist/adapters/nats/ (built). */
function templatePath(): string {
  for (const rel of ['../../nats.conf', '../../../nats.conf']) {
    const p = fileURLToPath(new URL(rel, import.meta.url));
    if (fs.existsSync(p)) return p;
  }
  throw new UnavailableError('nats.conf template not found beside the installed hasvc');
}

/** The embedded server's URL: no credentials in it, the users log in with nkeys. */
export function natsUrl(port: number): string {
  return `nats://127.0.0.1:${port}`;
}

function renderConfig(o: EmbeddedServerOptions, keys: NatsUserKeys): string {
  const tpl = fs.readFileSync(o.template ?? templatePath(), 'utf8');
  const values: Record<string, string> = {
    port: String(o.port),
    server_name: o.serverName,
    pid_file: path.join(o.dir, 'nats-server.pid'),
    log_file: o.logFile,
    store_dir: path.join(o.dir, 'store'),
    max_file_store: String(o.maxFileStore ?? 8 * 1024 * 1024 * 1024),
    writer_nkey: keys.writer,
    reader_nkey: keys.reader,
    writer_inbox: WRITER_INBOX_PREFIX,
  };
  return tpl.replace(/\{\{(\w+)\}\}/g, (_m, k: string) => {
    const v = values[k];
    if (v === undefined) throw new UnavailableError(`nats.conf: unknown placeholder {{${k}}}`);
    // the rendered file is a NATS config: quote-safe values only
    if (/["\\\n]/.test(v)) throw new UnavailableError(`nats.conf: value for ${k} contains a quote, backslash or newline`);
    return v;
  });
}

function waitForPort(port: number, timeoutMs: number, alive: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      if (!alive()) return reject(new UnavailableError('nats-server exited during start-up (see its log)'));
      const sock = net.connect({ host: '127.0.0.1', port });
      sock.once('connect', () => {
        sock.destroy();
        resolve();
      });
      sock.once('error', () => {
        sock.destroy();
        if (Date.now() > deadline) reject(new UnavailableError(`nats-server not ready on 127.0.0.1:${port} after ${timeoutMs} ms`));
        else setTimeout(attempt, 25);
      });
    };
    attempt();
  });
}

/**
 * Starts the node's nats-server, restarts it when it dies, stops it cleanly.
 * Decides nothing else: exits and restarts are reported to the caller.
 */
export class NatsServerSupervisor {
  private child: ChildProcess | undefined;
  private stopping = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private restarts = 0;
  /** one server per store: the daemon's, or a short-lived reader's, never both */
  private readonly storeLock: FileLock;
  readonly keys: NatsUserKeys;

  constructor(
    private readonly o: EmbeddedServerOptions,
    private readonly hooks: {
      onStarted?: (pid: number) => void;
      onExit?: (exit: ServerExit, willRestart: boolean) => void;
    } = {},
  ) {
    this.keys = provisionNkeys(o.dir);
    this.storeLock = new FileLock(path.join(o.dir, 'server.lock'));
  }

  /** the URL, without credentials */
  get url(): string {
    return natsUrl(this.o.port);
  }

  /** how the daemon and root's CLI connect: as the writer */
  get endpoint(): NatsEndpoint {
    return { servers: this.url, nkeySeed: readSeed(seedFile(this.o.dir, 'writer')), inboxPrefix: WRITER_INBOX_PREFIX };
  }

  /** as the read-only user, for tests and local consumers */
  get readerEndpoint(): NatsEndpoint {
    return { servers: this.url, nkeySeed: readSeed(seedFile(this.o.dir, 'reader')) };
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get configFile(): string {
    return path.join(this.o.dir, 'nats-server.conf');
  }

  async start(timeoutMs = 10_000): Promise<number> {
    this.stopping = false;
    if (!this.storeLock.tryAcquire() && this.storeLock.holder() !== process.pid) {
      await this.storeLock.acquire(timeoutMs, `nats-server store ${this.o.dir}`);
    }
    fs.mkdirSync(path.join(this.o.dir, 'store'), { recursive: true, mode: 0o700 });
    fs.mkdirSync(path.dirname(this.o.logFile), { recursive: true });
    const conf = renderConfig(this.o, this.keys);
    fs.writeFileSync(this.configFile, conf, { mode: 0o600 });
    fs.chmodSync(this.configFile, 0o600);
    const child = spawn(this.o.binary ?? 'nats-server', ['-c', this.configFile], { stdio: ['ignore', 'ignore', 'pipe'], detached: false });
    this.child = child;
    let stderr = '';
    child.stderr?.on('data', (b: Buffer) => {
      stderr = (stderr + b.toString()).slice(-2000);
    });
    let exited = false;
    child.once('exit', (code, signal) => {
      exited = true;
      this.onChildExit(child, code, signal);
    });
    const spawnError = new Promise<never>((_, reject) => child.once('error', (e) => reject(new UnavailableError(`cannot run nats-server: ${e.message}`, { cause: e }))));
    await Promise.race([waitForPort(this.o.port, timeoutMs, () => !exited), spawnError]).catch((e: unknown) => {
      if (!exited) child.kill('SIGKILL');
      const tail = stderr.trim() ? `: ${stderr.trim().split('\n').pop()}` : '';
      throw e instanceof Error ? new UnavailableError(`${e.message}${tail}`, { cause: e }) : e;
    });
    const pid = child.pid!;
    this.hooks.onStarted?.(pid);
    return pid;
  }

  private onChildExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.child !== child) return;
    this.child = undefined;
    const willRestart = !this.stopping;
    this.hooks.onExit?.({ pid: child.pid ?? 0, code, signal }, willRestart);
    if (!willRestart) return;
    // back off a little more on each consecutive failure, capped at 5 s
    const delay = Math.min(5000, 100 * 2 ** Math.min(this.restarts, 6));
    this.restarts++;
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (this.stopping) return;
      this.start()
        .then(() => {
          this.restarts = 0;
        })
        .catch(() => {
          /* the exit hook of the failed attempt reports it, and schedules the next try */
        });
    }, delay);
  }

  /** SIGTERM (lame-duck free, flushes the store), SIGKILL after the grace period. */
  async stop(graceMs = 5000): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const child = this.child;
    if (child && child.exitCode === null) {
      const done = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await done;
      clearTimeout(timer);
    }
    this.storeLock.release();
  }
}

/** A free TCP port on loopback, for tests and first-start defaults. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}
