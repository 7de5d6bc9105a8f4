import fs from 'node:fs';
import { beforeAll, describe, expect, test } from '@jest/globals';
import { useTestScope } from '../../support/jest.js';
import { waitFor } from '../../support/wait.js';
import { ensureBuilt } from '../daemon/support.js';
import { clusterPair } from '../cluster/support.js';
import { ofType, request, sampleOf, TOKEN, webNode } from './support.js';

describe('GET /metrics: Prometheus text from the daemon', () => {
  const scope = useTestScope();
  beforeAll(() => ensureBuilt(), 240_000);

  test('a scrape with the token tells the services and instances as svcmon does, the actions, the log, the process', async () => {
    const n = await webNode(scope());
    await n.start();
    // refused without the token, or with another
    const none = await request(n.listenerPort, 'GET', '/metrics');
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer realm="hasvc metrics"');
    expect((await request(n.listenerPort, 'GET', '/metrics', { headers: { authorization: `Bearer ${TOKEN}x` } })).status).toBe(401);
    expect(none.body).not.toContain(TOKEN);

    expect((await n.svcmgr(['-s', 'svc1', 'start', '--local'])).exitCode).toBe(0);
    let text = '';
    const up = { svc: 'svc1', node: 'node1', status: 'up' };
    await waitFor('svc1 up and its start counted in /metrics', async () => {
      text = await n.scrape();
      return n.sample(text, 'hasvc_instance_avail', up) === 1 && n.sample(text, 'hasvc_action_duration_seconds_count', { action: 'start', result: 'ok' }) === 1;
    }, 15_000, 200);
    const r = await request(n.listenerPort, 'GET', '/metrics', { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(r.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    // one series per status, 1 for the current one: svcmon's picture
    expect(n.sample(text, 'hasvc_instance_avail', { ...up, status: 'down' })).toBe(0);
    expect(n.sample(text, 'hasvc_service_avail', { svc: 'svc1', status: 'up' })).toBe(1);
    expect(n.sample(text, 'hasvc_service_overall', { svc: 'svc1', status: 'up' })).toBe(1);
    expect(n.sample(text, 'hasvc_service_info', { svc: 'svc1', topology: 'failover', orchestrate: 'no' })).toBe(1);
    const svc1 = (await n.status()).services.find((x) => x.name === 'svc1')!;
    expect(n.sample(text, 'hasvc_instance_frozen', { svc: 'svc1', node: 'node1' })).toBe(svc1.instances[0]!.frozen ? 1 : 0);
    expect(n.sample(text, 'hasvc_service_frozen', { svc: 'svc1' })).toBe(svc1.frozen === 'frozen' ? 1 : 0);
    expect(n.sample(text, 'hasvc_instance_last_action_ok', { svc: 'svc1', node: 'node1', action: 'start' })).toBe(1);
    const finished = ofType(await n.events(), 'ActionFinished', 'svc1')[0]!;
    expect(n.sample(text, 'hasvc_instance_last_action_duration_seconds', { svc: 'svc1', node: 'node1', action: 'start' })).toBe(finished.data.durationMs / 1000);
    expect(n.sample(text, 'hasvc_instance_last_action_timestamp_seconds', { svc: 'svc1', node: 'node1', action: 'start' })).toBe(Date.parse(finished.time) / 1000);
    expect(n.sample(text, 'hasvc_info', { node: 'node1' })).toBe(1);
    expect(n.sample(text, 'hasvc_nats_up')).toBe(1);
    expect(n.sample(text, 'hasvc_thread_running', { thread: 'listener' })).toBe(1);
    expect(n.sample(text, 'process_resident_memory_bytes')).toBeGreaterThan(10e6);
    expect(n.sample(text, 'nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0);
    // the log: this node's events appended, the stream's last sequence, what the projections applied
    const all = await n.events();
    const own = Math.max(...all.filter((e) => e.event.origin === 'node1').map((e) => e.event.seq));
    expect(n.sample(text, 'hasvc_events_appended', { origin: 'node1' })).toBeGreaterThanOrEqual(finished.seq);
    expect(n.sample(text, 'hasvc_events_appended', { origin: 'node1' })).toBeLessThanOrEqual(own);
    expect(n.sample(text, 'hasvc_stream_last_seq', { stream: 'audit' })).toBeGreaterThanOrEqual(n.sample(text, 'hasvc_projection_last_seq')!);

    // the stop changes the picture at the next scrape, and is counted beside the start
    expect((await n.svcmgr(['-s', 'svc1', 'stop', '--local'])).exitCode).toBe(0);
    await waitFor('svc1 down in /metrics', async () => {
      text = await n.scrape();
      return n.sample(text, 'hasvc_instance_avail', { ...up, status: 'down' }) === 1;
    }, 15_000, 200);
    expect(n.sample(text, 'hasvc_action_duration_seconds_count', { action: 'stop', result: 'ok' })).toBe(1);
    expect(n.sample(text, 'hasvc_instance_last_action_ok', { svc: 'svc1', node: 'node1', action: 'stop' })).toBe(1);
    expect(n.sample(text, 'hasvc_instance_last_action_ok', { svc: 'svc1', node: 'node1', action: 'start' })).toBeUndefined();
    await n.stop();
  });

  test('off until [metrics] token is set; `nodemgr set` turns it on without a restart, node.conf stays 0600 and print config hides the token', async () => {
    const n = await webNode(scope(), { token: false, operator: false });
    await n.start();
    expect((await request(n.listenerPort, 'GET', '/metrics', { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(404);
    const short = await n.nodemgr(['set', '--kw', 'metrics.token=short']);
    expect(short.exitCode).not.toBe(0);
    expect(short.stderr).toContain('[metrics] keyword "token" has invalid value (hidden)');
    expect(short.stderr).not.toContain('short');
    expect((await n.nodemgr(['set', '--kw', `metrics.token=${TOKEN}`])).exitCode).toBe(0);
    expect(fs.statSync(n.paths.nodeConf).mode & 0o777).toBe(0o600);
    expect((await n.nodemgr(['print', 'config'])).stdout).not.toContain(TOKEN);
    await waitFor('/metrics on with the new token', async () => (await request(n.listenerPort, 'GET', '/metrics', { headers: { authorization: `Bearer ${TOKEN}` } })).status === 200, 5000, 100);
    await n.stop();
  });

  test('two nodes: the peer\'s state and heartbeat age, the events replicated from it; its daemon stopped, node1 tells it', async () => {
    const { n1, n2, secret, listenerPort } = await clusterPair(scope(), { interval: 0.5, timeout: 2 });
    fs.appendFileSync(n1.paths.nodeConf, ['', '[metrics]', `token = ${TOKEN}`, ''].join('\n'));
    await n1.start();
    await n2.start();
    const j = await n2.nodemgr(['daemon', 'join', '--secret', secret, '--node', 'node1', '--addr', `127.0.0.1:${listenerPort}`]);
    expect(j.exitCode).toBe(0);
    const scrape = async () => (await request(listenerPort, 'GET', '/metrics', { headers: { authorization: `Bearer ${TOKEN}` } })).body;
    let text = '';
    await waitFor('node2 up in node1\'s metrics, its events replicated', async () => {
      text = await scrape();
      const theirs = Math.max(0, ...(await n2.events()).filter((e) => e.event.origin === 'node2').map((e) => e.event.seq));
      return sampleOf(text, 'hasvc_peer_state', { peer: 'node2', state: 'up' }) === 1 && sampleOf(text, 'hasvc_events_replicated', { origin: 'node2' }) === theirs;
    }, 30_000, 250);
    expect(sampleOf(text, 'hasvc_peer_state', { peer: 'node2', state: 'lost' })).toBe(0);
    expect(sampleOf(text, 'hasvc_peer_heartbeat_age_seconds', { peer: 'node2' })).toBeLessThan(2);
    expect(sampleOf(text, 'hasvc_node_frozen', { node: 'node2' })).toBe(0);

    // node2's daemon stops: node1 no longer hears it, and says so
    await n2.stop();
    await waitFor('node2 no longer up in node1\'s metrics', async () => {
      text = await scrape();
      return sampleOf(text, 'hasvc_peer_state', { peer: 'node2', state: 'up' }) === 0;
    }, 30_000, 250);
    expect(['lost', 'down', 'unknown'].filter((st) => sampleOf(text, 'hasvc_peer_state', { peer: 'node2', state: st }) === 1)).toHaveLength(1);
    expect(sampleOf(text, 'hasvc_peer_heartbeat_age_seconds', { peer: 'node2' })).toBeGreaterThanOrEqual(2);
    await n1.stop();
  });
});
