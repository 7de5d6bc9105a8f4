import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, test } from '@jest/globals';
import { loadClusterIdentity } from '../../../src/config/identity.js';
import { loadNodeConfig } from '../../../src/config/nodeConfig.js';
import { loadNodeKey } from '../../../src/config/nodeKeys.js';
import { daemonJson, peerRequest } from '../../../src/daemon/client.js';
import type { DaemonStatus } from '../../../src/daemon/readModel.js';
import type { ServiceStatusView } from '../../../projections/statusView.js';
import { peerOn } from '../../support/peer.js';
import { useTestScope } from '../../support/jest.js';
import { certificates } from '../../support/tls.js';
import { trackPid } from '../../support/process.js';
import { waitFor } from '../../support/wait.js';
import { freePort } from '../../../adapters/nats/server.js';
import { daemonNode, ensureBuilt, eventsOf, type DaemonNode } from '../daemon/support.js';
import { clusterPair, idsOf } from './support.js';

const JOIN_LINES = ['node2        freeze local node', 'node2        add heartbeat hb#1', 'node2        join node node1', 'node2        thaw local node'];

async function join(n2: DaemonNode, secret: string, port: number) {
  return n2.nodemgr(['daemon', 'join', '--secret', secret, '--node', 'node1', '--addr', `127.0.0.1:${port}`]);
}

function hbThread(s: DaemonStatus, name: string) {
  return s.threads.find((t) => t.name === name);
}

/** Both streams hold the same events of `origin`, each once, in sequence order. */
async function converged(a: DaemonNode, b: DaemonNode, origin: string): Promise<string[]> {
  let ids: string[] = [];
  await waitFor(
    `${origin}'s events in ${b.node}'s stream as in ${a.node}'s`,
    async () => {
      const [ea, eb] = await Promise.all([a.events(), b.events()]);
      ids = idsOf(ea, origin);
      return JSON.stringify(idsOf(eb, origin)) === JSON.stringify(ids);
    },
    20_000,
    250,
  );
  return ids;
}

function onceInOrder(ids: readonly string[]): void {
  expect(new Set(ids).size).toBe(ids.length);
  const seqs = ids.map((id) => Number(id.split(':')[1]));
  expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
}

