import { describe, expect, it } from '@jest/globals';
import { peerLiveness, quorum, withQuorum, type Liveness } from '../../../domain/heartbeat/peers.js';

const net = (state: 'up' | 'down' | 'unknown', rid = 'hb#1') => ({ rid, kind: 'net' as const, state });
const disk = (state: 'up' | 'down' | 'unknown', rid = 'hb#2') => ({ rid, kind: 'disk' as const, state });

describe('a peer\'s liveness from every heartbeat path', () => {
  it('up when a network heartbeat hears it, whatever the disk says', () => {
    expect(peerLiveness([net('up'), disk('down')]).state).toBe('up');
    expect(peerLiveness([net('down'), net('up', 'hb#3')])).toEqual({ state: 'up', why: 'beating on hb#3' });
  });

  it('alive when only the disk sees it beating: the network to it is cut', () => {
    expect(peerLiveness([net('down'), disk('up')])).toEqual({ state: 'alive', why: 'beating on hb#2 (disk) only: the network to it is cut' });
  });

  it('down only with proof: a disk heartbeat that reads well saw it stop', () => {
    expect(peerLiveness([net('down'), disk('down')])).toEqual({ state: 'down', why: 'no beat on hb#2 (disk) nor hb#1: proven down' });
  });

  it('lost when the network is silent and nothing proves it down: no disk heartbeat, or one that cannot read', () => {
    expect(peerLiveness([net('down')])).toEqual({ state: 'lost', why: 'silent on hb#1, no disk heartbeat or quorum to prove it down' });
    expect(peerLiveness([net('down'), disk('unknown')])).toEqual({ state: 'lost', why: 'silent on hb#1, hb#2 (disk) cannot tell' });
  });

  it('alive, never down, when its heartbeats stopped but its host answers: its daemon died, its services may run on', () => {
    const refused = '10.199.0.11:10000 refused the connection 0.4s ago';
    expect(peerLiveness([net('down'), disk('down')], { hostAnswers: refused })).toEqual({ state: 'alive', why: `its heartbeats stopped but its host answers (${refused}): its daemon is down, not the node` });
    expect(peerLiveness([net('down')], { hostAnswers: refused }).state).toBe('alive');
    // a beat heard says more than the host
    expect(peerLiveness([net('up'), disk('down')], { hostAnswers: refused }).state).toBe('up');
    // a quorum never turns it down: it is no silent node
    const q = quorum(true, { node1: peerLiveness([net('down'), disk('down')], { hostAnswers: refused }) }, { total: 1, reached: 1 });
    expect(withQuorum({ node1: peerLiveness([net('down'), disk('down')], { hostAnswers: refused }) }, q).node1!.state).toBe('alive');
  });

  it('unknown before anything could be said', () => {
    expect(peerLiveness([net('unknown')]).state).toBe('unknown');
    expect(peerLiveness([]).state).toBe('unknown');
  });
});

describe('quorum: votes as OpenSVC counts them', () => {
  const lost: Liveness = { state: 'lost', why: 'silent' };
  const alive: Liveness = { state: 'up', why: 'beating' };

  it('two nodes and an arbitrator: the side reaching the arbitrator holds 2 of 3 and takes the silent node as down', () => {
    const q = quorum(true, { node1: lost }, { total: 1, reached: 1 });
    expect(q).toEqual({ enabled: true, votes: 2, total: 3, has: true });
    expect(withQuorum({ node1: lost }, q).node1?.state).toBe('down');
  });

  it('the side without the arbitrator holds 1 of 3: no quorum, nothing proven', () => {
    const q = quorum(true, { node1: lost }, { total: 1, reached: 0 });
    expect(q.has).toBe(false);
    expect(withQuorum({ node1: lost }, q).node1?.state).toBe('lost');
  });

  it('two nodes, no arbitrator: half is not a majority', () => {
    expect(quorum(true, { node1: lost }, { total: 0, reached: 0 }).has).toBe(false);
    expect(quorum(true, { node1: alive }, { total: 0, reached: 0 }).has).toBe(true);
  });

  it('quorum off: a lost peer stays lost', () => {
    const q = quorum(false, { node1: lost }, { total: 1, reached: 1 });
    expect(withQuorum({ node1: lost }, q).node1?.state).toBe('lost');
  });
});

describe('a daemon that said it was stopping', () => {
  it('is never proven down by its silence: its services may run on while it is away', () => {
    expect(peerLiveness([net('down'), disk('down')], { daemonStopped: true })).toEqual({ state: 'lost', why: 'its daemon stopped (its services may still run): no proof it is down' });
    expect(peerLiveness([net('up'), disk('down')], { daemonStopped: true }).state).toBe('up');
  });
});
