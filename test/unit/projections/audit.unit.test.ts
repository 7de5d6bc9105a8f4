import { describe, expect, it } from '@jest/globals';
import { parseServiceConfig } from '../../../domain/config/service.js';
import type { AnyEvent } from '../../../domain/events.js';
import { audit } from '../../../projections/audit.js';
import type { AuditInputs } from '../../../projections/audit.js';
import { configChecksum } from '../../../src/config/checksum.js';
import { LogBuilder } from '../../support/events.js';

const ID = '9e2c1f4a-52d8-4c43-9f8e-1b3a3c5f6d7e';
const text = (nodes: string) => `[DEFAULT]\nid = ${ID}\nnodes = ${nodes}\norchestrate = ha\n\n[app#main]\nscript = launcher\nmonitor = true\n`;
const ONE = text('node1');
const TWO = text('node1 node2');

/** This node's config file now: the audit uses it for decisions taken when the log's checksum was its. */
function inputs(file: string | undefined, o: Partial<AuditInputs> = {}): AuditInputs {
  return {
    node: 'node1',
    readyPeriodMs: 2000,
    configAt: (svc, checksum, decider) => {
      if (file === undefined) return { unusable: `this node has no ${svc}.conf now` };
      if (configChecksum(file) !== checksum) return { unusable: `this node's ${svc}.conf differs now` };
      return parseServiceConfig({ text: file, file: `/etc/opensvc/${svc}.conf`, svcname: svc, nodename: decider });
    },
    ...o,
  };
}

/** An action as the daemon's runner records it: started, the status it leaves, finished. */
function action(b: LogBuilder, node: string, verb: 'start' | 'stop', o: { reason: string; relocation?: boolean; argv?: string[]; user?: string }): AnyEvent {
  const s = b.add(node, { type: 'ActionStarted', svc: 'svc1', data: { action: verb, rids: ['app#main'], argv: o.argv ?? ['orchestrator', verb], user: o.user ?? 'orchestrator', reason: o.reason, ...(o.relocation ? { relocation: true } : {}) } });
  b.add(node, { type: 'ResourceStatusChanged', svc: 'svc1', rid: 'app#main', causation: s.id, data: { status: verb === 'start' ? 'up' : 'down', label: 'launcher', log: [] } });
  b.add(node, { type: 'InstanceStatusChanged', svc: 'svc1', causation: s.id, data: { avail: verb === 'start' ? 'up' : 'down', overall: verb === 'start' ? 'up' : 'down' } });
  b.add(node, { type: 'ActionFinished', svc: 'svc1', causation: s.id, data: { action: verb, result: 'ok', durationMs: 100 } });
  return s;
}

/** Time passes in the log: status runs that change nothing the orchestrator reads. */
function wait(b: LogBuilder, node: string, seconds: number): void {
  for (let i = 0; i < seconds; i++) b.add(node, { type: 'SchedulerJobRan', svc: 'svc1', data: { job: 'status', durationMs: 1, result: 'ok' } });
}

function created(b: LogBuilder, node: string, file: string): void {
  const c = b.add(node, { type: 'ServiceCreated', svc: 'svc1', data: { id: ID, checksum: configChecksum(file) } });
  b.add(node, { type: 'InstanceFrozen', svc: 'svc1', causation: c.id, data: {} });
}

/** The orchestrator test of the daemon, recorded: thawed, started; its monitored app killed: relocation stop, then started again here, the last resort. */
function oneNode() {
  const b = new LogBuilder();
  b.add('node1', { type: 'DaemonStarted', data: { pid: 10, version: '0.1.0' } });
  created(b, 'node1', ONE);
  b.add('node1', { type: 'InstanceThawed', svc: 'svc1', data: {} });
  const start = action(b, 'node1', 'start', { reason: 'not running on any live node: node1 is first of node1' });
  b.add('node1', { type: 'ResourceStatusChanged', svc: 'svc1', rid: 'app#main', data: { status: 'down', label: 'launcher', log: [] } });
  b.add('node1', { type: 'InstanceStatusChanged', svc: 'svc1', data: { avail: 'down', overall: 'down' } });
  const stop = action(b, 'node1', 'stop', { reason: 'monitored resource app#main down: stopping to relocate', relocation: true });
  wait(b, 'node1', 2);
  const again = action(b, 'node1', 'start', { reason: 'not running on any live node: node1 is first of node1 (penalised: node1 relocated away 3s ago)' });
  return { b, start, stop, again };
}

