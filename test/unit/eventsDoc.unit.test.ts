import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { renderEventsDoc } from '../../domain/eventsDoc.js';
import { EVENT_CATALOGUE, makeEvent, subjectOf, validateEvent } from '../../domain/events.js';

describe('event catalogue', () => {
  it('docs/events.md is up to date (npm run docs:events)', () => {
    const file = fileURLToPath(new URL('../../docs/events.md', import.meta.url));
    expect(fs.readFileSync(file, 'utf8')).toBe(renderEventsDoc());
  });

  it('every event type is past tense PascalCase', () => {
    for (const t of Object.keys(EVENT_CATALOGUE)) expect(t).toMatch(/^[A-Z][A-Za-z]+(ed|Received|Ran|Frozen|Left)$/);
  });

  it('validates envelopes and payloads, naming what is wrong', () => {
    const ok = makeEvent({ type: 'ResourceStarted', svc: 'svc1', rid: 'ip#0', data: { alreadyUp: false } }, { cluster: 'c1', origin: 'node1', seq: 3, time: '2026-01-02T14:36:00Z' });
    expect(validateEvent(JSON.parse(JSON.stringify(ok)))).toEqual({ ok: true, event: ok });
    expect(subjectOf(ok)).toBe('osvc.c1.evt.node1.svc.svc1.res.ip#0.ResourceStarted');
    expect(validateEvent({ ...ok, data: { alreadyUp: 'no' } })).toEqual({ ok: false, reason: 'ResourceStarted: data.alreadyUp must be boolean' });
    expect(validateEvent({ ...ok, rid: undefined })).toEqual({ ok: false, reason: 'ResourceStarted: envelope field rid must be a resource id like ip#0' });
    expect(validateEvent({ ...ok, id: 'node1:4' })).toEqual({ ok: false, reason: 'ResourceStarted: id node1:4 is not <origin>:<seq>' });
    expect(validateEvent({ ...ok, v: 2 })).toEqual({ ok: false, reason: 'ResourceStarted: version 2 not supported (expected 1)' });
    expect(validateEvent({ ...ok, type: 'Nope' })).toEqual({ ok: false, reason: 'unknown event type "Nope"' });
    expect(validateEvent([1])).toEqual({ ok: false, reason: 'not a JSON object' });
  });
});
