import { describe, expect, it } from '@jest/globals';
import { membershipOf } from '../../../projections/membership.js';
import { LogBuilder } from '../../support/events.js';

describe('membership from the log: the newest join, leave or removal stands', () => {
  it('joined, left, joined again through another node: a member, whatever order the events come in', () => {
    const b = new LogBuilder();
    b.add('node1', { type: 'NodeJoined', data: { node: 'node3' } });
    b.add('node3', { type: 'NodeLeft', data: { node: 'node3' } });
    b.add('node2', { type: 'NodeJoined', data: { node: 'node3' } });
    const events = b.log.map((a) => a.event);
    expect(membershipOf('node3', events)).toBe('member');
    // node3's leave reaching a node after node2's record of the rejoin
    expect(membershipOf('node3', [events[0]!, events[2]!, events[1]!])).toBe('member');
    expect(membershipOf('node3', events.slice(0, 2))).toBe('gone');
  });

  it('a removal by an operator on any node takes the node out; a NodeLeft recorded by another node for it says nothing', () => {
    const b = new LogBuilder();
    b.add('node1', { type: 'NodeJoined', data: { node: 'node3' } });
    b.add('node2', { type: 'NodeLeft', data: { node: 'node3' } });
    expect(membershipOf('node3', b.log.map((a) => a.event))).toBe('member');
    b.add('node2', { type: 'NodeRemoved', data: { node: 'node3' } });
    expect(membershipOf('node3', b.log.map((a) => a.event))).toBe('gone');
  });

  it('events about other nodes, or none: nothing said', () => {
    const b = new LogBuilder();
    b.add('node1', { type: 'NodeJoined', data: { node: 'node2' } });
    b.add('node1', { type: 'NodeFrozen', data: {} });
    expect(membershipOf('node3', b.log.map((a) => a.event))).toBeUndefined();
  });

  it('two records of the same time: the higher id stands, on every node alike', () => {
    const b = new LogBuilder();
    const joined = b.add('node1', { type: 'NodeJoined', data: { node: 'node3' } });
    const removed = b.add('node2', { type: 'NodeRemoved', data: { node: 'node3' } });
    const same = [joined, { ...removed, time: joined.time }];
    expect(membershipOf('node3', same)).toBe('gone'); // node2:1 > node1:1
    expect(membershipOf('node3', [...same].reverse())).toBe('gone');
  });
});
