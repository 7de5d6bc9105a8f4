import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { beforeAll, describe, expect, test } from '@jest/globals';
import { connect } from '@nats-io/transport-node';
import { DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { auditStreamName } from '../../../adapters/nats/eventStore.js';
import { freePort } from '../../../adapters/nats/server.js';
import { loadClusterIdentity } from '../../../src/config/identity.js';
import { openEventSink } from '../../../src/events/open.js';
import { useTestScope } from '../../support/jest.js';
import { pidAlive } from '../../support/proc.js';
import { spawnTracked, trackPid } from '../../support/process.js';
import type { TestScope } from '../../support/scope.js';
import { createTempDir } from '../../support/tmp.js';
import { waitFor } from '../../support/wait.js';
import { daemonNode, ensureBuilt, eventsOf, sleepAppLauncher, waitForEvents } from '../daemon/support.js';
import type { DaemonNode } from '../daemon/support.js';

const USER = 'org';
const PASSWORD = 'or#g;p@ss';

/** The organisation's NATS system: a nats-server of its own (JetStream on, a user with a password), stopped by pid. */
interface OrgNats {
  readonly port: number;
  readonly url: string;
  pid: number;
  start(): Promise<void>;
}

async function orgNats(scope: TestScope): Promise<OrgNats> {
  const dir = await createTempDir(scope);
  const port = await freePort();
  const conf = path.join(dir, 'org.conf');
  fs.writeFileSync(conf, `listen: 127.0.0.1:${port}\nserver_name: org_${port}\njetstream { store_dir: "${dir}/js" }\nauthorization { user: "${USER}", password: "${PASSWORD}" }\n`);
  const org: OrgNats = {
    port,
    url: `nats://${USER}:${PASSWORD}@127.0.0.1:${port}`,
    pid: 0,
    async start() {
      org.pid = await spawnTracked(scope, ['nats-server', '-c', conf, '-l', path.join(dir, 'org.log')]);
      await waitFor('the organisation\'s nats-server listening', () => canConnect(port), 10_000, 50);
    },
  };
  await org.start();
  return org;
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

interface OrgRecord {
  readonly subject: string;
  readonly msgId: string;
}

/** Every record of the organisation's stream, in its order. */
async function orgRecords(org: OrgNats, stream: string): Promise<OrgRecord[]> {
  const nc = await connect({ servers: `127.0.0.1:${org.port}`, user: USER, pass: PASSWORD, reconnect: false });
  try {
    const jsm = await jetstreamManager(nc);
    let last: number;
    try {
      last = (await jsm.streams.info(stream)).state.last_seq;
    } catch {
      return [];
    }
    if (last === 0) return [];
    const consumer = await jetstream(nc).consumers.get(stream, { deliver_policy: DeliverPolicy.All });
    const out: OrgRecord[] = [];
    const msgs = await consumer.consume({ max_messages: 1000 });
    for await (const m of msgs) {
      out.push({ subject: m.subject, msgId: m.headers?.get('Nats-Msg-Id') ?? '' });
      if (m.seq >= last) break;
    }
    await msgs.close();
    return out;
  } finally {
    await nc.close();
  }
}

/** node1's own event ids in its own log, in order. */
async function ownIds(n: DaemonNode): Promise<string[]> {
  return (await n.events()).filter((s) => s.event.origin === n.node).map((s) => s.event.id);
}

/** Wait until the organisation's stream holds exactly node1's events, each once, in node1's order. */
async function waitExported(n: DaemonNode, org: OrgNats, stream: string, timeoutMs: number): Promise<{ ids: string[]; records: OrgRecord[] }> {
  let ids: string[] = [];
  let records: OrgRecord[] = [];
  await waitFor('every event of node1 in the organisation\'s stream', async () => {
    ids = await ownIds(n);
    records = await orgRecords(org, stream);
    return records.length === ids.length && ids.every((id, i) => records[i]?.msgId === id);
  }, timeoutMs, 250);
  return { ids, records };
}

async function timed<T>(f: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const t0 = performance.now();
  const value = await f();
  return { value, ms: Math.round(performance.now() - t0) };
}

describe('[nats] export to the organisation\'s NATS system', () => {
  const scope = useTestScope();
  beforeAll(() => ensureBuilt(), 240_000);

  test('killed and restarted: the cluster goes on, the stall is said, nothing is lost or stored twice', async () => {
    const org = await orgNats(scope());
    const n = await daemonNode(scope());
    const conf = fs.readFileSync(n.paths.nodeConf, 'utf8');
    fs.writeFileSync(n.paths.nodeConf, conf.replace('[nats]\n', `[nats]\nexport_url = ${org.url}\n`));
    const pidFile = path.join(n.root, 'app.pid');
    n.writeAppService('svc1', sleepAppLauncher(pidFile));
    await n.start();
    const stream = auditStreamName(loadClusterIdentity(n.paths).name);

    // live: what the node records reaches the organisation's stream, under the cluster's subjects
    expect((await n.svcmgr(['-s', 'svc1', 'start', '--local'])).exitCode).toBe(0);
    const live = await timed(() => waitExported(n, org, stream, 20_000));
    expect(live.value.records.every((r) => r.subject.startsWith(`osvc.${loadClusterIdentity(n.paths).name}.evt.node1.`))).toBe(true);
    const before = await timed(() => n.svcmgr(['-s', 'svc1', 'freeze']));
    expect(before.value.exitCode).toBe(0);

    // the organisation's server dies
    process.kill(org.pid, 'SIGKILL');
    await waitFor('the organisation\'s nats-server gone', () => !pidAlive(org.pid), 5000);
    const killedAt = Date.now();

    // the cluster does not wait for it: actions are as quick as before
    const during = await timed(() => n.svcmgr(['-s', 'svc1', 'thaw']));
    expect(during.value.exitCode).toBe(0);
    const restart = await timed(() => n.svcmgr(['-s', 'svc1', 'restart']));
    expect(restart.value.exitCode).toBe(0);
    expect(during.ms).toBeLessThan(Math.max(3000, 3 * before.ms));

    // a backlog of more than one window of events, recorded meanwhile
    const sink = await openEventSink(n.paths, n.env, { appendDeadlineMs: 10_000 });
    try {
      for (let i = 0; i < 300; i++) await sink.append({ type: i % 2 === 0 ? 'InstanceFrozen' : 'InstanceThawed', svc: 'svc1', data: {} });
    } finally {
      await sink.close();
    }

    // the stall: once in the log, a warning in svcmon, the password never shown
    const stalled = await waitForEvents(n, 'ExportStalled', (all) => eventsOf(all, 'ExportStalled').length === 1, 30_000);
    const stalledAfterMs = Date.now() - killedAt;
    expect(eventsOf(stalled, 'ExportStalled')[0]).toMatchObject({ data: { url: `nats://${USER}:***@127.0.0.1:${org.port}`, stream } });
    const mon = await n.svcmon();
    expect(mon.stdout).toMatch(new RegExp(`! \\[nats\\] export to nats://org:\\*\\*\\*@127\\.0\\.0\\.1:${org.port} \\(stream ${stream}\\) stalled for \\d+s, \\d+ events waiting: `));
    expect(mon.stdout).not.toContain(PASSWORD);
    expect(fs.readFileSync(n.paths.agentLog, 'utf8')).not.toContain(PASSWORD);
    expect(eventsOf(stalled, 'ExportStalled')).toHaveLength(1);

    // back on the same port and store: the backlog goes out, each event once, in order
    await org.start();
    const caughtUp = await timed(() => waitExported(n, org, stream, 60_000));
    const { ids, records } = caughtUp.value;
    expect(records.map((r) => r.msgId)).toEqual(ids);
    expect(new Set(records.map((r) => r.msgId)).size).toBe(records.length);
    const all = await waitForEvents(n, 'ExportResumed', (a) => eventsOf(a, 'ExportResumed').length === 1, 20_000);
    const resumed = eventsOf(all, 'ExportResumed')[0]!;
    expect(resumed.data).toMatchObject({ stream });
    // every event of node1 between the position it stalled at and ExportResumed: those waiting then, ExportStalled, any since
    const st = eventsOf(all, 'ExportStalled')[0]!;
    const waiting = (st.data as { waiting: number }).waiting;
    expect(waiting).toBeGreaterThanOrEqual(300);
    expect((resumed.data as { caughtUp: number }).caughtUp).toBe(waiting + resumed.seq - st.seq);
    await waitFor('the warning gone', async () => !(await n.svcmon()).stdout.includes('[nats] export'), 10_000);

    // a daemon restart resumes where it stopped: what it records after is exported, nothing twice
    await n.stop();
    await n.start();
    await waitFor('DaemonStarted exported', async () => (await orgRecords(org, stream)).length > records.length, 20_000);
    const again = await waitExported(n, org, stream, 20_000);
    expect(again.records.map((r) => r.msgId)).toEqual(again.ids);

    // the node's own nats-server killed: restarted by the daemon, the export goes on from its log
    const natsPid = n.natsPid()!;
    process.kill(natsPid, 'SIGKILL');
    await waitFor('the node\'s nats-server restarted', () => {
      const pid = n.natsPid();
      return pid !== undefined && pid !== natsPid && pidAlive(pid);
    }, 20_000);
    trackPid(scope(), n.natsPid()!);
    expect((await n.svcmgr(['-s', 'svc1', 'freeze'])).exitCode).toBe(0);
    const local = await timed(() => waitExported(n, org, stream, 45_000));
    const afterLocal = local.value;
    expect(afterLocal.records.map((r) => r.msgId)).toEqual(afterLocal.ids);
    expect(afterLocal.ids.length).toBeGreaterThan(again.ids.length);

    process.stdout.write(
      `export: live ${live.ms} ms; freeze ${before.ms} ms before the kill, thaw ${during.ms} ms and restart ${restart.ms} ms during; ` +
        `stalled recorded ${stalledAfterMs} ms after the kill; ${(resumed.data as { caughtUp: number }).caughtUp} events caught up in ${caughtUp.ms} ms after the restart; ` +
        `exported again ${local.ms} ms after a freeze that followed the node's own nats-server's restart\n`,
    );
    await n.svcmgr(['-s', 'svc1', 'stop', '--local']);
    await n.stop();
  }, 240_000);
});
