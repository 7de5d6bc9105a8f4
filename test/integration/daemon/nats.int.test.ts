import { beforeAll, describe, expect, test } from '@jest/globals';
import { Spool } from '../../../adapters/nats/spool.js';
import { openEventSink } from '../../../src/events/open.js';
import { useTestScope } from '../../support/jest.js';
import { pidAlive } from '../../support/proc.js';
import { trackPid } from '../../support/process.js';
import { waitFor } from '../../support/wait.js';
import { daemonNode, ensureBuilt, eventsOf, waitForEvents } from './support.js';

describe('embedded nats-server supervised by the daemon', () => {
  const scope = useTestScope();
  beforeAll(() => ensureBuilt(), 240_000);

  test('kill -9 of nats-server: restarted, and no event is lost or stored twice', async () => {
    const n = await daemonNode(scope());
    await n.start();
    const first = n.natsPid()!;
    const sink = await openEventSink(n.paths, n.env, { appendDeadlineMs: 10_000 });
    try {
      for (let i = 0; i < 20; i++) await sink.append({ type: 'InstanceFrozen', svc: 'svc1', data: {} });

      process.kill(first, 'SIGKILL');
      // appends while the server is down wait for the restart (or spool): none is lost
      const during = sink.append({ type: 'InstanceThawed', svc: 'svc1', data: {} });
      await waitFor('nats-server restarted', () => {
        const pid = n.natsPid();
        return pid !== undefined && pid !== first && pidAlive(pid);
      }, 20_000);
      trackPid(scope(), n.natsPid()!);
      await during;
      await waitFor('nats thread running again', async () => (await n.status()).threads.find((t) => t.name === 'nats')?.state === 'running', 20_000);

      for (let i = 0; i < 20; i++) await sink.append({ type: 'InstanceThawed', svc: 'svc1', data: {} });
    } finally {
      await sink.close();
    }
    expect(new Spool(n.paths.spool).isEmpty()).toBe(true);

    // under a loaded machine the monitor's follow may take its stall recovery (2 s without progress) more than once
    const all = await waitForEvents(n, 'NatsServerStarted after the restart', (a) => eventsOf(a, 'NatsServerStarted').length === 2 && eventsOf(a, 'NatsServerExited').length === 1, 45_000);
    expect(eventsOf(all, 'NatsServerExited')[0]).toMatchObject({ data: { pid: first, signal: 'SIGKILL' } });
    expect(eventsOf(all, 'InstanceFrozen', 'svc1')).toHaveLength(20);
    expect(eventsOf(all, 'InstanceThawed', 'svc1')).toHaveLength(21);
    // per origin: every sequence once, in order, no gap
    const seqs = all.filter((s) => s.event.origin === 'node1').map((s) => s.event.seq);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));

    // the monitor followed the stream across the restart
    await waitFor('projection caught up', async () => (await n.status()).lastSeq === all[all.length - 1]!.streamSeq, 10_000);
    const s = await n.status();
    expect(s.services.find((x) => x.name === 'svc1')?.frozen).toBe('thawed');
    await n.stop();
  }, 120_000);
});