const verdicts = (r: ReturnType<typeof audit>) => r.decisions.map((d) => `${d.id} ${d.verdict}: ${d.now}`);

describe('nodemgr audit: recorded decisions replayed through today\'s decide', () => {
  it('a relocation between two nodes: node1\'s decisions are the ones today\'s code takes; node2\'s are node2\'s log\'s to re-check', () => {
    const b = new LogBuilder();
    b.add('node1', { type: 'DaemonStarted', data: { pid: 10, version: '0.1.0' } });
    created(b, 'node1', TWO);
    created(b, 'node2', TWO);
    b.add('node1', { type: 'PeerStateChanged', data: { node: 'node2', to: 'up', why: 'beating on hb#1' } });
    b.add('node1', { type: 'InstanceThawed', svc: 'svc1', data: {} });
    b.add('node2', { type: 'InstanceThawed', svc: 'svc1', data: {} });
    const start = action(b, 'node1', 'start', { reason: 'not running on any live node: node1 is first of node1, node2' });
    b.add('node1', { type: 'ResourceStatusChanged', svc: 'svc1', rid: 'app#main', data: { status: 'down', label: 'launcher', log: [] } });
    b.add('node1', { type: 'InstanceStatusChanged', svc: 'svc1', data: { avail: 'down', overall: 'down' } });
    const stop = action(b, 'node1', 'stop', { reason: 'monitored resource app#main down: stopping to relocate', relocation: true });
    const there = action(b, 'node2', 'start', { reason: 'not running on any live node: node2 is first of node2, node1 (penalised: node1 relocated away 1s ago)' });
    const r = audit(b.log, inputs(TWO));
    expect(verdicts(r)).toEqual([
      `${start.id} same: start: not running on any live node: node1 is first of node1, node2`,
      `${stop.id} same: stop (relocation): monitored resource app#main down: stopping to relocate`,
      `${there.id} unchecked: cannot re-check here: what node2 had received from its peers when it decided is in node2's log (run nodemgr audit there)`,
    ]);
    expect(r.decisions[1]).toMatchObject({ node: 'node1', svc: 'svc1', recorded: 'stop (relocation): monitored resource app#main down: stopping to relocate' });
  });

  it('a decision today\'s code would not take is reported with what it does instead: a start recorded while the instance was frozen', () => {
    const b = new LogBuilder();
    b.add('node1', { type: 'DaemonStarted', data: { pid: 10, version: '0.1.0' } });
    created(b, 'node1', ONE);
    const s = action(b, 'node1', 'start', { reason: 'not running on any live node: node1 is first of node1' });
    expect(audit(b.log, inputs(ONE)).decisions).toEqual([
      { id: s.id, streamSeq: 4, time: s.time, node: 'node1', svc: 'svc1', recorded: 'start: not running on any live node: node1 is first of node1', verdict: 'different', now: 'not acting: instance frozen' },
    ]);
  });

  it('the last-resort start too early for today\'s backoff is different; with a ready_period changed since, it cannot be re-checked, the first start still can', () => {
    const b = new LogBuilder();
    b.add('node1', { type: 'DaemonStarted', data: { pid: 10, version: '0.1.0' } });
    created(b, 'node1', ONE);
    b.add('node1', { type: 'InstanceThawed', svc: 'svc1', data: {} });
    action(b, 'node1', 'start', { reason: 'not running on any live node: node1 is first of node1' });
    b.add('node1', { type: 'ResourceStatusChanged', svc: 'svc1', rid: 'app#main', data: { status: 'down', label: 'launcher', log: [] } });
    action(b, 'node1', 'stop', { reason: 'monitored resource app#main down: stopping to relocate', relocation: true });
    action(b, 'node1', 'start', { reason: 'not running on any live node: node1 is first of node1 (penalised: node1 relocated away 1s ago)' });
    // the starts: the relocation stop between them is what the first test is about
    const starts = (r: ReturnType<typeof audit>) => r.decisions.filter((d) => d.recorded.startsWith('start'));
    expect(starts(audit(b.log, inputs(ONE, { readyPeriodMs: 10_000 }))).map((d) => [d.verdict, d.now])).toEqual([
      ['same', 'start: not running on any live node: node1 is first of node1'],
      ['different', 'not acting: every node penalised (node1 relocated away 1s ago): last resort node1 in 9s'],
    ]);
    b.add('node1', { type: 'NodeConfigChanged', data: { file: '/etc/opensvc/node.conf', changed: ['node.ready_period'] } });
    const r = starts(audit(b.log, inputs(ONE, { readyPeriodMs: 10_000 })));
    expect(r.map((d) => d.verdict)).toEqual(['same', 'unchecked']);
    expect(r[1]!.now).toBe('cannot re-check: node.ready_period of node1 then not in the log (changed since), and the decision depends on it');
  });

  it('peers come from the deciding node\'s own PeerStateChanged since its daemon started: a takeover from a node proven down is the same', () => {
    const b = new LogBuilder();
    b.add('node1', { type: 'DaemonStarted', data: { pid: 10, version: '0.1.0' } });
    created(b, 'node1', TWO);
    b.add('node1', { type: 'InstanceThawed', svc: 'svc1', data: {} });
    b.add('node1', { type: 'PeerStateChanged', data: { node: 'node2', to: 'up', why: 'beating on hb#1' } });
    b.add('node2', { type: 'InstanceStatusChanged', svc: 'svc1', data: { avail: 'up', overall: 'up' } });
    b.add('node1', { type: 'PeerStateChanged', data: { node: 'node2', from: 'up', to: 'down', why: 'no beat on hb#2 (disk) nor hb#1: proven down' } });
    const t = action(b, 'node1', 'start', { argv: ['orchestrator', 'start', '--takeover', 'node2'], reason: 'node2 down (no beat on hb#2 (disk) nor hb#1: proven down): taking over, node1 is first of node1' });
    expect(audit(b.log, inputs(TWO)).decisions).toMatchObject([{ id: t.id, verdict: 'same', recorded: 'start (takeover from node2): node2 down (no beat on hb#2 (disk) nor hb#1: proven down): taking over, node1 is first of node1' }]);
  });

  it('a peer the deciding daemon had not heard since it started is unknown: a start then is different (it waits for heartbeats)', () => {
    const b = new LogBuilder();
    b.add('node1', { type: 'DaemonStarted', data: { pid: 10, version: '0.1.0' } });
    created(b, 'node1', TWO);
    b.add('node1', { type: 'InstanceThawed', svc: 'svc1', data: {} });
    b.add('node1', { type: 'PeerStateChanged', data: { node: 'node2', to: 'up', why: 'beating on hb#1' } });
    b.add('node1', { type: 'DaemonStarted', data: { pid: 11, version: '0.1.0' } });
    // its first status check since that start (rule 10 waits for it)
    b.add('node1', { type: 'InstanceStatusChanged', svc: 'svc1', data: { avail: 'down', overall: 'down' } });
    action(b, 'node1', 'start', { reason: 'not running on any live node: node1 is first of node1, node2' });
    expect(audit(b.log, inputs(TWO)).decisions.map((d) => [d.verdict, d.now])).toEqual([['different', 'not acting: waiting for heartbeats from node2']]);
  });

  it('rule 12: a start while a peer had not been heard since the daemon started, within rejoin_grace_period, is different now; without the grace, the same', () => {
    const b = new LogBuilder();
    b.add('node1', { type: 'DaemonStarted', data: { pid: 10, version: '0.1.0' } });
    created(b, 'node1', TWO);
    b.add('node1', { type: 'InstanceThawed', svc: 'svc1', data: {} });
    b.add('node1', { type: 'PeerStateChanged', data: { node: 'node2', from: 'unknown', to: 'down', why: 'no beat on hb#2 (disk) nor hb#1: proven down' } });
    b.add('node1', { type: 'InstanceStatusChanged', svc: 'svc1', data: { avail: 'down', overall: 'down' } });
    action(b, 'node1', 'start', { reason: 'not running on any live node: node1 is first of node1' });
    expect(audit(b.log, inputs(TWO, { rejoinGraceMs: 90_000 })).decisions.map((d) => [d.verdict, d.now])).toEqual([['different', expect.stringMatching(/^not acting: waiting for node2 to rejoin since this daemon started \(node2: no beat on hb#2 \(disk\) nor hb#1: proven down\): rejoin_grace_period, \d+s left$/)]]);
    expect(audit(b.log, inputs(TWO, { rejoinGraceMs: 0 })).decisions.map((d) => d.verdict)).toEqual(['same']);
  });

  it('a start decided before the daemon\'s first status check since it started is different now (rule 10 waits for it)', () => {
    const b = new LogBuilder();
    b.add('node1', { type: 'DaemonStarted', data: { pid: 10, version: '0.1.0' } });
    created(b, 'node1', ONE);
    b.add('node1', { type: 'InstanceThawed', svc: 'svc1', data: {} });
    b.add('node1', { type: 'InstanceStatusChanged', svc: 'svc1', data: { avail: 'up', overall: 'up' } });
    b.add('node1', { type: 'DaemonStarted', data: { pid: 11, version: '0.1.0' } });
    action(b, 'node1', 'stop', { reason: 'monitored resource app#main down: stopping to relocate', relocation: true });
    expect(audit(b.log, inputs(ONE)).decisions.map((d) => [d.verdict, d.now])).toEqual([['different', 'not acting: waiting for the first status check since the daemon started']]);
  });

  it('what the log does not hold is said, not guessed', () => {
    const { b } = oneNode();
    const say = (r: ReturnType<typeof audit>) => [...new Set(r.decisions.map((d) => `${d.verdict}: ${d.now}`))];
    expect(say(audit(b.log, inputs(TWO)))).toEqual(["unchecked: cannot re-check: svc1's config then (checksum " + configChecksum(ONE).slice(0, 12) + ") recorded without its content, and this node's svc1.conf differs now"]);
    expect(say(audit(b.log, inputs(undefined)))).toEqual(["unchecked: cannot re-check: svc1's config then (checksum " + configChecksum(ONE).slice(0, 12) + ') recorded without its content, and this node has no svc1.conf now']);
    expect(say(audit(b.log, inputs(ONE, { node: 'node2' })))).toEqual(["unchecked: cannot re-check here: what node1 had received from its peers when it decided is in node1's log (run nodemgr audit there)"]);
    expect(say(audit(b.log.filter((a) => a.event.type !== 'ServiceCreated'), inputs(ONE)))).toEqual(["unchecked: cannot re-check: svc1's config on node1 not in the log (no ServiceCreated or ServiceConfigChanged of node1 before it)"]);
    const two = new LogBuilder();
    created(two, 'node1', TWO);
    two.add('node1', { type: 'InstanceThawed', svc: 'svc1', data: {} });
    action(two, 'node1', 'start', { reason: 'not running on any live node: node1 is first of node1, node2' });
    expect(say(audit(two.log, inputs(TWO)))).toEqual(["unchecked: cannot re-check: node1's daemon start not in the log, so what its heartbeats knew of node2 is not either"]);
  });

  it('a config the log carries (ServiceCreated with its content) is the one re-checked with, whatever this node\'s file says now', () => {
    const b = new LogBuilder();
    b.add('node1', { type: 'DaemonStarted', data: { pid: 10, version: '0.1.0' } });
    const c = b.add('node1', { type: 'ServiceCreated', svc: 'svc1', data: { id: ID, checksum: configChecksum(ONE), text: ONE } });
    b.add('node1', { type: 'InstanceFrozen', svc: 'svc1', causation: c.id, data: {} });
    b.add('node1', { type: 'InstanceThawed', svc: 'svc1', data: {} });
    action(b, 'node1', 'start', { reason: 'not running on any live node: node1 is first of node1' });
    // node2 in the file now: with it, node1 would wait for node2's heartbeats
    expect(audit(b.log, inputs(TWO)).decisions.map((d) => [d.verdict, d.now])).toEqual([['same', 'start: not running on any live node: node1 is first of node1']]);
    expect(audit(b.log, inputs(undefined)).decisions.map((d) => d.verdict)).toEqual(['same']);
    b.add('node1', { type: 'ServiceConfigChanged', svc: 'svc1', data: { changed: ['DEFAULT.nodes'], checksum: configChecksum(TWO), text: TWO } });
    action(b, 'node1', 'stop', { user: 'root', argv: ['svcmgr', '-s', 'svc1', 'stop', '--local'], reason: 'maintenance' });
    action(b, 'node1', 'start', { reason: 'not running on any live node: node1 is first of node1' });
    // the start after the change is re-checked with the config then: node2 among the nodes, never heard of
    expect(audit(b.log, inputs(undefined)).decisions.map((d) => [d.verdict, d.now])).toEqual([
      ['same', 'start: not running on any live node: node1 is first of node1'],
      ['different', 'not acting: waiting for heartbeats from node2'],
    ]);
  });

  it('--since: earlier decisions are replayed, not re-checked; an operator\'s action is no decision', () => {
    const { b, again } = oneNode();
    action(b, 'node1', 'stop', { user: 'root', argv: ['svcmgr', '-s', 'svc1', 'stop'], reason: 'maintenance' });
    expect(audit(b.log, inputs(ONE, { since: Date.parse(again.time) })).decisions.map((d) => d.id)).toEqual([again.id]);
  });
});
