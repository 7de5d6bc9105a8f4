import { spawn } from 'node:child_process';
import path from 'node:path';
import { beforeAll, describe, expect, test } from '@jest/globals';
import type { AnyEvent } from '../../../domain/events.js';
import { useTestScope } from '../../support/jest.js';
import { trackPid } from '../../support/process.js';
import { waitFor } from '../../support/wait.js';
import { REPO, ensureBuilt, eventsOf, waitForEvents, type DaemonNode } from '../daemon/support.js';
import { running, runningOnNode1, track } from './gated.js';

const decisionOf = async (n: DaemonNode) => (await n.status()).services.find((s) => s.name === 'svc1')?.decision;

/** The events after `after` (an event id) in n's stream order. */
async function eventsAfter(n: DaemonNode, after: AnyEvent): Promise<AnyEvent[]> {
  const all = await n.events();
  return all.slice(all.findIndex((s) => s.event.id === after.id) + 1).map((s) => s.event);
}

describe('the node commands: nodemgr ping, drain, freeze, thaw, logs', () => {
  const scope = useTestScope();
  beforeAll(() => ensureBuilt(), 240_000);

  test('ping answers through the listener; drain freezes node1 and stops svc1 there, node2 takes it over; frozen, node1 is no target; thawed, nothing moves back; logs reads and follows the daemon log', async () => {
    const { n1, n2, listenerPort } = await runningOnNode1(scope());

    const ping = await n1.nodemgr(['ping']);
    expect(ping).toMatchObject({ exitCode: 0, stderr: '', stdout: expect.stringMatching(new RegExp(`^node2 is alive \\(127\\.0\\.0\\.2:${listenerPort}, \\d+ ms\\)$`)) });
    const missing = await n1.nodemgr(['ping', '--node', 'node2,node3']);
    expect(missing.exitCode).toBe(1);
    expect(missing.stdout).toMatch(/^node2 is alive/);
    expect(missing.stderr).toMatch(/^node3 is not alive: node3:\d+: getaddrinfo \w+ node3$/);

    // drain: node1 frozen first, then svc1 stopped there, its lines streamed; node2 starts it (node1 is no candidate)
    // --wait: until node2 runs it
    const drain = await n1.nodemgr(['drain', '--wait', '--time', '60']);
    expect(drain).toMatchObject({ exitCode: 0, stderr: '' });
    const lines = drain.stdout.split('\n');
    expect(lines[0]).toMatch(/^node1 {18}node frozen: no service starts here any more$/);
    expect(lines.slice(1).some((l) => /^node1\.svc1\.app#web +exec \S+\/weblauncher stop as user root$/.test(l))).toBe(true);
    expect(lines.at(-1)).toBe('node1                  svc1 taken over: running on node2');
    await waitFor('svc1 started on node2', () => running(n2), 30_000);
    track(scope(), n2);
    expect(running(n1)).toBe(false);
    const all = await n2.events();
    const frozen = eventsOf(all, 'NodeFrozen').filter((e) => e.origin === 'node1').at(-1)!;
    const actions = all.map((s) => s.event).filter((e): e is Extract<AnyEvent, { type: 'ActionStarted' }> => e.type === 'ActionStarted').slice(-2);
    expect(actions.map((e) => [e.origin, e.data.action, e.data.relocation ?? false])).toEqual([['node1', 'stop', true], ['node2', 'start', false]]);
    expect(actions[0]!.data).toMatchObject({ argv: ['nodemgr', 'drain'], reason: 'nodemgr drain of node1: another node takes it over' });
    expect(actions[0]!.seq).toBeGreaterThan(frozen.seq);
    expect(actions[1]!.data.reason).toMatch(/^not running on any live node: node2 is first of node2\b/);
    expect((await n2.svcmon()).stdout.split('\n').find((l) => l.startsWith('  state'))).toMatch(/\| \*\s*$/);

    // frozen, node1 cannot be switched to, and its orchestrator leaves svc1 alone
    expect(await n2.svcmgr(['-s', 'svc1', 'switch', '--node', 'node1'])).toMatchObject({ exitCode: 1, stderr: 'switch: node1 cannot run svc1: the node is frozen (nodemgr thaw there)' });
    await waitFor("node1's orchestrator to say it is frozen", async () => (await decisionOf(n1)) === 'node frozen', 10_000);

    // thawed: node1 orchestrates again and sees svc1 run on node2; nothing moves back
    expect(await n1.nodemgr(['thaw'])).toMatchObject({ exitCode: 0, stdout: '', stderr: '' });
    const thawedAfter = (a: readonly { event: AnyEvent }[]) => a.map((s) => s.event).filter((e) => e.type === 'NodeThawed' && e.origin === 'node1' && e.seq > frozen.seq).at(-1);
    const thawed = thawedAfter(await waitForEvents(n1, 'NodeThawed', (a) => thawedAfter(a) !== undefined))!;
    await waitFor("node1's orchestrator to see svc1 on node2", async () => (await decisionOf(n1)) === 'running on node2', 10_000);
    expect((await eventsAfter(n1, thawed)).filter((e) => e.type === 'ActionStarted')).toEqual([]);
    expect((await n1.nodemgr(['freeze', '--help'])).stdout).toMatch(/^nodemgr freeze: freeze this node/);

    // logs: the daemon's own log, as a person reads it, as written, and followed while it grows
    const logs = await n1.nodemgr(['logs']);
    expect(logs.exitCode).toBe(0);
    expect(logs.stdout.split('\n').some((l) => /^\d{4}-\d\d-\d\dT\S+Z INFO  daemon started( |$)/.test(l))).toBe(true);
    const json = await n1.nodemgr(['logs', '--format', 'json', '--lines', '3']);
    expect(json.stdout.split('\n').map((l) => typeof (JSON.parse(l) as { msg: unknown }).msg)).toEqual(['string', 'string', 'string']);
    const follower = spawn(process.execPath, [path.join(REPO, 'bin', 'nodemgr'), 'logs', '--follow', '--lines', '1'], { env: { ...process.env, ...n1.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    trackPid(scope(), follower.pid!);
    let followed = '';
    follower.stdout.on('data', (c: Buffer) => (followed += c.toString('utf8')));
    // its first line is the log's last one: it follows from there
    await waitFor('the follower to print the last line', () => followed.includes('\n'), 10_000);
    const first = followed;
    expect(await n1.nodemgr(['freeze'])).toMatchObject({ exitCode: 0 });
    await waitFor('the orchestrator line in the followed log', () => /INFO  orchestrator: not acting svc=svc1 reason="node frozen"/.test(followed), 15_000);
    const exited = new Promise<number | null>((r) => follower.once('exit', (code) => r(code)));
    follower.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(first.split('\n').filter(Boolean)).toHaveLength(1);

    await n2.svcmgr(['-s', 'svc1', 'freeze']);
    await n2.svcmgr(['-s', 'svc1', 'stop', '--local']);
    await n1.stop();
    await n2.stop();
  }, 240_000);
});
