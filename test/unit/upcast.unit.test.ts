import { describe, expect, it } from '@jest/globals';
import { RecordReader } from '../../adapters/nats/records.js';
import type { InvalidRecord, StoredEvent } from '../../adapters/nats/records.js';
import { EVENT_CATALOGUE, eventReader, subjectOf, validateEvent } from '../../domain/events.js';
import type { EventSpec } from '../../domain/events.js';
import { emptyHistory, evolveHistory, historyOf } from '../../projections/history.js';
import type { Applied } from '../../projections/instances.js';
import { LogBuilder } from '../support/events.js';

/**
 * Tomorrow's catalogue, as a payload change would be declared: ActionStarted
 * at version 2 names the node a takeover is from (today it is only in argv),
 * and ActionRejected went through two versions. Each older version has its
 * upcast, and nothing else changes.
 */
const TOMORROW: Readonly<Record<string, EventSpec>> = {
  ...EVENT_CATALOGUE,
  ActionStarted: {
    ...EVENT_CATALOGUE.ActionStarted,
    v: 2,
    fields: { ...EVENT_CATALOGUE.ActionStarted.fields, takeover: 'string?' },
    upcast: {
      1: (d) => {
        const argv = d.argv as string[];
        const i = argv.indexOf('--takeover');
        return i >= 0 && argv[i + 1] !== undefined ? { ...d, takeover: argv[i + 1] } : { ...d };
      },
    },
  },
  ActionRejected: {
    ...EVENT_CATALOGUE.ActionRejected,
    v: 3,
    fields: { action: 'string', why: 'string', by: 'string' },
    upcast: {
      1: ({ reason, ...d }) => ({ ...d, why: reason }),
      2: (d) => ({ ...d, by: 'unknown' }),
    },
  },
};

/** Today's log, as the stream holds it: the records' subjects and JSON bodies. */
function recorded(): { log: Applied[]; records: { seq: number; subject: string; data: Uint8Array }[] } {
  const b = new LogBuilder();
  b.add('node1', { type: 'InstanceThawed', svc: 'svc1', data: {} });
  const start = b.add('node2', { type: 'ActionStarted', svc: 'svc1', data: { action: 'start', rids: ['app#web'], argv: ['orchestrator', 'start', '--takeover', 'node1'], user: 'orchestrator', reason: 'node1 down (no beat on hb#2 (disk)): taking over, node2 is first of node2' } });
  b.add('node2', { type: 'ResourceStarted', svc: 'svc1', rid: 'app#web', causation: start.id, data: { alreadyUp: false } });
  b.add('node2', { type: 'ActionFinished', svc: 'svc1', causation: start.id, data: { action: 'start', result: 'ok', durationMs: 120 } });
  b.add('node1', { type: 'ActionStarted', svc: 'svc1', data: { action: 'stop', rids: ['app#web'], argv: ['svcmgr', '-s', 'svc1', 'stop'], user: 'root' } });
  b.add('node1', { type: 'ActionRejected', svc: 'svc1', data: { action: 'start', reason: 'no resource selected' } });
  const enc = new TextEncoder();
  return { log: b.log, records: b.log.map((a) => ({ seq: a.streamSeq, subject: subjectOf(a.event), data: enc.encode(JSON.stringify(a.event)) })) };
}

function replay(records: ReturnType<typeof recorded>['records'], catalogue: Readonly<Record<string, EventSpec>>) {
  const events: StoredEvent[] = [];
  const invalid: InvalidRecord[] = [];
  const reader = new RecordReader('c1', {}, records.length, { onEvent: (e) => events.push(e), onInvalid: (r) => invalid.push(r) }, eventReader(catalogue));
  for (const r of records) reader.read(r.seq, r.subject, r);
  return { events, invalid };
}

