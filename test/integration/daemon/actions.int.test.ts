import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, test } from '@jest/globals';
import { daemonRequest, peerRequest } from '../../../src/daemon/client.js';
import { loadClusterIdentity } from '../../../src/config/identity.js';
import { peerOn } from '../../support/peer.js';
import { useTestScope } from '../../support/jest.js';
import { trackPid } from '../../support/process.js';
import { daemonNode, ensureBuilt, eventsOf, sleepAppLauncher } from './support.js';

describe('actions through the daemon', () => {
  const scope = useTestScope();
  beforeAll(() => ensureBuilt(), 240_000);

  test('an action on resources (--rid) without --local runs in the daemon, its output streamed as the tutorial shows it; print status reads the projection', async () => {
    const n = await daemonNode(scope());
    const appPid = path.join(n.root, 'app.pid');
    n.writeAppService('svc1', sleepAppLauncher(appPid));
    await n.start();

    const started = await n.svcmgr(['-s', 'svc1', 'start', '--rid', 'app#main']);
    expect(started.exitCode).toBe(0);
    trackPid(scope(), Number(fs.readFileSync(appPid, 'utf8')));
    const lines = started.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(`node1.svc1.app#main    exec ${fs.realpathSync(path.join(n.paths.etc, 'svc1.d'))}/launcher start as user root`);
    expect(lines[1]).toMatch(/^node1\.svc1\.app#main    start done in 0:00:\d\d\.\d{6} ret 0$/);

    const all = await n.events();
    const actionStarted = eventsOf(all, 'ActionStarted', 'svc1');
    expect(actionStarted).toHaveLength(1);
    expect(eventsOf(all, 'ActionFinished', 'svc1')[0]!.data).toMatchObject({ action: 'start', result: 'ok' });

    const status = await n.svcmgr(['-s', 'svc1', 'print', 'status', '--color', 'no']);
    expect(status.exitCode).toBe(0);
    expect(status.stdout.split('\n').slice(0, 4)).toEqual([
      'svc1                           up',
      '`- instances',
      '   `- node1                    up         frozen, idle,',
      '      |                                   started',
    ]);

    const stopped = await n.svcmgr(['-s', 'svc1', 'stop', '--rid', 'app#main']);
    expect(stopped.exitCode).toBe(0);
    expect(stopped.stdout).toContain('node1.svc1.app#main    exec');
    await n.stop();
  });

  test('print history lists the actions with who ran them and their result, daemon up or down, --since and json', async () => {
    const n = await daemonNode(scope());
    const appPid = path.join(n.root, 'app.pid');
    n.writeAppService('svc1', sleepAppLauncher(appPid));
    await n.start();
    expect((await n.svcmgr(['-s', 'svc1', 'start', '--rid', 'app#main'])).exitCode).toBe(0);
    trackPid(scope(), Number(fs.readFileSync(appPid, 'utf8')));
    expect((await n.svcmgr(['-s', 'svc1', 'stop', '--rid', 'app#main'])).exitCode).toBe(0);
    const actions = (out: string) => out.split('\n').filter((l) => / (start|stop)( |$)/.test(l.replace(/^\S+ \S+ +\S+ +/, ' ')));
    const up = await n.svcmgr(['-s', 'svc1', 'print', 'history']);
    expect(up.exitCode).toBe(0);
    const lines = actions(up.stdout);
    expect(lines.map((l) => l.replace(/^\S+ \S+\s+/, '').replace(/\s+/g, ' ').replace(/in \d+\.\d+s/, 'in Ts'))).toEqual([
      'node1 start app#main running (by root)',
      'node1 start finished in Ts ok (by root)',
      'node1 stop app#main running (by root)',
      'node1 stop finished in Ts ok (by root)',
    ]);
    await n.stop();
    // daemon down: read from the node's store with a reader server of its own
    const down = await n.svcmgr(['-s', 'svc1', 'print', 'history']);
    expect(down.exitCode).toBe(0);
    expect(actions(down.stdout)).toEqual(lines);
    const json = await n.svcmgr(['-s', 'svc1', 'print', 'history', '--format', 'json']);
    const entries = JSON.parse(json.stdout) as { what: string; result: string; by: string | undefined; node: string }[];
    expect(entries.filter((e) => /^(start|stop) /.test(e.what)).map((e) => [e.node, e.what.split(' ')[0], e.result, e.by])).toEqual([
      ['node1', 'start', 'running', 'root'],
      ['node1', 'start', 'ok', 'root'],
      ['node1', 'stop', 'running', 'root'],
      ['node1', 'stop', 'ok', 'root'],
    ]);
    const future = await n.svcmgr(['-s', 'svc1', 'print', 'history', '--since', new Date(Date.now() + 3_600_000).toISOString()]);
    expect(future.exitCode).toBe(0);
    expect(future.stdout.trim()).toBe('');
    const bad = await n.svcmgr(['-s', 'svc1', 'print', 'history', '--since', 'yesterday-ish']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('--since "yesterday-ish" is neither a date');
  });

  test('print status right after create, daemon up: the new resources are evaluated, never shown undef', async () => {
    const n = await daemonNode(scope());
    await n.start();
    expect((await n.svcmgr(['-s', 'svc2', 'create', '--kw', 'app#a.script=nothere'])).exitCode).toBe(0);
    const status = await n.svcmgr(['-s', 'svc2', 'print', 'status', '--color', 'no']);
    expect(status.exitCode).toBe(0);
    expect(status.stdout.split('\n').slice(0, 5)).toEqual([
      'svc2                           down',
      '`- instances',
      '   `- node1                    down       frozen, idle',
      '      |- app#a          ..../. down       nothere',
      '      `- sync#i0        ..O./. n/a        rsync svc config to drpnodes, nodes',
    ]);
    await n.stop();
  });

  test('a bad action request is refused at the boundary; actions are never taken over TCP', async () => {
    const n = await daemonNode(scope());
    n.writeAppService('svc1', 'exit 0');
    await n.start();
    const bad = await daemonRequest(n.paths, 'POST', '/services/svc1/actions', { action: 'rm -rf' });
    expect(bad).toEqual({ status: 400, body: { error: 'action request: action must be start, stop or restart' } });
    const badList = await daemonRequest(n.paths, 'POST', '/services/svc1/actions', { action: 'start', rids: 'ip#0' });
    expect(badList.status).toBe(400);
    const secret = loadClusterIdentity(n.paths).secret;
    const tcp = await peerRequest(peerOn(n.listenerPort, { node: 'node2', secret }), 'POST', '/services/svc1/actions', { action: 'start' });
    expect(tcp.status).toBe(403);
    const missing = await n.svcmgr(['-s', 'nosuch', 'start']);
    expect(missing.exitCode).toBe(1);
    expect(missing.stderr).toContain('service nosuch does not exist');
    expect(eventsOf(await n.events(), 'ActionStarted')).toHaveLength(0);
    await n.stop();
  });
});