describe('nodemgr daemon join, heartbeats and the cluster log', () => {
  const scope = useTestScope();
  beforeAll(() => ensureBuilt(), 240_000);

  test('Cluster Build: nodemgr set hb#1.type unicast on a running node1 starts hb#1.rx and hb#1.tx at once, svcmon shows them as the tutorial', async () => {
    const n1 = await daemonNode(scope(), 'node1');
    const port = await freePort();
    await n1.start();
    expect((await n1.nodemgr(['set', '--param', 'hb#1.type', '--value', 'unicast'])).exitCode).toBe(0);
    expect((await n1.nodemgr(['set', '--param', 'hb#1.port', '--value', String(port)])).exitCode).toBe(0);
    const rx = ` hb#1.rx   running 0.0.0.0:${port}`;
    const want = [`${rx}${' '.repeat(Math.max(1, 33 - rx.length))}| /`, `${' hb#1.tx   running'.padEnd(33)}| /`];
    let lines: string[] = [];
    await waitFor('hb#1 threads in svcmon', async () => {
      lines = (await n1.svcmon()).stdout.split('\n');
      return want.every((l) => lines.includes(l));
    }, 10_000, 200);
    expect(lines.slice(0, 3)).toEqual([`${'Threads'.padEnd(35)}node1`, ...want]);
    await n1.stop();
  });

  test('a wrong secret is refused by node1 (401): one line, nothing written on either node', async () => {
    const { n1, n2, listenerPort } = await clusterPair(scope());
    await n1.start();
    const before = { c1: fs.readFileSync(n1.paths.clusterConf, 'utf8'), c2: fs.existsSync(n2.paths.clusterConf) ? fs.readFileSync(n2.paths.clusterConf, 'utf8') : '' };
    const r = await join(n2, '0123456789abcdef0123456789abcdef', listenerPort);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toEqual(['daemon join: node1 refused the join: wrong secret (401 unauthorized)']);
    expect(fs.readFileSync(n1.paths.clusterConf, 'utf8')).toBe(before.c1);
    expect(fs.existsSync(n2.paths.clusterConf) ? fs.readFileSync(n2.paths.clusterConf, 'utf8') : '').toBe(before.c2);
    expect(fs.existsSync(n2.paths.spool) ? fs.readFileSync(n2.paths.spool, 'utf8') : '').toBe('');
    expect(eventsOf(await n1.events(), 'NodeJoined')).toHaveLength(0);
    await n1.stop();
  });

  test('join with the right secret: the tutorial\'s lines, both cluster.conf updated, heartbeats both ways, svcmon shows both nodes on each, events replicated once and in order', async () => {
    const { n1, n2, listenerPort, hbPort, secret } = await clusterPair(scope());
    await n1.start();
    await n2.start();
    const r = await join(n2, secret, listenerPort);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(r.stdout.split('\n')).toEqual(JOIN_LINES);
    // the restarted daemon (new cluster, new stream) is tracked for teardown
    trackPid(scope(), n2.daemonPid()!, true);

    const c1 = loadNodeConfig(n1.paths, n1.env);
    const c2 = loadNodeConfig(n2.paths, n2.env);
    expect(c1.cluster.nodes).toEqual(['node1', 'node2']);
    expect(c2.cluster).toEqual({ name: c1.cluster.name, secret, nodes: ['node1', 'node2'], quorum: false });
    expect(c2.hbs).toEqual([expect.objectContaining({ rid: 'hb#1', type: 'unicast', port: hbPort, addr: '127.0.0.2' })]);
    const conf2 = fs.readFileSync(n2.paths.clusterConf, 'utf8');
    expect(conf2).toMatch(/^\[hb#1\]\ntype = unicast\nport = \d+$/m);
    expect(conf2).toMatch(/^\[peer#node1\]\naddr = 127\.0\.0\.1$/m);
    expect(fs.statSync(n2.paths.clusterConf).mode & 0o777).toBe(0o600);

    // heartbeats both ways: each svcmon shows both nodes
    for (const [me, peer, n] of [['node1', 'node2', n1], ['node2', 'node1', n2]] as const) {
      await waitFor(`${me} hears ${peer}`, async () => {
        const s = await n.status();
        return hbThread(s, 'hb#1.rx')?.peers?.[peer] === 'O' && hbThread(s, 'hb#1.tx')?.peers?.[peer] === 'O' && s.nodes.find((x) => x.name === peer)?.state === 'up';
      }, 20_000, 200);
      const mon = await n.svcmon();
      const lines = mon.stdout.split('\n');
      expect(lines[0]).toBe(`${'Threads'.padEnd(35)}node1 node2`);
      const cells = me === 'node1' ? '/     O' : 'O     /';
      const rx = ` hb#1.rx   running 127.0.0.${me === 'node1' ? 1 : 2}:${hbPort}`;
      expect(lines).toContain(`${rx}${' '.repeat(Math.max(1, 33 - rx.length))}| ${cells}`);
      expect(lines).toContain(`${' hb#1.tx   running'.padEnd(33)}| ${cells}`);
      expect(lines).toContain(`${'Nodes'.padEnd(35)}node1 node2`);
      expect(lines.find((l) => l.startsWith('  15m'))).toMatch(/^ {2}15m {28}\| \d+\.\d +\d+\.\d$/);
    }
    const joined = eventsOf(await n1.events(), 'NodeJoined');
    // the joiner's key with it: every node that learns the join from the log pins it
    expect(joined).toEqual([expect.objectContaining({ origin: 'node1', data: { node: 'node2', key: loadNodeKey(n2.paths).publicKey } })]);

    // events of node2 (a config change, an app service started) reach node1's stream, and node1's reach node2's
    expect((await n2.nodemgr(['set', '--kw', 'node.env=TST'])).exitCode).toBe(0);
    const flag = path.join(n2.root, 'app1.up');
    n2.writeAppService('app1', `case $1 in start) touch '${flag}' ;; stop) rm -f '${flag}' ;; status) test -f '${flag}' ;; *) exit 0 ;; esac`);
    expect((await n2.svcmgr(['-s', 'app1', 'start', '--local'])).exitCode).toBe(0);
    const from2 = await converged(n2, n1, 'node2');
    const from1 = await converged(n1, n2, 'node1');
    onceInOrder(from2);
    onceInOrder(from1);
    expect(from2.length).toBeGreaterThan(5);
    const on1 = (await n1.events()).map((e) => e.event);
    expect(on1.some((e) => e.origin === 'node2' && e.type === 'ActionFinished' && e.svc === 'app1')).toBe(true);
    expect(on1.some((e) => e.origin === 'node2' && e.type === 'NodeThawed')).toBe(true);
    // no event carries the secret, on either node
    expect(JSON.stringify(on1)).not.toContain(secret);
    expect(JSON.stringify((await n2.events()).map((e) => e.event))).not.toContain(secret);

    // node1's read model reduces node2's instance from the replicated events
    await waitFor('app1 up on node2, seen from node1', async () => {
      const s = await n1.status();
      return s.services.find((x) => x.name === 'app1')?.instances.find((i) => i.node === 'node2')?.avail === 'up';
    }, 20_000, 200);
    const mon1 = (await n1.svcmon()).stdout.split('\n');
    expect(mon1.find((l) => l.startsWith(' app1'))).toMatch(/^ app1 +up\S* +failover +\| {7}O/);

    await n2.svcmgr(['-s', 'app1', 'stop', '--local']);
    await n1.stop();
    await n2.stop();
  });

  test('with [listener] TLS on both nodes, the join and the heartbeats speak HTTPS: both nodes beat, events replicate, plain HTTP gets no answer', async () => {
    const { n1, n2, listenerPort, hbPort, secret } = await clusterPair(scope(), { interval: 1 });
    const c = certificates(n1.root, ['127.0.0.1', '127.0.0.2']);
    for (const n of [n1, n2]) {
      const set = await n.nodemgr(['set', '--kw', `listener.tls_cert=${c.cert}`, '--kw', `listener.tls_key=${c.key}`, '--kw', `listener.tls_ca=${c.ca}`]);
      expect(set.exitCode).toBe(0);
    }
    await n1.start();
    await n2.start();
    const r = await join(n2, secret, listenerPort);
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n')).toEqual(JOIN_LINES);
    trackPid(scope(), n2.daemonPid()!, true);
    for (const [me, peer, n] of [['node1', 'node2', n1], ['node2', 'node1', n2]] as const) {
      await waitFor(`${me} hears ${peer} over TLS`, async () => {
        const s = await n.status();
        return hbThread(s, 'hb#1.rx')?.peers?.[peer] === 'O' && hbThread(s, 'hb#1.tx')?.peers?.[peer] === 'O';
      }, 20_000, 200);
    }
    onceInOrder(await converged(n2, n1, 'node2'));
    // a beat in plain HTTP reaches nothing: the receiver speaks TLS only
    await expect(peerRequest(peerOn(hbPort, { node: 'node2', secret }), 'POST', '/hb', {}, { timeoutMs: 3000 })).rejects.toThrow(/no answer from 127\.0\.0\.1/);
    await n1.stop();
    await n2.stop();
  });

  test('join while node2\'s daemon is down: the config is written, and its first start beats and replicates in the joined cluster', async () => {
    const { n1, n2, listenerPort, secret } = await clusterPair(scope(), { interval: 1 });
    await n1.start();
    const r = await join(n2, secret, listenerPort);
    expect(r.exitCode).toBe(0);
    expect(r.stdout.split('\n')).toEqual(JOIN_LINES);
    expect(loadClusterIdentity(n2.paths)).toEqual(loadClusterIdentity(n1.paths));
    await n2.start();
    await waitFor('node1 hears node2', async () => (await n1.status()).nodes.find((x) => x.name === 'node2')?.state === 'up', 20_000, 200);
    const ids = await converged(n2, n1, 'node2');
    onceInOrder(ids);
    const types = (await n1.events()).map((e) => e.event).filter((e) => e.origin === 'node2').map((e) => e.type);
    expect(types.slice(0, 3)).toEqual(['NodeFrozen', 'NodeConfigChanged', 'NodeThawed']);
    expect(types).toContain('DaemonStarted');
    await n1.stop();
    await n2.stop();
  });

  test('kill -9 of node2: node1 marks it down after the timeout; node2 restarted converges again, no event twice', async () => {
    const { n1, n2, listenerPort, secret } = await clusterPair(scope(), { timeout: 3, interval: 1 });
    await n1.start();
    await n2.start();
    expect((await join(n2, secret, listenerPort)).exitCode).toBe(0);
    let pid2 = n2.daemonPid()!;
    trackPid(scope(), pid2, true);
    n2.writeAppService('app1', 'exit 0');
    expect((await n2.svcmgr(['-s', 'app1', 'freeze'])).exitCode).toBe(0);
    await converged(n2, n1, 'node2');
    await waitFor('node1 hears node2', async () => (await n1.status()).nodes.find((x) => x.name === 'node2')?.state === 'up', 20_000, 200);

    // the node crashes: its daemon and nats-server, at once
    const killedAt = Date.now();
    process.kill(-pid2, 'SIGKILL');
    // silent on its only heartbeat, nothing proving it dead: lost, not down
    await waitFor('node2 lost on node1', async () => (await n1.status()).nodes.find((x) => x.name === 'node2')?.state === 'lost', 15_000, 200);
    expect(Date.now() - killedAt).toBeGreaterThanOrEqual(2000);
    const s = await n1.status();
    expect(hbThread(s, 'hb#1.rx')?.peers).toEqual({ node1: '/', node2: 'X' });
    const mon = (await n1.svcmon()).stdout.split('\n');
    expect(mon.find((l) => l.startsWith('  state'))).toMatch(/\| +\?$/);
    const view = await daemonJson<ServiceStatusView>(n1.paths, 'GET', '/services/app1/status');
    expect(view.instances.find((i) => i.node === 'node2')).toMatchObject({ avail: 'undef', daemonDown: true });

    // node2 back: it beats again, and what it logged meanwhile and after reaches node1, once
    await waitFor('node2 daemon gone', () => { try { process.kill(pid2, 0); return false; } catch { return true; } }, 5000);
    expect((await n2.svcmgr(['-s', 'app1', 'thaw'])).exitCode).toBe(0);
    pid2 = await n2.start();
    expect((await n2.nodemgr(['set', '--kw', 'node.env=TST'])).exitCode).toBe(0);
    await waitFor('node2 up again on node1', async () => (await n1.status()).nodes.find((x) => x.name === 'node2')?.state === 'up', 20_000, 200);
    const ids = await converged(n2, n1, 'node2');
    onceInOrder(ids);
    const on1 = (await n1.events()).map((e) => e.event);
    expect(on1.filter((e) => e.origin === 'node2' && e.type === 'InstanceThawed')).toHaveLength(1);
    expect(on1.filter((e) => e.origin === 'node2' && e.type === 'DaemonStarted').length).toBeGreaterThanOrEqual(2);
    onceInOrder(await converged(n1, n2, 'node1'));
    expect(loadClusterIdentity(n2.paths).name).toBe(loadClusterIdentity(n1.paths).name);
    await n1.stop();
    await n2.stop();
  });
});
