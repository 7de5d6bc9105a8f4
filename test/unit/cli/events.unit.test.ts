import { describe, expect, it } from '@jest/globals';
import { makeEvent } from '../../../domain/events.js';
import type { AnyEvent, NewEvent } from '../../../domain/events.js';
import { eventLine, matchesFilter, parseEventFilter } from '../../../src/cli/node/events.js';

const ev = (e: NewEvent, origin = 'node1'): AnyEvent => makeEvent(e, { cluster: 'c1', origin, seq: 7, time: '2026-01-02T14:36:00.250Z' }) as AnyEvent;
const logged = ev({ type: 'ResourceLogged', svc: 'svc1', rid: 'app#web', data: { level: 'info', message: 'exec /svc1/app/init.d/weblauncher start as user root' } });
const finished = ev({ type: 'ActionFinished', svc: 'svc1', data: { action: 'start', result: 'failed', durationMs: 12, error: 'app#web: boom' } }, 'node2');
const frozen = ev({ type: 'NodeFrozen', data: {} });

describe('nodemgr events', () => {
  it('--filter: envelope keys or payload fields, a list of values, every filter holding', () => {
    const match = (specs: string[]) => [logged, finished, frozen].filter((e) => matchesFilter(e, parseEventFilter(specs))).map((e) => e.type);
    expect(match([])).toEqual(['ResourceLogged', 'ActionFinished', 'NodeFrozen']);
    expect(match(['svc=svc1'])).toEqual(['ResourceLogged', 'ActionFinished']);
    expect(match(['node=node2'])).toEqual(['ActionFinished']);
    expect(match(['type=NodeFrozen,ResourceLogged', 'node=node1'])).toEqual(['ResourceLogged', 'NodeFrozen']);
    expect(match(['rid=app#web'])).toEqual(['ResourceLogged']);
    expect(match(['result=failed', 'action=start'])).toEqual(['ActionFinished']);
    expect(() => parseEventFilter(['type=Nope'])).toThrow('events: --filter type=Nope: not an event type (docs/events.md lists them)');
    expect(() => parseEventFilter(['svc'])).toThrow(/expected KEY=VALUE/);
  });

  it('one line an event: time, node, service and resource, type, payload', () => {
    expect(eventLine(logged)).toBe('2026-01-02 14:36:00Z  node1  svc1.app#web  ResourceLogged  level=info message="exec /svc1/app/init.d/weblauncher start as user root"');
    expect(eventLine(frozen)).toBe('2026-01-02 14:36:00Z  node1  -  NodeFrozen');
    expect(eventLine(ev({ type: 'ActionRejected', svc: 'svc1', data: { action: 'start', reason: 'x\u001b[2Jy' } }))).not.toContain('\u001b');
  });
});
