import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, test } from '@jest/globals';
import { configChecksum } from '../../../src/config/checksum.js';
import { configForLog } from '../../../domain/config/logged.js';
import { peerRequest } from '../../../src/daemon/client.js';
import { buildPayload } from '../../../src/sync/payload.js';
import { loadNodeKey } from '../../../src/config/nodeKeys.js';
import { useTestScope } from '../../support/jest.js';
import { ensureBuilt, eventsOf, REPO, type DaemonNode } from '../daemon/support.js';
import { SECRET, syncStatusOn, twoNodes, writeService } from './support.js';
import { writeFileAtomic } from '../../../src/config/atomicWrite.js';

const conf = (n: DaemonNode, svc = 'svc1') => fs.readFileSync(path.join(n.paths.etc, `${svc}.conf`), 'utf8');

async function ok(n: DaemonNode, args: readonly string[]): Promise<string> {
  const r = await n.svcmgr(args);
  if (r.exitCode !== 0) throw new Error(`svcmgr ${args.join(' ')} exited ${r.exitCode}: ${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

describe('svcmgr -s svc1 sync nodes: the service config to the other nodes, through their listener', () => {
  const scope = useTestScope();
  beforeAll(() => ensureBuilt(), 240_000);

  test('sent when svc1 is up on node1 (apps excluded), written on node2 with its symlinks and events; the delay, --force, and sync#i0 status follow', async () => {
    const [n1, n2] = await twoNodes(scope());
    const { mnt } = await writeService(scope(), n1);

    // not up yet: refused, nothing on node2
    const down = await n1.svcmgr(['-s', 'svc1', 'sync', 'nodes']);
    expect(down.exitCode).toBe(1);
    expect(down.stderr.trim()).toBe('sync nodes: svc1 is not up on node1, apps excluded: not sent');
    expect(fs.existsSync(path.join(n2.paths.etc, 'svc1.conf'))).toBe(false);
    expect(await syncStatusOn(n1)).toEqual({ status: 'n/a', log: ['info: paused, service not up'] });

    await ok(n1, ['-s', 'svc1', 'start', '--local']);
    expect(fs.readFileSync('/proc/self/mounts', 'utf8')).toContain(` ${mnt('node1')} tmpfs `);
    expect(await syncStatusOn(n1)).toEqual({ status: 'warn', log: ['warn: passive node needs update'] });

    const sent = await ok(n1, ['-s', 'svc1', 'sync', 'nodes']);
    expect(sent).toMatch(/^node1\.svc1\.sync#i0 +svc1\.conf sent to node2: created \(checksum [0-9a-f]{12}\)$/m);

    // node2: the same config, the launchers, the symlinks create makes, no temp file left
    expect(conf(n2)).toBe(conf(n1));
    const launcher = path.join(n2.paths.etc, 'svc1.dir', 'launcher');
    expect(fs.readFileSync(launcher, 'utf8')).toBe(fs.readFileSync(path.join(n1.paths.etc, 'svc1.dir', 'launcher'), 'utf8'));
    expect(fs.statSync(launcher).mode & 0o777).toBe(0o755);
    expect(fs.readlinkSync(path.join(n2.paths.etc, 'svc1.d'))).toBe('svc1.dir');
    expect(fs.readlinkSync(path.join(n2.paths.etc, 'svc1'))).toBe(path.join(fs.realpathSync(REPO), 'bin', 'svcmgr'));
    expect(fs.readdirSync(n2.paths.etc).filter((f) => f.includes('tmp'))).toEqual([]);

    // events: node1 asked and heard back, node2 created the service frozen, caused by node1's request
    const e1 = await n1.events();
    const requested = eventsOf(e1, 'ServiceConfigSyncRequested', 'svc1');
    expect(requested.map((e) => e.data)).toEqual([{ to: 'node2', checksum: configChecksum(conf(n1)) }]);
    expect(eventsOf(e1, 'ServiceConfigSynced', 'svc1').map((e) => [e.data, e.causation])).toEqual([[{ to: 'node2', checksum: configChecksum(conf(n1)), result: 'created' }, requested[0]!.id]]);
    expect(eventsOf(e1, 'ServiceConfigSyncRefused', 'svc1').map((e) => e.data)).toEqual([{ to: 'node2', reason: 'svc1 is not up on node1, apps excluded: not sent' }]);
    const e2 = await n2.events();
    const created = eventsOf(e2, 'ServiceCreated', 'svc1');
    expect(created.map((e) => e.causation)).toEqual([requested[0]!.id]);
    expect(eventsOf(e2, 'InstanceFrozen', 'svc1').map((e) => e.causation)).toEqual([created[0]!.id]);
    expect(await syncStatusOn(n1)).toEqual({ status: 'up', log: [] });

    // again at once: the minimum delay holds, --force bypasses it
    const soon = await n1.svcmgr(['-s', 'svc1', 'sync', 'nodes']);
    expect(soon.exitCode).toBe(1);
    expect(soon.stderr.trim()).toMatch(/^sync nodes: the last sync to node2 was \d+s ago, less than sync_min_delay 5m: not sent \(--force to send now\)$/);
    expect(await ok(n1, ['-s', 'svc1', 'sync', 'nodes', '--force'])).toMatch(/sent to node2: unchanged/);

    // a change on node1: node2 is out of date until the next sync, which records what changed there
    await ok(n1, ['-s', 'svc1', 'set', '--kw', 'comment=synced']);
    expect(await syncStatusOn(n1)).toEqual({ status: 'warn', log: ['warn: passive node needs update'] });
    expect(await ok(n1, ['-s', 'svc1', 'sync', 'nodes', '--force'])).toMatch(/sent to node2: changed/);
    expect(conf(n2)).toBe(conf(n1));
    const changed = eventsOf(await n2.events(), 'ServiceConfigChanged', 'svc1');
    expect(changed.map((e) => e.data)).toEqual([{ changed: ['DEFAULT.comment'], checksum: configChecksum(conf(n1)), text: configForLog(conf(n1)) }]);

    // stopped, then changed: the tutorial's `warn: passive node needs update`, from what node2 was seen holding
    await ok(n1, ['-s', 'svc1', 'stop', '--local']);
    expect(await syncStatusOn(n1)).toEqual({ status: 'n/a', log: ['info: paused, service not up'] });
    await ok(n1, ['-s', 'svc1', 'set', '--kw', 'comment=after stop']);
    expect(await syncStatusOn(n1)).toEqual({ status: 'warn', log: ['warn: passive node needs update'] });
  }, 120_000);

  test('refused: a bad secret (401), a node not in the service nodes, a payload that does not match its checksum, a config up on the peer', async () => {
    const [n1, n2] = await twoNodes(scope());
    await writeService(scope(), n1);
    await ok(n1, ['-s', 'svc1', 'start', '--local']);
    const target = { host: '127.0.0.1', port: n2.listenerPort, to: 'node2', node: 'node1', secret: SECRET, key: loadNodeKey(n1.paths) };
    const payload = buildPayload(n1.paths, 'svc1', conf(n1));

    // unsigned, or signed with another secret: 401, whoever claims to be node1
    expect((await peerRequest({ ...target, secret: '0'.repeat(32) }, 'POST', '/services/svc1/config', payload)).status).toBe(401);
    expect((await peerRequest({ ...target, secret: '0'.repeat(32) }, 'GET', '/services/svc1/config/checksum')).status).toBe(401);

    // node2's secret changes (another cluster): sync nodes says why
    const c2 = fs.readFileSync(n2.paths.clusterConf, 'utf8');
    writeFileAtomic(n2.paths.clusterConf, c2.replace(SECRET, 'f'.repeat(32)), { forceMode: 0o600 });
    const untrusted = await n1.svcmgr(['-s', 'svc1', 'sync', 'nodes']);
    expect(untrusted.exitCode).toBe(1);
    expect(untrusted.stderr.trim()).toBe('sync nodes: node2 refused the request (401): this node is not trusted there, the cluster secrets differ (nodemgr daemon join)');
    expect(await syncStatusOn(n1)).toEqual({ status: 'n/a', log: ['info: node2 refused our credentials (cluster secret)'] });
    writeFileAtomic(n2.paths.clusterConf, c2, { forceMode: 0o600 });
    expect(fs.existsSync(path.join(n2.paths.etc, 'svc1.conf'))).toBe(false);

    // a node outside this node's cluster.nodes (not joined yet) is not asked at each status check
    const c1 = fs.readFileSync(n1.paths.clusterConf, 'utf8');
    writeFileAtomic(n1.paths.clusterConf, c1.replace('nodes = node1 node2', 'nodes = node1'), { forceMode: 0o600 });
    expect(await syncStatusOn(n1)).toEqual({ status: 'n/a', log: ['info: node2 is not in this cluster (cluster.nodes): not asked'] });
    writeFileAtomic(n1.paths.clusterConf, c1, { forceMode: 0o600 });

    // the peer checks the config it is sent: it must name node2, and the sender
    const notHere = buildPayload(n1.paths, 'svc1', conf(n1).replace('nodes = node1 node2', 'nodes = node1 node3'));
    const r1 = await peerRequest(target, 'POST', '/services/svc1/config', notHere);
    expect(r1).toEqual({ status: 409, body: { error: 'node2 is not in svc1 nodes or drpnodes: refused by node2' } });
    const r2 = await peerRequest({ ...target, node: 'node7' }, 'POST', '/services/svc1/config', payload);
    expect(r2).toEqual({ status: 409, body: { error: 'node7 (the sender) is not in svc1 nodes or drpnodes: refused by node2' } });
    const r3 = await peerRequest(target, 'POST', '/services/svc1/config', { ...payload, text: `${payload.text}\n# altered\n` });
    expect(r3).toEqual({ status: 400, body: { error: 'config of svc1: checksum does not match the text: nothing written' } });
    const r4 = await peerRequest(target, 'POST', '/services/svc1/config', buildPayload(n1.paths, 'svc1', conf(n1).replace('[fs#data]', '[fs#data]\nbogus = 1')));
    expect(r4.status).toBe(422);
    expect(fs.existsSync(path.join(n2.paths.etc, 'svc1.conf'))).toBe(false);
    expect((await peerRequest(target, 'GET', '/services/svc1/config/checksum')).body).toEqual({ checksum: null });

    // node2 has a launcher directory of its own where the link goes: said, not overwritten
    const own = path.join(n2.paths.etc, 'svc1.d');
    fs.mkdirSync(own);
    const r6 = await peerRequest(target, 'POST', '/services/svc1/config', payload);
    expect(r6).toEqual({ status: 409, body: { error: `svc1 files not written on node2: ${own} exists and is not a symlink: move it away first` } });
    expect(fs.existsSync(path.join(n2.paths.etc, 'svc1.conf'))).toBe(false);
    fs.rmSync(own, { recursive: true });

    // sent for real, then node2 runs it: a different config from node1 is refused there
    await ok(n1, ['-s', 'svc1', 'sync', 'nodes']);
    expect((await peerRequest(target, 'GET', '/services/svc1/config/checksum')).body).toEqual({ checksum: configChecksum(conf(n1)) });
    await ok(n1, ['-s', 'svc1', 'stop', '--local']);
    await ok(n2, ['-s', 'svc1', 'start', '--local']);
    await ok(n1, ['-s', 'svc1', 'set', '--kw', 'comment=from node1']);
    const r5 = await peerRequest(target, 'POST', '/services/svc1/config', buildPayload(n1.paths, 'svc1', conf(n1)));
    expect(r5).toEqual({ status: 409, body: { error: 'svc1 is up on node2, apps excluded: its config is not replaced where it runs (change it on node2, or stop it there first)' } });
    await ok(n2, ['-s', 'svc1', 'stop', '--local']);
  }, 120_000);

  test('a service with no other node has nothing to send', async () => {
    const [n1] = await twoNodes(scope());
    await writeService(scope(), n1, 'svc2', 'node1');
    const r = await ok(n1, ['-s', 'svc2', 'sync', 'nodes']);
    expect(r.trim()).toBe('sync nodes: svc2 has no other node in nodes or drpnodes: nothing to send');
  }, 60_000);
});
