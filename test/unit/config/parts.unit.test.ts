import { describe, expect, test } from '@jest/globals';
import { assignedValue, parseAssignment, parseKeywordRef } from '../../../domain/config/assignment.js';
import { checkNodeConfig } from '../../../domain/config/node.js';
import { nodeConfigFileOf } from '../../../domain/config/nodeSchema.js';
import { expandReferences } from '../../../domain/config/references.js';
import { closest, editDistance } from '../../../domain/config/suggest.js';
import { parseBoolean, parseDuration } from '../../../domain/config/values.js';
import { show } from '../../../domain/config/show.js';

describe('did you mean', () => {
  test('edit distance, case-insensitive, swaps count once', () => {
    expect(editDistance('ipdevv', 'ipdev')).toBe(1);
    expect(editDistance('Ipname', 'ipname')).toBe(0);
    expect(editDistance('prot', 'port')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
  });

  test('closest within reach only', () => {
    expect(closest('ipdevv', ['ipname', 'ipdev', 'netmask'])).toBe('ipdev');
    expect(closest('orchestrat', ['orchestrate', 'placement'])).toBe('orchestrate');
    expect(closest('zzz', ['ipname', 'ipdev'])).toBeUndefined();
  });
});

describe('values', () => {
  test.each([
    ['30', 30],
    ['90s', 90],
    ['5m', 300],
    ['1h30m', 5400],
    ['2d', 172800],
    ['1w', 604800],
    ['200ms', 0.2],
    ['1s500ms', 1.5],
    ['0.5', 0.5],
    ['5ms', 0.005],
    ['5 m', undefined],
    ['0.5s', 0.5],
    ['1.5m', 90],
    ['.5s', undefined],
    ['-1', undefined],
    ['', undefined],
  ])('duration %j', (raw, seconds) => expect(parseDuration(raw)).toBe(seconds));

  test.each([
    ['True', true],
    ['yes', true],
    ['1', true],
    ['FALSE', false],
    ['No', false],
    ['0', false],
    ['maybe', undefined],
    ['', undefined],
  ])('boolean %j', (raw, b) => expect(parseBoolean(raw)).toBe(b));

  test('values shown in problems are one line, cut when long', () => {
    expect(show('a\nb\r\u2028')).toBe('"a\\nb\\r\\u2028"');
    expect(show('x'.repeat(100))).toBe(`"${'x'.repeat(80)}..."`);
  });
});

describe('references', () => {
  const ctx = { vars: { nodename: 'node1', svcname: 'svc1' }, env: { a: '{env.b}/x', b: '{nodename}', loop: '{env.loop}' } };
  test('nested env references', () => {
    expect(expandReferences('{env.a}:{svcname}', ctx)).toEqual({ ok: true, value: 'node1/x:svc1' });
  });
  test('cycles and unknowns are reasons, not crashes', () => {
    expect(expandReferences('{env.loop}', ctx).ok).toBe(false);
    expect(expandReferences('{foo}', ctx)).toEqual({ ok: false, reason: 'refers to unknown {foo} (known: {nodename}, {svcname}, {env.KEY})' });
    expect(expandReferences('{env.KEY}', { vars: {} })).toEqual({ ok: false, reason: 'refers to unknown {env.KEY} (known: )' });
  });
});

describe('+= and -=', () => {
  test('add the words a list lacks, once and in order; remove every given word; = replaces', () => {
    const a = (value: string, op?: 'append' | 'remove') => ({ section: 'DEFAULT', key: 'nodes', value, ...(op ? { op } : {}) });
    expect(assignedValue('node1 node2', a('node3 node2 node3', 'append'))).toBe('node1 node2 node3');
    expect(assignedValue(undefined, a('node1', 'append'))).toBe('node1');
    expect(assignedValue('node1  node2 node1', a('node1', 'remove'))).toBe('node2');
    expect(assignedValue('node1', a('node9', 'remove'))).toBe('node1');
    expect(assignedValue('node1', a('x y'))).toBe('x y');
  });
});

describe('--kw and --param', () => {
  test('section.key=value, DEFAULT when no section', () => {
    expect(parseAssignment('hb#1.type=unicast', undefined)).toEqual({ ok: true, value: { section: 'hb#1', key: 'type', value: 'unicast' } });
    expect(parseAssignment('nodes=node1 node2', 'DEFAULT')).toEqual({ ok: true, value: { section: 'DEFAULT', key: 'nodes', value: 'node1 node2' } });
    expect(parseAssignment('app#web.environment=A=1 B=2', 'DEFAULT')).toEqual({ ok: true, value: { section: 'app#web', key: 'environment', value: 'A=1 B=2' } });
    expect(parseAssignment('nodes', 'DEFAULT').ok).toBe(false);
    expect(parseAssignment('nodes+=node3', 'DEFAULT')).toEqual({ ok: true, value: { section: 'DEFAULT', key: 'nodes', value: 'node3', op: 'append' } });
    expect(parseAssignment('DEFAULT.nodes -= node1', undefined)).toEqual({ ok: true, value: { section: 'DEFAULT', key: 'nodes', value: 'node1', op: 'remove' } });
    expect(parseAssignment('nodes+= ', 'DEFAULT')).toEqual({ ok: false, reason: '"nodes+= ": += needs the words to add' });
    expect(parseKeywordRef('secret', undefined).ok).toBe(false);
    expect(parseKeywordRef('cluster.secret', undefined)).toEqual({ ok: true, value: { section: 'cluster', key: 'secret' } });
    expect(parseKeywordRef('.x', 'DEFAULT').ok).toBe(false);
  });
});

describe('node config', () => {
  const files = (cluster: string, node: string) => ({ cluster: { text: cluster, file: '/etc/opensvc/cluster.conf' }, node: { text: node, file: '/etc/opensvc/node.conf' } });

  test('[cluster] and [hb#*] belong to cluster.conf, the rest to node.conf', () => {
    expect(['cluster', 'hb#1', 'node', 'nats', 'listener'].map(nodeConfigFileOf)).toEqual(['cluster', 'cluster', 'node', 'node', 'node']);
  });

  test('defaults, merge with node.conf overriding, durations', () => {
    const c = checkNodeConfig(files('[cluster]\nname = c1\nsecret = 0123456789abcdef0123456789abcdef\nnodes = n1 n2\n[hb#1]\ntype = unicast\ninterval = 2s\n', '[hb#1]\nport = 10001\n[nats]\nurl = nats://x:4222\n'), 'n1');
    if (!c.ok) throw new Error(c.problems.join('\n'));
    expect(c.config.cluster).toEqual({ name: 'c1', secret: '0123456789abcdef0123456789abcdef', nodes: ['n1', 'n2'], quorum: false });
    expect(c.config.arbitrators).toEqual([]);
    expect(c.config.hbs).toEqual([{ rid: 'hb#1', type: 'unicast', port: 10001, addr: undefined, intf: undefined, dev: undefined, timeout: 15, interval: 2 }]);
    expect(c.config.nats).toEqual({ url: 'nats://x:4222', port: 4222 });
    expect(c.config.node).toEqual({ env: 'TST', ruser: undefined, readyPeriod: 5, rejoinGracePeriod: 90, splitAction: 'crash' });
  });

  test('problems name the file; a bad secret is never shown', () => {
    const c = checkNodeConfig(files('[cluster]\nsecret = hunter2\n[hb#x]\nport = 1\n', '[listner]\n'), 'n1');
    expect(c).toEqual({
      ok: false,
      problems: [
        '/etc/opensvc/cluster.conf: [cluster] keyword "secret" has invalid value (hidden): expected 32 lowercase hexadecimal digits',
        '/etc/opensvc/cluster.conf: [hb#x] keyword "type" is required: the heartbeat transport: unicast (TCP to each peer) or disk (a shared block device); multicast is not supported',
        expect.stringMatching(/^\/etc\/opensvc\/node.conf: \[listner\] section name is invalid: .* \(did you mean "listener"\?\)$/),
      ],
    });
  });
});