describe('event payload versions: an older version is upcast on read', () => {
  it('a log written today reads with tomorrow\'s catalogue: version 1 events come out as version 2, chains of upcasts apply in order, the rest as stored', () => {
    const { log, records } = recorded();
    const { events, invalid } = replay(records, TOMORROW);
    expect(invalid).toEqual([]);
    expect(events.map((e) => [e.event.type, e.event.v])).toEqual([
      ['InstanceThawed', 1],
      ['ActionStarted', 2],
      ['ResourceStarted', 1],
      ['ActionFinished', 1],
      ['ActionStarted', 2],
      ['ActionRejected', 3],
    ]);
    expect(events[1]!.event.data).toEqual({ ...log[1]!.event.data, takeover: 'node1' });
    expect(events[4]!.event.data).not.toHaveProperty('takeover');
    expect(events[5]!.event.data).toEqual({ action: 'start', why: 'no resource selected', by: 'unknown' });
    // the envelope is kept: the same id, origin, causation, time
    expect(events.map((e) => ({ ...e.event, v: 0, data: {} }))).toEqual(log.map((a) => ({ ...a.event, v: 0, data: {} })));
  });

  it('a log whose ActionStarted are upcast replays into the same history as the log read today (a field added is a field today\'s code ignores)', () => {
    const { log, records } = recorded();
    // ActionRejected's rename is tomorrow's code's to read, not today's history's
    const read = replay(records, TOMORROW).events.filter((e) => e.event.type !== 'ActionRejected');
    const history = (xs: readonly Applied[]) => historyOf(xs.reduce(evolveHistory, emptyHistory), 'svc1');
    expect(history(read)).toEqual(history(log.filter((a) => a.event.type !== 'ActionRejected')));
    expect(history(read).map((h) => h.what)).toContain('start app#web (node1 down (no beat on hb#2 (disk)): taking over, node2 is first of node2)');
  });

  it('a version without its upcast, or newer than the catalogue knows, is reported with why and skipped; the replay goes on', () => {
    const { records } = recorded();
    const missing: Readonly<Record<string, EventSpec>> = { ...TOMORROW, ActionFinished: { ...EVENT_CATALOGUE.ActionFinished, v: 2 } };
    const { events, invalid } = replay(records, missing);
    expect(invalid).toEqual([{ streamSeq: 4, subject: 'osvc.c1.evt.node2.svc.svc1.ActionFinished', reason: 'ActionFinished: version 1 not supported (expected 2; no upcast from version 1)' }]);
    expect(events).toHaveLength(5);
    const today = replay(records.map((r) => (r.seq === 2 ? { ...r, data: new TextEncoder().encode(new TextDecoder().decode(r.data).replace('"v":1', '"v":2')) } : r)), EVENT_CATALOGUE);
    expect(today.invalid.map((r) => r.reason)).toEqual(['ActionStarted: version 2 not supported (expected 1)']);
  });

  it('an upcast that does not give the new payload is caught by the new version\'s checks', () => {
    const broken: Readonly<Record<string, EventSpec>> = { ...TOMORROW, ActionRejected: { ...TOMORROW.ActionRejected!, upcast: { ...TOMORROW.ActionRejected!.upcast, 2: (d) => d } } };
    const { invalid } = replay(recorded().records, broken);
    expect(invalid.map((r) => r.reason)).toEqual(['ActionRejected: data.by must be string (read as version 3 from version 1)']);
  });

  it('every version of today\'s catalogue above 1 declares the upcast from each older one', () => {
    for (const [type, spec] of Object.entries(EVENT_CATALOGUE) as [string, EventSpec][]) {
      for (let n = 1; n < spec.v; n++) expect([type, n, typeof spec.upcast?.[n]]).toEqual([type, n, 'function']);
    }
    // and validateEvent, which the spool and the heartbeats use, reads through them too
    const { log } = recorded();
    expect(validateEvent(JSON.parse(JSON.stringify(log[1]!.event)))).toEqual({ ok: true, event: log[1]!.event });
  });
});
