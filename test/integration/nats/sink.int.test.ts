import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { EventStore } from '../../../adapters/nats/eventStore.js';
import { Spool } from '../../../adapters/nats/spool.js';
import type { AnyEvent } from '../../../domain/events.js';
import { loadClusterIdentity } from '../../../src/config/identity.js';
import { openEventSink } from '../../../src/events/open.js';
import { nodePaths } from '../../../src/paths.js';
import { natsTarget } from '../../../src/events/natsTarget.js';
import { startExternalNats, type TestNats } from '../../support/nats.js';

describe('event sink: stream when NATS is up, fsync-ed spool when not', () => {
  // `[nats] url` names a server of the user's, its password with `#` and `;` (comment starters elsewhere)
  const password = 'pa#ss;w0rd';
  let nats: TestNats & { readonly urlWithPassword: string };
  let root: string;
  const env = () => ({ OSVC_ROOT: root, OSVC_NODENAME: 'node1' });
  beforeAll(async () => {
    nats = await startExternalNats('hasvct-sink-nats-', 'ext', password);
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'hasvct-sink-'));
  });
  afterAll(async () => {
    await nats.stop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  async function streamEvents(): Promise<AnyEvent[]> {
    const cluster = loadClusterIdentity(nodePaths(env())).name;
    const store = await EventStore.open({ ...nats.endpoint, cluster });
    const got: AnyEvent[] = [];
    await store.replay({}, (e) => got.push(e.event));
    await store.close();
    return got;
  }

  it('spools while no NATS is configured, then drains in order, once', async () => {
    const p = nodePaths(env());
    const offline = await openEventSink(p, env());
    for (let i = 0; i < 5; i++) await offline.append({ type: 'InstanceFrozen', svc: 'svc1', data: {} });
    await offline.close();
    expect(new Spool(p.spool).read().map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);

    fs.mkdirSync(p.etc, { recursive: true });
    fs.writeFileSync(p.nodeConf, `[nats]\nurl = ${nats.urlWithPassword}\n`);
    // read whole, with the parser that edits node.conf
    expect(natsTarget(p).endpoint.servers).toBe(nats.urlWithPassword);
    const online = await openEventSink(p, env());
    const ev = await online.append({ type: 'InstanceThawed', svc: 'svc1', data: {} });
    await online.close();
    expect(ev.seq).toBe(7);
    expect(new Spool(p.spool).isEmpty()).toBe(true);
    const got = await streamEvents();
    expect(got.map((e) => `${e.seq}:${e.type}`)).toEqual([
      '1:InstanceFrozen', '2:InstanceFrozen', '3:InstanceFrozen', '4:InstanceFrozen', '5:InstanceFrozen', '6:SpoolDrained', '7:InstanceThawed',
    ]);
  });

  it('does not store twice what a crashed drain had already appended', async () => {
    const p = nodePaths(env());
    const before = await streamEvents();
    // a drain that crashed after appending but before clearing leaves these in the spool
    const spool = new Spool(p.spool);
    for (const e of before.slice(0, 3)) spool.append(e);
    const sink = await openEventSink(p, env());
    await sink.append({ type: 'InstanceFrozen', svc: 'svc1', data: {} });
    await sink.close();
    const after = await streamEvents();
    expect(after.map((e) => e.id)).toEqual([...before.map((e) => e.id), 'node1:8']);
  });

  it('a sequence stamped by a process that died before storing it is used again: the log keeps no hole its peers would refuse', async () => {
    const p = nodePaths(env());
    const before = await streamEvents();
    const last = before.at(-1)!.seq;
    // the sequence file says two more were stamped; neither reached the stream nor the spool
    fs.writeFileSync(p.sequence, `${last + 2}\n`);
    const warnings: string[] = [];
    const sink = await openEventSink(p, env(), { onWarning: (m) => warnings.push(m) });
    const ev = await sink.append({ type: 'InstanceFrozen', svc: 'svc1', data: {} });
    await sink.close();
    expect(ev.seq).toBe(last + 1);
    expect(warnings).toEqual([`sequence ${last + 1}..${last + 2} of node1 stamped but never stored (its process died first): used again`]);
    expect((await streamEvents()).map((e) => e.seq)).toEqual([...before.map((e) => e.seq), last + 1]);
  });

  it('falls back to the spool when the server dies, and loses nothing', async () => {
    const p = nodePaths(env());
    const warnings: string[] = [];
    const sink = await openEventSink(p, env(), { appendDeadlineMs: 500, onWarning: (m) => warnings.push(m) });
    await sink.append({ type: 'InstanceFrozen', svc: 'svc1', data: {} });
    await nats.supervisor.stop();
    const spooled = await sink.append({ type: 'InstanceThawed', svc: 'svc1', data: {} });
    expect(new Spool(p.spool).read().map((e) => e.id)).toEqual([spooled.id]);
    expect(warnings.join('\n')).toContain(`event ${spooled.id} spooled`);
    expect(warnings.join('\n')).not.toContain('pa#ss');
    await nats.supervisor.start();
    await sink.append({ type: 'InstanceFrozen', svc: 'svc1', data: {} });
    await sink.close();
    const got = await streamEvents();
    const seqs = got.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(got.map((e) => e.id)).toContain(spooled.id);
    expect(new Spool(p.spool).isEmpty()).toBe(true);
  });

  it('reports a torn spool line and keeps the rest', () => {
    const file = path.join(root, 'torn.jsonl');
    const s = new Spool(file);
    fs.writeFileSync(file, '{"type":"NodeFrozen"\n');
    const problems: string[] = [];
    expect(s.read((pb) => problems.push(`${pb.line}: ${pb.reason}`))).toEqual([]);
    expect(problems).toEqual(['1: not valid JSON']);
  });
});
