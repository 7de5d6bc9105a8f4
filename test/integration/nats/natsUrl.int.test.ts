import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { connect } from '@nats-io/transport-node';
import { connectNats } from '../../../adapters/nats/connect.js';
import { NatsServerSupervisor, freePort } from '../../../adapters/nats/server.js';
import { main } from '../../../src/cli/main.js';
import { NODEMGR } from '../../../src/cli/nodemgr.js';
import { nodePaths } from '../../../src/paths.js';

describe('nodemgr get --param nats.url', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hasvct-natsurl-'));
  const env = { OSVC_ROOT: root, OSVC_NODENAME: 'node1' };
  const p = nodePaths(env);
  let sup: NatsServerSupervisor | undefined;
  afterAll(async () => {
    await sup?.stop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  const get = async () => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main({ prog: 'nodemgr', table: NODEMGR, argv: ['get', '--param', 'nats.url'], invokedAs: 'nodemgr', svcmgrPath: '/x', env, out: (l) => out.push(l), err: (l) => err.push(l) });
    return { code, out, err };
  };

  it('says the embedded server was never started, then gives the URL a local consumer connects to with the reader key', async () => {
    const before = await get();
    expect(before.code).toBe(1);
    expect(before.err[0]).toContain('the embedded NATS server was never started on this node');

    const port = await freePort();
    fs.mkdirSync(p.etc, { recursive: true });
    fs.writeFileSync(p.nodeConf, `[nats]\nport = ${port}\n`);
    sup = new NatsServerSupervisor({ dir: p.natsDir, port, serverName: 'node1', logFile: path.join(p.log, 'nats.log') });
    await sup.start();
    for (const f of ['writer.nk', 'reader.nk']) expect(fs.statSync(path.join(p.natsDir, f)).mode & 0o777).toBe(0o600);
    expect(fs.statSync(sup.configFile).mode & 0o777).toBe(0o600);

    const r = await get();
    expect(r.code).toBe(0);
    // no credentials in it: a consumer logs in with the reader key
    expect(r.out).toEqual([`nats://127.0.0.1:${port}`]);
    const nc = await connectNats({ servers: r.out[0]!, nkeySeed: fs.readFileSync(path.join(p.natsDir, 'reader.nk')) }, { timeoutMs: 2000, name: 'consumer' });
    await nc.flush();
    await nc.close();
    await expect(connect({ servers: `127.0.0.1:${port}`, maxReconnectAttempts: 0 })).rejects.toThrow(/Authorization Violation/);
    await expect(connect({ servers: `127.0.0.1:${port}`, user: 'hasvc', pass: 'wrong', maxReconnectAttempts: 0 })).rejects.toThrow(/Authorization Violation/);
  });
});
