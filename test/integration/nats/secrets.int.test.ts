import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { connect } from '@nats-io/transport-node';
import { EventStore, redact } from '../../../adapters/nats/eventStore.js';
import { freePort } from '../../../adapters/nats/server.js';
import { loadNodeConfig, tightenNodeConf } from '../../../src/config/nodeConfig.js';
import { main } from '../../../src/cli/main.js';
import { NODEMGR } from '../../../src/cli/nodemgr.js';
import { daemonLogger } from '../../../src/daemon/log.js';
import { startNats } from '../../../src/daemon/nats.js';
import { ThreadTable } from '../../../src/daemon/threads.js';
import { makeEvent } from '../../../domain/events.js';
import type { AnyEvent } from '../../../domain/events.js';
import { natsTarget } from '../../../src/events/natsTarget.js';
import { nodePaths, type NodePaths } from '../../../src/paths.js';
import { useTestScope } from '../../support/jest.js';
import type { TestScope } from '../../support/scope.js';
import { run } from '../../support/sh.js';
import { createTempDir } from '../../support/tmp.js';

async function node(scope: TestScope, nodeConf?: string): Promise<{ env: Record<string, string>; paths: NodePaths }> {
  const root = await createTempDir(scope);
  const env = { OSVC_ROOT: root, OSVC_NODENAME: 'node1' };
  const paths = nodePaths(env);
  fs.mkdirSync(paths.etc, { recursive: true });
  if (nodeConf !== undefined) fs.writeFileSync(paths.nodeConf, nodeConf, { mode: 0o644 });
  return { env, paths };
}

/** The embedded server as the daemon starts it, stopped with the scope. */
async function daemonNats(scope: TestScope, paths: NodePaths, env: Record<string, string>) {
  const handle = await startNats(paths, loadNodeConfig(paths, env), 'node1', new ThreadTable(), daemonLogger(paths, 'node1'), { onStarted: () => undefined, onExited: () => undefined });
  scope.defer('nats-server', () => handle.stop());
  return handle;
}

const mode = (f: string) => fs.statSync(f).mode & 0o777;

/** Try to read each file as nobody (uid/gid 65534): `file: read` or `file: <errno code>`. */
async function readAsNobody(files: readonly string[]): Promise<string[]> {
  const script = "for (const f of process.argv.slice(1)) { try { require('fs').readFileSync(f); console.log(f + ': read'); } catch (e) { console.log(f + ': ' + e.code); } }";
  const r = await run(['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '-e', script, ...files]);
  expect(r.stderr).toBe('');
  return r.stdout.trim().split('\n');
}

describe('the NATS keys and node.conf are root\'s', () => {
  const scope = useTestScope();

  test('a non-root user cannot read the seeds or the server config, even with the nats dir opened', async () => {
    const { env, paths } = await node(scope(), `[nats]\nport = ${await freePort()}\n`);
    await daemonNats(scope(), paths, env);
    const secrets = ['writer.nk', 'reader.nk', 'nats-server.conf'].map((f) => path.join(paths.natsDir, f));
    for (const f of secrets) expect(mode(f)).toBe(0o600);
    expect(mode(paths.natsDir)).toBe(0o700);
    // nobody may walk down to the nats dir: what stops them is the nats dir, then the files themselves
    for (let d = path.dirname(paths.natsDir); d.startsWith(paths.root); d = path.dirname(d)) fs.chmodSync(d, 0o755);
    const control = path.join(paths.natsDir, 'control.txt');
    fs.writeFileSync(control, 'readable', { mode: 0o644 });
    expect(await readAsNobody([...secrets, control])).toEqual([...secrets, control].map((f) => `${f}: EACCES`));
    fs.chmodSync(paths.natsDir, 0o755);
    expect(await readAsNobody([...secrets, control])).toEqual([...secrets.map((f) => `${f}: EACCES`), `${control}: read`]);
  });

  test('an install with the old password: the daemon\'s start moves to nkeys, says so, and the password stops working', async () => {
    const port = await freePort();
    const { env, paths } = await node(scope(), `[nats]\nport = ${port}\n`);
    const password = 'the-old-embedded-password';
    fs.mkdirSync(paths.natsDir, { recursive: true, mode: 0o700 });
    fs.writeFileSync(path.join(paths.natsDir, 'credentials.json'), JSON.stringify({ user: 'hasvc', password }), { mode: 0o600 });

    const handle = await daemonNats(scope(), paths, env);
    expect(fs.existsSync(path.join(paths.natsDir, 'credentials.json'))).toBe(false);
    expect(fs.readFileSync(paths.agentLog, 'utf8')).toContain('"msg":"nats-server users now log in with nkeys (writer.nk, reader.nk): the old password is removed and no longer accepted"');
    expect(fs.readFileSync(path.join(paths.natsDir, 'nats-server.conf'), 'utf8')).not.toContain(password);
    await expect(connect({ servers: `127.0.0.1:${port}`, user: 'hasvc', pass: password, maxReconnectAttempts: 0 })).rejects.toThrow(/Authorization Violation/);

    const store = await EventStore.open({ ...handle.endpoint, cluster: 'mig' });
    try {
      await store.append([makeEvent({ type: 'NodeFrozen', data: {} }, { cluster: 'mig', origin: 'node1', seq: 1, time: new Date(0).toISOString() }) as AnyEvent]);
      expect(await store.lastSeqOf('node1')).toBe(1);
    } finally {
      await store.close();
    }
  });

  test('nodemgr set writes node.conf 0600, a new one and one that was 0644', async () => {
    const { env, paths } = await node(scope());
    const set = async (kw: string) => {
      const err: string[] = [];
      const code = await main({ prog: 'nodemgr', table: NODEMGR, argv: ['set', '--kw', kw], invokedAs: 'nodemgr', svcmgrPath: '/x', env, out: () => undefined, err: (l) => err.push(l) });
      expect(err).toEqual([]);
      expect(code).toBe(0);
    };
    await set('nats.port=4333');
    expect(mode(paths.nodeConf)).toBe(0o600);
    fs.chmodSync(paths.nodeConf, 0o644);
    await set('nats.url=nats://ext:pa#ss@127.0.0.1:4333');
    expect(mode(paths.nodeConf)).toBe(0o600);
  });

  test('a 0644 node.conf holding a password is made 0600, one holding none is left alone', async () => {
    const url = 'nats://ext:p#ss;w@rd@127.0.0.1:4333';
    const { paths } = await node(scope(), `[nats]\nurl = ${url}   \n`);
    // read whole, with the parser that edits the file, and never shown
    expect(natsTarget(paths).endpoint.servers).toBe(url);
    expect(redact(url)).toBe('nats://ext:***@127.0.0.1:4333');
    expect(tightenNodeConf(paths)).toEqual({ mode: 0o644, keywords: ['nats.url'] });
    expect(mode(paths.nodeConf)).toBe(0o600);
    expect(tightenNodeConf(paths)).toBeUndefined();

    const plain = await node(scope(), '[nats]\nurl = nats://nats.example.com:4222\n');
    expect(tightenNodeConf(plain.paths)).toBeUndefined();
    expect(mode(plain.paths.nodeConf)).toBe(0o644);
  });
});
