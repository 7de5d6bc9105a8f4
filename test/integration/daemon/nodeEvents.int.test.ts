import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, test } from '@jest/globals';
import { useTestScope } from '../../support/jest.js';
import { trackPid } from '../../support/process.js';
import type { TestScope } from '../../support/scope.js';
import { waitFor } from '../../support/wait.js';
import { REPO, daemonNode, ensureBuilt, sleepAppLauncher, type DaemonNode } from './support.js';

/** nodemgr events running on its own, its output gathered; stopped (SIGTERM) by stop(), which says its exit code. */
function follow(scope: TestScope, n: DaemonNode, args: readonly string[]) {
  const child = spawn(process.execPath, [path.join(REPO, 'bin', 'nodemgr'), 'events', ...args], { env: { ...process.env, ...n.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  trackPid(scope, child.pid!);
  const out = { text: '', err: '' };
  child.stdout.on('data', (c: Buffer) => (out.text += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (out.err += c.toString('utf8')));
  const lines = () => out.text.split('\n').filter(Boolean);
  const stop = async () => {
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    return exited;
  };
  return { lines, out, stop };
}

describe('nodemgr events: the cluster\'s log followed on the terminal', () => {
  const scope = useTestScope();
  beforeAll(() => ensureBuilt(), 240_000);

  test('filtered, as text or json, from --since on; with the daemon down, from the store, then what the commands spool', async () => {
    const n = await daemonNode(scope());
    const appPid = path.join(n.root, 'app.pid');
    n.writeAppService('svc1', sleepAppLauncher(appPid));
    await n.start();
    expect(await n.nodemgr(['events', '--filter', 'type=Nope'])).toMatchObject({ exitCode: 2, stderr: 'events: --filter type=Nope: not an event type (docs/events.md lists them)' });

    const actions = follow(scope(), n, ['--since', '1h', '--filter', 'svc=svc1', '--filter', 'type=ActionStarted,ActionFinished']);
    const json = follow(scope(), n, ['--since', '1h', '--format', 'json', '--filter', 'type=InstanceFrozen']);
    expect((await n.svcmgr(['-s', 'svc1', 'start', '--local'])).exitCode).toBe(0);
    trackPid(scope(), Number(fs.readFileSync(appPid, 'utf8')));
    await waitFor('the start, followed', () => actions.lines().length === 2, 15_000);
    expect(actions.lines()[0]).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ {2}node1 {2}svc1 {2}ActionStarted {2}action=start rids=\["app#main"\] argv=\[.*\] user=root$/);
    expect(actions.lines()[1]).toMatch(/ {2}node1 {2}svc1 {2}ActionFinished {2}action=start result=ok durationMs=\d+$/);
    expect((await n.svcmgr(['-s', 'svc1', 'freeze', '--local'])).exitCode).toBe(0);
    await waitFor('the freeze, followed as json', () => json.lines().length === 1, 15_000);
    expect(JSON.parse(json.lines()[0]!)).toMatchObject({ type: 'InstanceFrozen', svc: 'svc1', origin: 'node1' });
    expect(await actions.stop()).toBe(0);
    expect(await json.stop()).toBe(0);
    expect(actions.lines()).toHaveLength(2);

    // the daemon down: the past from the node's store, then what the commands spool meanwhile
    await n.stop();
    const down = follow(scope(), n, ['--since', '1h', '--filter', 'svc=svc1', '--filter', 'type=ActionFinished,InstanceThawed']);
    await waitFor('the past start, read from the store', () => down.lines().length === 1, 20_000);
    expect(down.lines()[0]).toMatch(/ActionFinished {2}action=start result=ok/);
    expect((await n.svcmgr(['-s', 'svc1', 'thaw', '--local'])).exitCode).toBe(0);
    await waitFor('the spooled thaw, followed', () => down.lines().length === 2, 15_000);
    expect(down.lines()[1]).toMatch(/ {2}node1 {2}svc1 {2}InstanceThawed$/);
    expect(await down.stop()).toBe(0);
    expect(down.out.err).toBe('');
    await n.svcmgr(['-s', 'svc1', 'stop', '--local']);
  }, 180_000);
});
