import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { connect } from '@nats-io/transport-node';
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

  it('says the embedded server was never started, then gives a URL a local consumer can subscribe with', async () => {
    const before = await get();
    expect(before.code).toBe(1);
    expect(before.err[0]).toContain('the embedded NATS server was never started on this node');

    const port = await freePort();
    fs.mkdirSync(p.etc, { recursive: true });
    fs.writeFileSync(p.nodeConf, `[nats]\nport = ${port}\n`);
    sup = new NatsServerSupervisor({ dir: p.natsDir, port, serverName: 'node1', logFile: path.join(p.log, 'nats.log') });
    await sup.start();
    expect(fs.statSync(path.join(p.natsDir, 'credentials.json')).mode & 0o777).toBe(0o600);
    expect(fs.statSync(sup.configFile).mode & 0o777).toBe(0o600);

    const r = await get();
    expect(r.code).toBe(0);
    const url = new URL(r.out[0]!.replace(/^nats:/, 'http:'));
    expect(url.hostname).toBe('127.0.0.1');
    expect(Number(url.port)).toBe(port);
    const nc = await connect({ servers: `127.0.0.1:${port}`, user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) });
    await nc.flush();
    await nc.close();
    await expect(connect({ servers: `127.0.0.1:${port}`, user: 'hasvc', pass: 'wrong', maxReconnectAttempts: 0 })).rejects.toThrow();
  });
});
