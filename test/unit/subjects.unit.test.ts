import { describe, expect, it } from '@jest/globals';
import { EVENT_CATALOGUE, headerOfSubject, subjectOf, typeOfSubject, validateEvent } from '../../domain/events.js';
import type { EventType } from '../../domain/events.js';
import { sampleEvent } from '../support/events.js';

describe('subjects', () => {
  const types = Object.keys(EVENT_CATALOGUE) as EventType[];

  it('headerOfSubject reads back what subjectOf wrote, for every type, cluster names with dots included', () => {
    for (const cluster of ['c1', 'prod.eu-1']) {
      for (const type of types) {
        const e = sampleEvent(type, { cluster, origin: 'node-2', svc: 'svc_a', rid: 'app#web' });
        expect(validateEvent(e).ok).toBe(true);
        const subject = subjectOf(e);
        expect(headerOfSubject(subject, cluster)).toEqual({ type, origin: 'node-2', svc: e.svc, rid: e.rid });
        expect(typeOfSubject(subject)).toBe(type);
      }
    }
  });

  it('headerOfSubject refuses other shapes and other clusters', () => {
    for (const s of [
      'osvc.c2.evt.node1.node.NodeFrozen',
      'osvc.c1.hb.node1',
      'osvc.c1.evt.node1',
      'osvc.c1.evt.node1.node',
      'osvc.c1.evt.node1.node.',
      'osvc.c1.evt..node.NodeFrozen',
      'osvc.c1.evt.node1.node.NodeFrozen.x',
      'osvc.c1.evt.node1.svc.svc1',
      'osvc.c1.evt.node1.svc..ActionStarted',
      'osvc.c1.evt.node1.svc.svc1.res..ResourceStarted',
      'osvc.c1.evt.node1.svc.svc1.',
      'osvc.c1.evt.node1.vm.svc1.ActionStarted',
      'osvc.c1.evt.node1.svc.svc1.rex.ip#0.ResourceStarted',
      'osvc.c1.evt.node1.svc.svc1.res.ip#0',
      'osvc.c1.evt.node1.svc.svc1.res.ip#0.',
      'osvc.c1.evt.node1.svc.svc1.res.ip#0.ResourceStarted.x',
      'nats.c1.evt.node1.node.NodeFrozen',
    ]) {
      expect([s, headerOfSubject(s, 'c1')]).toEqual([s, undefined]);
    }
  });
});
