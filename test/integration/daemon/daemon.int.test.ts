import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, test } from '@jest/globals';
import { Spool } from '../../../adapters/nats/spool.js';
import { spawn } from 'node:child_process';
import http from 'node:http';
import { EventStore } from '../../../adapters/nats/eventStore.js';
import { loadClusterIdentity } from '../../../src/config/identity.js';
import { openEventSink } from '../../../src/events/open.js';
import { useTestScope } from '../../support/jest.js';
import { startExternalNats } from '../../support/nats.js';
import { pidAlive } from '../../support/proc.js';
import { trackPid } from '../../support/process.js';
import { waitFor } from '../../support/wait.js';
import { REPO, daemonNode, ensureBuilt, eventsOf, waitForEvents } from './support.js';

describe('nodemgr daemon start|stop|restart|status, svcmon', () => {
  const scope = useTestScope();
  beforeAll(() => ensureBuilt(), 240_000);

  test('start runs the daemon in the background, status and svcmon show its threads, stop ends it and its nats-server', async () => {
    const n = await daemonNode(scope());
    const pid = await n.start();
    expect(fs.readFileSync(path.join(n.paths.var, 'osvcd.pid'), 'utf8').trim()).toBe(String(pid));
    expect(fs.statSync(n.paths.daemonSocket).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(n.paths.daemonSocket)).mode & 0o777).toBe(0o700);
    expect(fs.readFileSync(path.join(n.paths.log, 'daemon.out'), 'utf8')).toContain(`daemon running: pid ${pid}`);
    const natsPid = n.natsPid();
    expect(natsPid).toBeDefined();

    const again = await n.nodemgr(['daemon', 'start']);
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toBe(`daemon already running (pid ${pid})`);

    const st = await n.nodemgr(['daemon', 'status', '--color', 'no']);
    expect(st.exitCode).toBe(0);
    const lines = st.stdout.split('\n');
    expect(lines[0]).toMatch(/^Threads {28}node1$/);
    expect(lines).toContain(` nats      running 127.0.0.1:${n.natsPort}`);
    expect(lines).toContain(` listener  running 127.0.0.1:${n.listenerPort}`);
    expect(lines).toContain(' monitor   running');
    expect(lines).toContain(' scheduler running');

    const mon = await n.svcmon();
    expect(mon.exitCode).toBe(0);
    const out = mon.stdout.split('\n');
    expect(out[0]).toBe(`${'Threads'.padEnd(35)}node1`);
    expect(out).toContain(`${'Nodes'.padEnd(35)}node1`);
    expect(out.find((l) => l.startsWith('  15m'))).toMatch(/^ {2}15m {28}\| \d+\.\d$/);
    expect(out).toContain(`  state${' '.repeat(26)}|`);
    expect(out[out.length - 1]).toBe(`${'Services'.padEnd(35)}node1`);

    const json = JSON.parse((await n.svcmon(['--format', 'json'])).stdout) as { node: string; pid: number; threads: { name: string; state: string }[] };
    expect(json.node).toBe('node1');
    expect(json.pid).toBe(pid);
    expect(json.threads.map((t) => `${t.name}:${t.state}`)).toEqual(['nats:running', 'listener:running', 'monitor:running', 'scheduler:running']);

    const started = await waitForEvents(n, 'DaemonStarted and ListenerStarted', (all) => eventsOf(all, 'ListenerStarted').length === 1);
    expect(eventsOf(started, 'NatsServerStarted')).toHaveLength(1);
    expect(eventsOf(started, 'DaemonStarted')[0]).toMatchObject({ origin: 'node1', data: { pid } });
    // the URL recorded carries no credentials
    expect(JSON.stringify(eventsOf(started, 'NatsServerStarted'))).not.toMatch(/hasvc:/);

    await n.stop();
    expect(pidAlive(pid)).toBe(false);
    expect(pidAlive(natsPid!)).toBe(false);
    expect(fs.existsSync(path.join(n.paths.var, 'osvcd.pid'))).toBe(false);
    expect(fs.existsSync(n.paths.daemonSocket)).toBe(false);

    const down = await n.nodemgr(['daemon', 'status']);
    expect(down.exitCode).toBe(1);
    expect(down.stdout).toBe('daemon not running');
    const monDown = await n.svcmon();
    expect(monDown.exitCode).toBe(1);
    expect(monDown.stdout).toBe('');
    expect(monDown.stderr.split('\n')).toEqual([`the daemon is not running (no answer on ${n.paths.daemonSocket}): start it with \`nodemgr daemon start\``]);
    expect((await n.nodemgr(['daemon', 'stop'])).stdout).toBe('daemon not running');

    // the log outlives the daemon: read it through a fresh start
    await n.start();
    const all = await waitForEvents(n, 'second DaemonStarted', (a) => eventsOf(a, 'DaemonStarted').length === 2);
    expect(eventsOf(all, 'DaemonStopped')).toEqual([expect.objectContaining({ data: { pid } })]);
    const types = all.map((s) => s.event.type);
    expect(types.indexOf('DaemonStopped')).toBeLessThan(types.lastIndexOf('DaemonStarted'));
    await n.stop();
  });

  test('events spooled while the daemon was down are drained into the stream at start, once', async () => {
    const n = await daemonNode(scope());
    // no nats-server ever ran on this node: the CLI spools
    const sink = await openEventSink(n.paths, n.env);
    for (let i = 0; i < 3; i++) await sink.append({ type: 'InstanceFrozen', svc: 'svc1', data: {} });
    await sink.close();
    expect(new Spool(n.paths.spool).read()).toHaveLength(3);

    await n.start();
    const all = await waitForEvents(n, 'DaemonStarted', (a) => eventsOf(a, 'DaemonStarted').length === 1);
    expect(new Spool(n.paths.spool).isEmpty()).toBe(true);
    expect(all.slice(0, 3).map((s) => `${s.event.id}:${s.event.type}`)).toEqual(['node1:1:InstanceFrozen', 'node1:2:InstanceFrozen', 'node1:3:InstanceFrozen']);
    expect(eventsOf(all, 'SpoolDrained')).toEqual([expect.objectContaining({ data: { count: 3 } })]);
    const ids = all.map((s) => s.event.id);
    expect(new Set(ids).size).toBe(ids.length);
    await n.stop();
  });

  test('restart keeps the projections: the snapshot is restored and only newer events are replayed', async () => {
    const n = await daemonNode(scope());
    const first = await n.start();
    n.writeAppService('svc1', 'case $1 in status) exit 1 ;; *) exit 0 ;; esac', { defaults: { status_schedule: '1s' } });
    await waitForEvents(n, 'a status check of svc1', (a) => eventsOf(a, 'SchedulerJobRan', 'svc1').length > 0);
    const r = await n.nodemgr(['daemon', 'restart']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout.split('\n')).toEqual(['daemon stopped', expect.stringMatching(/^daemon started \(pid \d+\)$/)]);
    const second = n.daemonPid();
    expect(second).toBeDefined();
    expect(second).not.toBe(first);
    await n.start(); // already running: tracks the new pid for teardown
    const snap = JSON.parse(fs.readFileSync(path.join(n.paths.var, 'projections/instances.json'), 'utf8')) as { lastSeq: number };
    expect(snap.lastSeq).toBeGreaterThan(0);
    const log = fs.readFileSync(n.paths.agentLog, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { msg: string; pid: number; fromSnapshot?: number });
    const rebuilt = log.filter((l) => l.msg === 'projections rebuilt from the log');
    expect(rebuilt).toHaveLength(2);
    expect(rebuilt[1]!.fromSnapshot).toBeGreaterThan(0);
    const s = await n.status();
    expect(s.services.map((x) => x.name)).toEqual(['svc1']);
    expect(s.services[0]!.instances[0]).toMatchObject({ node: 'node1', avail: 'down' });
    await n.stop();
  });

  test('svcmon --watch redraws on every new event, -s filters, and it ends with the daemon', async () => {
    const n = await daemonNode(scope());
    n.writeAppService('web1', 'exit 1', { defaults: { status_schedule: '@0' } });
    n.writeAppService('db1', 'exit 1', { defaults: { status_schedule: '@0' } });
    await n.start();
    // every local service is checked once as the daemon starts, status_schedule or not (what ran before is unknown)
    await waitForEvents(n, 'the first status checks', (a) => eventsOf(a, 'InstanceStatusChanged').length === 2);
    const once = await n.svcmon(['-s', 'web*']);
    expect(once.stdout.split('\n').filter((l) => l.startsWith(' web1') || l.startsWith(' db1'))).toEqual([expect.stringMatching(/^ web1 +down\*? +failover +\| X\*?$/)]);

    // what the daemon appends as it starts is in its projections before the first screen
    const startup = await waitForEvents(n, 'ListenerStarted', (a) => eventsOf(a, 'ListenerStarted').length === 1);
    await waitFor('the daemon to apply its start-up events', async () => (await n.status()).lastSeq >= startup.at(-1)!.streamSeq, 10_000);
    const child = spawn(process.execPath, [path.join(REPO, 'bin/svcmon'), '--watch', '--color', 'no'], { env: n.env, stdio: ['ignore', 'pipe', 'pipe'] });
    trackPid(scope(), child.pid!);
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const screens = () => out.split('\n').filter((l) => l.startsWith('Threads')).length;
    await waitFor('the first screen', () => screens() === 1, 10_000);
    const shown = (await n.events()).length;
    // a refused request is an event: once a minute per source address
    const refusedFrom = (localAddress: string) =>
      new Promise<void>((resolve) => http.get({ host: '127.0.0.1', port: n.listenerPort, path: '/daemon/status', localAddress }, (res) => res.resume().on('end', resolve)));
    // one new event is one redraw
    await refusedFrom('127.0.0.1');
    await waitFor('a second screen', () => screens() >= 2, 10_000);
    // and none without one: the next event is the third screen, nothing was drawn in between
    await refusedFrom('127.0.0.2');
    await waitFor('a third screen', () => screens() >= 3, 10_000);
    expect(screens()).toBe(3);
    expect((await n.events()).slice(shown).map((s) => s.event.type)).toEqual(['RequestRejected', 'RequestRejected']);

    await n.stop();
    expect(await exited).toBe(1);
    expect(err.trim()).toBe(`the daemon is not running (no answer on ${n.paths.daemonSocket}): start it with \`nodemgr daemon start\``);
  });

  test('[nats] url: an external NATS server is used, nothing is spawned, and it outlives the daemon', async () => {
    // a password with characters an INI or URL parser could cut at
    const password = 'ext#pw;x@y/z';
    const nats = await startExternalNats('hasvct-extnats-', 'ext', password);
    scope().defer('external nats-server', () => nats.stop());
    const n = await daemonNode(scope());
    fs.writeFileSync(n.paths.nodeConf, `[nats]\nurl = ${nats.urlWithPassword}\n\n[listener]\naddr = 127.0.0.1\nport = ${n.listenerPort}\n`);
    expect(fs.statSync(n.paths.nodeConf).mode & 0o777).toBe(0o644);
    await n.start();
    // node.conf holds a password: the daemon made it root's only, and said so
    expect(fs.statSync(n.paths.nodeConf).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(n.paths.agentLog, 'utf8')).toMatch(/"mode":"0644","keywords":\["nats.url"\].*"msg":"node.conf holds credentials and others could read it: made it 0600"/);
    expect(fs.existsSync(path.join(n.paths.natsDir, 'nats-server.pid'))).toBe(false);
    const s = await n.status();
    expect(s.threads.find((t) => t.name === 'nats')).toEqual({ name: 'nats', state: 'running', address: `127.0.0.1:${nats.port}`, detail: 'external' });
    expect(JSON.stringify(s)).not.toContain('ext#pw');
    await n.stop();
    expect(nats.supervisor.pid !== undefined && pidAlive(nats.supervisor.pid)).toBe(true);
    const store = await EventStore.open({ ...nats.endpoint, cluster: loadClusterIdentity(n.paths).name });
    const types: string[] = [];
    try {
      await store.replay({}, (e) => types.push(e.event.type));
    } finally {
      await store.close();
    }
    expect(types).toEqual(expect.arrayContaining(['DaemonStarted', 'ListenerStarted', 'DaemonStopped']));
    expect(types).not.toContain('NatsServerStarted');
  });
});
