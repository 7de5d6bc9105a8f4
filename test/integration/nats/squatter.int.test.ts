import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { beforeAll, describe, expect, test } from '@jest/globals';
import { nkeys } from '@nats-io/transport-node';
import { provisionNkeys } from '../../../adapters/nats/nkeys.js';
import { Spool } from '../../../adapters/nats/spool.js';
import { nodePaths, type NodePaths } from '../../../src/paths.js';
import { useTestScope } from '../../support/jest.js';
import type { TestScope } from '../../support/scope.js';
import { run } from '../../support/sh.js';
import { createTempDir } from '../../support/tmp.js';
import { REPO, ensureBuilt } from '../daemon/support.js';

interface Connection {
  readonly nonce: string;
  /** every byte the client sent */
  received: string;
}

/**
 * Someone else's program on the NATS port while the daemon is down: it
 * greets like nats-server (a nonce, auth required), keeps what the client
 * sends, and refuses it.
 */
async function startSquatter(scope: TestScope): Promise<{ port: number; connections: Connection[] }> {
  const connections: Connection[] = [];
  const server = net.createServer((sock) => {
    const c: Connection = { nonce: crypto.randomBytes(16).toString('base64url'), received: '' };
    connections.push(c);
    sock.on('error', () => undefined);
    sock.write(`INFO ${JSON.stringify({ server_id: 'SQUATTER', server_name: 'squatter', version: '2.9.10', proto: 1, go: 'go1.19', host: '127.0.0.1', port: 0, headers: true, auth_required: true, max_payload: 1048576, nonce: c.nonce })}\r\n`);
    sock.on('data', (b: Buffer) => {
      c.received += b.toString('latin1');
      if (/CONNECT .*\r\n/.test(c.received)) sock.end("-ERR 'Authorization Violation'\r\n");
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  scope.defer('squatter', () => new Promise<void>((resolve) => server.close(() => resolve())));
  return { port: (server.address() as net.AddressInfo).port, connections };
}

/** A node whose daemon is down, the NATS port of node.conf held by the squatter. */
async function nodeOnSquattedPort(scope: TestScope, port: number): Promise<{ env: Record<string, string>; paths: NodePaths }> {
  const root = await createTempDir(scope);
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', OSVC_ROOT: root, OSVC_NODENAME: 'node1', HOME: root };
  const paths = nodePaths(env);
  fs.mkdirSync(paths.etc, { recursive: true });
  fs.writeFileSync(paths.nodeConf, `[nats]\nport = ${port}\n`);
  fs.writeFileSync(path.join(paths.etc, 'svc1.conf'), `[DEFAULT]\nid = ${crypto.randomUUID()}\nnodes = node1\n`);
  return { env, paths };
}

const svcmgr = (env: Record<string, string>, args: readonly string[]) => run([process.execPath, path.join(REPO, 'bin/svcmgr'), ...args], { env, timeoutMs: 30_000, cwd: env.OSVC_ROOT! });

describe('a squatter on the NATS port while the daemon is down', () => {
  const scope = useTestScope();
  beforeAll(() => ensureBuilt(), 240_000);

  test('gets from the CLI its public key and a signature of the squatter\'s own nonce: no password, no seed; the event is spooled', async () => {
    const squat = await startSquatter(scope());
    const { env, paths } = await nodeOnSquattedPort(scope(), squat.port);
    const keys = provisionNkeys(paths.natsDir); // as the daemon's first start left them
    const seed = fs.readFileSync(path.join(paths.natsDir, 'writer.nk'), 'utf8');

    const r = await svcmgr(env, ['-s', 'svc1', 'thaw', '--local']);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);

    expect(squat.connections.length).toBeGreaterThan(0);
    for (const c of squat.connections) {
      const line = /^CONNECT (.*)\r\n/m.exec(c.received)?.[1];
      expect(line).toBeDefined();
      const connect = JSON.parse(line!) as Record<string, unknown>;
      for (const k of ['user', 'pass', 'auth_token', 'jwt']) expect(connect).not.toHaveProperty(k);
      expect(connect.nkey).toBe(keys.writer);
      // the signature is of the squatter's nonce only: the real server's nonce is another, so it opens nothing
      const sig = nkeys.decode(connect.sig as string);
      expect(nkeys.fromPublic(keys.writer).verify(new TextEncoder().encode(c.nonce), sig)).toBe(true);
      expect(c.received).not.toContain(seed);
      expect(c.received).not.toContain(seed.slice(2, 20));
    }
    // the CLI did not take the squatter for the log: the event waits in the spool
    expect(new Spool(paths.spool).read().map((e) => `${e.type}:${e.svc}`)).toEqual(['InstanceThawed:svc1']);
  });

  test('an install from before nkeys (a password file, no keys yet): the CLI does not send the password, it spools', async () => {
    const squat = await startSquatter(scope());
    const { env, paths } = await nodeOnSquattedPort(scope(), squat.port);
    const password = 'old-password-of-the-embedded-server';
    fs.mkdirSync(paths.natsDir, { recursive: true, mode: 0o700 });
    fs.writeFileSync(path.join(paths.natsDir, 'credentials.json'), JSON.stringify({ user: 'hasvc', password }), { mode: 0o600 });

    const r = await svcmgr(env, ['-s', 'svc1', 'freeze', '--local']);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    // the command has exited: whatever it would have sent, the squatter has it
    expect(squat.connections.map((c) => c.received).join('')).not.toContain(password);
    expect(squat.connections).toEqual([]);
    expect(new Spool(paths.spool).read().map((e) => `${e.type}:${e.svc}`)).toEqual(['InstanceFrozen:svc1']);
  });
});
