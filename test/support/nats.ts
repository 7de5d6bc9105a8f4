import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NatsEndpoint } from '../../adapters/nats/connect.js';
import { NatsServerSupervisor, freePort } from '../../adapters/nats/server.js';

/** A real nats-server for one test file: free port, temp dir, stopped by pid. */
export interface TestNats {
  readonly dir: string;
  readonly port: number;
  /** the URL, without credentials */
  readonly url: string;
  /** how the daemon connects: the writer's nkey (embedded), or the URL with its password (external) */
  readonly endpoint: NatsEndpoint;
  readonly supervisor: NatsServerSupervisor;
  stop(): Promise<void>;
}

async function startWith(prefix: string, templateText: string | undefined, endpoint: (s: NatsServerSupervisor, port: number) => NatsEndpoint): Promise<TestNats> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const port = await freePort();
  // read again on every (re)start: it lives as long as the server
  const template = templateText === undefined ? undefined : path.join(dir, 'nats.conf.tpl');
  if (template) fs.writeFileSync(template, templateText!);
  const supervisor = new NatsServerSupervisor({ dir: path.join(dir, 'nats'), port, serverName: `test_${port}`, logFile: path.join(dir, 'nats.log'), ...(template ? { template } : {}) });
  try {
    await supervisor.start();
  } catch (e) {
    await supervisor.stop();
    fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    dir,
    port,
    url: supervisor.url,
    endpoint: endpoint(supervisor, port),
    supervisor,
    async stop() {
      await supervisor.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The node's embedded server as the project configures it: nkey users (writer, reader). */
export async function startTestNats(prefix = 'hasvct-nats-'): Promise<TestNats> {
  return startWith(prefix, undefined, (s) => s.endpoint);
}

/**
 * A server standing for one the user runs (`[nats] url`): one user with a
 * password, no nkeys. Its config is the project's template with the
 * authorization block replaced.
 */
export async function startExternalNats(prefix: string, user: string, password: string): Promise<TestNats & { readonly urlWithPassword: string }> {
  const repoTemplate = ['../../nats.conf', '../../../nats.conf'].map((r) => fileURLToPath(new URL(r, import.meta.url))).find((p) => fs.existsSync(p))!;
  const text = fs.readFileSync(repoTemplate, 'utf8');
  const auth = `authorization {\n  user: "${user}"\n  password: "${password}"\n}\n`;
  let withPassword = '';
  const nats = await startWith(prefix, `${text.slice(0, text.indexOf('authorization {'))}${auth}`, (_s, port) => {
    withPassword = `nats://${user}:${password}@127.0.0.1:${port}`;
    return { servers: withPassword };
  });
  return { ...nats, urlWithPassword: withPassword };
}
