import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NatsServerSupervisor, freePort } from '../../adapters/nats/server.js';

/** A real nats-server for one test file: free port, temp dir, stopped by pid. */
export interface TestNats {
  readonly dir: string;
  readonly port: number;
  readonly url: string;
  readonly supervisor: NatsServerSupervisor;
  stop(): Promise<void>;
}

export async function startTestNats(prefix = 'hasvct-nats-'): Promise<TestNats> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const port = await freePort();
  const supervisor = new NatsServerSupervisor({ dir: path.join(dir, 'nats'), port, serverName: `test_${port}`, logFile: path.join(dir, 'nats.log') });
  await supervisor.start();
  return {
    dir,
    port,
    url: supervisor.url,
    supervisor,
    async stop() {
      await supervisor.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
