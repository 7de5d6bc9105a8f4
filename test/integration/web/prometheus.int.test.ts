import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, test } from '@jest/globals';
import { freePort } from '../../../adapters/nats/server.js';
import { useTestScope } from '../../support/jest.js';
import { spawnTracked } from '../../support/process.js';
import { must } from '../../support/sh.js';
import { createTempDir } from '../../support/tmp.js';
import { waitFor } from '../../support/wait.js';
import { clusterPair } from '../cluster/support.js';
import { ensureBuilt, REPO, sleepAppLauncher } from '../daemon/support.js';
import { request, TOKEN } from './support.js';

const EXAMPLES = path.join(REPO, 'examples/prometheus');

interface Alert {
  readonly labels: Record<string, string>;
  readonly state: 'pending' | 'firing';
}

/**
 * A real Prometheus (Debian's) running the example scrape config and alert
 * rules as shipped, only its targets, token file and intervals (1s) set for
 * this machine.
 */
async function prometheus(dir: string, targets: readonly string[]): Promise<{ port: number; get<T>(p: string): Promise<T> }> {
  const port = await freePort();
  fs.writeFileSync(path.join(dir, 'hasvc.token'), TOKEN, { mode: 0o600 });
  fs.copyFileSync(path.join(EXAMPLES, 'hasvc-alerts.yml'), path.join(dir, 'hasvc-alerts.yml'));
  const config = fs
    .readFileSync(path.join(EXAMPLES, 'prometheus.yml'), 'utf8')
    .replace(/scrape_interval: 15s/, 'scrape_interval: 1s')
    .replace(/evaluation_interval: 15s/, 'evaluation_interval: 1s')
    .replace('/etc/prometheus/hasvc.token', path.join(dir, 'hasvc.token'))
    .replace("['node1:1214', 'node2:1214']", JSON.stringify(targets));
  expect(config).toContain(path.join(dir, 'hasvc.token'));
  expect(config).toContain(targets[0]!);
  fs.writeFileSync(path.join(dir, 'prometheus.yml'), config);
  await must(['promtool', 'check', 'config', path.join(dir, 'prometheus.yml')]);
  return {
    port,
    async get<T>(p: string): Promise<T> {
      const r = await request(port, 'GET', p);
      if (r.status !== 200) throw new Error(`prometheus ${p}: ${r.status} ${r.body}`);
      return (JSON.parse(r.body) as { data: T }).data;
    },
  };
}

describe('examples/prometheus: the scrape config and alert rules, run by a real Prometheus against two real nodes', () => {
  const scope = useTestScope();
  beforeAll(() => ensureBuilt(), 240_000);

  test('both nodes scraped with the token; every rule evaluates; a service up twice, then down unfrozen, then a node gone raise their alerts', async () => {
    const { n1, n2, secret, listenerPort } = await clusterPair(scope(), { interval: 0.5, timeout: 2 });
    for (const n of [n1, n2]) fs.appendFileSync(n.paths.nodeConf, ['', '[metrics]', `token = ${TOKEN}`, ''].join('\n'));
    const id = crypto.randomUUID();
    for (const n of [n1, n2]) n.writeAppService('svc1', sleepAppLauncher(path.join(n.root, 'svc1.pid')), { defaults: { id, nodes: 'node1 node2' } });
    await n1.start();
    await n2.start();
    expect((await n2.nodemgr(['daemon', 'join', '--secret', secret, '--node', 'node1', '--addr', `127.0.0.1:${listenerPort}`])).exitCode).toBe(0);

    const dir = await createTempDir(scope());
    const targets = [`127.0.0.1:${listenerPort}`, `127.0.0.2:${listenerPort}`];
    const prom = await prometheus(dir, targets);
    await spawnTracked(scope(), ['prometheus', `--config.file=${path.join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${prom.port}`, '--log.level=warn'], { cwd: dir });

    const query = (q: string) => prom.get<{ result: { metric: Record<string, string>; value: [number, string] }[] }>(`/api/v1/query?query=${encodeURIComponent(q)}`);
    await waitFor('both nodes scraped (up 1)', async () => {
      try {
        return (await query('up{job="hasvc"} == 1')).result.length === 2;
      } catch {
        return false;
      }
    }, 30_000, 250);
    const rules = await prom.get<{ groups: { rules: { name: string; health: string; lastError?: string }[] }[] }>('/api/v1/rules');
    const all = rules.groups.flatMap((g) => g.rules);
    expect(all.map((r) => r.name).sort()).toEqual(['HasvcActionFailed', 'HasvcDaemonDown', 'HasvcHeartbeatStale', 'HasvcNatsDown', 'HasvcPeerLost', 'HasvcReplicationLag', 'HasvcServiceDown', 'HasvcServiceUpTwice', 'HasvcServiceWarn']);
    await waitFor('every rule evaluated', async () => (await prom.get<typeof rules>('/api/v1/rules')).groups.flatMap((g) => g.rules).every((r) => r.health === 'ok'), 10_000, 250);
    const alerts = async () => (await prom.get<{ alerts: Alert[] }>('/api/v1/alerts')).alerts;
    expect(await alerts()).toEqual([]);

    // svc1 started on node1, then on node2 too, by hand: a failover service up twice
    expect((await n1.svcmgr(['-s', 'svc1', 'start', '--local'])).exitCode).toBe(0);
    expect((await n2.svcmgr(['-s', 'svc1', 'start', '--local'])).exitCode).toBe(0);
    await waitFor('HasvcServiceUpTwice firing for svc1', async () => (await alerts()).some((a) => a.labels.alertname === 'HasvcServiceUpTwice' && a.labels.svc === 'svc1' && a.state === 'firing'), 30_000, 250);

    // stopped on both, thawed on node1: down, and nothing keeps the cluster from running it
    expect((await n2.svcmgr(['-s', 'svc1', 'stop', '--local'])).exitCode).toBe(0);
    expect((await n1.svcmgr(['-s', 'svc1', 'stop', '--local'])).exitCode).toBe(0);
    expect((await n1.svcmgr(['-s', 'svc1', 'thaw', '--local'])).exitCode).toBe(0);
    await waitFor('HasvcServiceDown pending for svc1', async () => (await alerts()).some((a) => a.labels.alertname === 'HasvcServiceDown' && a.labels.svc === 'svc1'), 30_000, 250);
    await waitFor('HasvcServiceUpTwice resolved', async () => !(await alerts()).some((a) => a.labels.alertname === 'HasvcServiceUpTwice'), 30_000, 250);

    // node2's daemon stops: its scrape fails, and node1 no longer hears it
    await n2.stop();
    await waitFor('HasvcDaemonDown for node2 and HasvcPeerLost on node1', async () => {
      const a = await alerts();
      return a.some((x) => x.labels.alertname === 'HasvcDaemonDown' && x.labels.instance === targets[1]) && a.some((x) => x.labels.alertname === 'HasvcPeerLost' && x.labels.instance === targets[0] && x.labels.peer === 'node2');
    }, 30_000, 250);
    // never a false one: no service warns, no action failed, the logs are in step, node1's NATS answers
    const names = new Set((await alerts()).map((a) => a.labels.alertname));
    for (const quiet of ['HasvcServiceWarn', 'HasvcActionFailed', 'HasvcReplicationLag', 'HasvcNatsDown', 'HasvcServiceUpTwice']) expect(names.has(quiet)).toBe(false);
    await n1.stop();
  });
});
