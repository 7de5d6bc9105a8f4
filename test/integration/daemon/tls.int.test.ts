import fs from 'node:fs';
import { beforeAll, describe, expect, test } from '@jest/globals';
import { loadClusterIdentity } from '../../../src/config/identity.js';
import { loadNodeConfig } from '../../../src/config/nodeConfig.js';
import { peerRequest } from '../../../src/daemon/client.js';
import { peerOn } from '../../support/peer.js';
import { useTestScope } from '../../support/jest.js';
import { certificates } from '../../support/tls.js';
import { daemonNode, ensureBuilt } from './support.js';

describe('listener over TLS', () => {
  const scope = useTestScope();
  beforeAll(() => ensureBuilt(), 240_000);

  test('with [listener] tls_cert/tls_key the TCP listener speaks HTTPS, checked against tls_ca; the unix socket is unchanged', async () => {
    const n = await daemonNode(scope());
    const c = certificates(n.root);
    fs.appendFileSync(n.paths.nodeConf, `tls_cert = ${c.cert}\ntls_key = ${c.key}\ntls_ca = ${c.ca}\n`);
    expect(loadNodeConfig(n.paths, n.env).listener.tls).toEqual({ cert: c.cert, key: c.key, ca: c.ca });
    await n.start();
    const secret = loadClusterIdentity(n.paths).secret;
    const peer = peerOn(n.listenerPort, { node: 'node2', secret });

    // plain HTTP to the HTTPS listener gets no answer
    await expect(peerRequest(peer, 'GET', '/daemon/ping', undefined, { timeoutMs: 5000 })).rejects.toThrow(/no answer from 127\.0\.0\.1/);
    const tls = await peerRequest({ ...peer, tls: { ca: fs.readFileSync(c.ca, 'utf8') } }, 'GET', '/daemon/ping', undefined, { timeoutMs: 5000 });
    expect(tls).toMatchObject({ status: 200, body: { ok: true, node: 'node1' } });
    await expect(peerRequest({ ...peer, tls: { ca: fs.readFileSync(c.otherCa, 'utf8') } }, 'GET', '/daemon/ping', undefined, { timeoutMs: 5000 })).rejects.toThrow(/certificate|self.signed|verify/i);
    const unsigned = await peerRequest({ ...peer, secret: '0'.repeat(32), tls: { ca: fs.readFileSync(c.ca, 'utf8') } }, 'GET', '/daemon/ping', undefined, { timeoutMs: 5000 });
    expect(unsigned.status).toBe(401);

    const mon = await n.svcmon();
    expect(mon.exitCode).toBe(0);
    await n.stop();
  });

  test('tls_cert without tls_key is refused with one line', async () => {
    const n = await daemonNode(scope());
    fs.appendFileSync(n.paths.nodeConf, 'tls_cert = /nonexistent.pem\n');
    expect(() => loadNodeConfig(n.paths, n.env)).toThrow('[listener] tls_cert and tls_key go together: set both for HTTPS, or neither');
  });
});
