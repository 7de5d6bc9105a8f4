import { describe, expect, test } from '@jest/globals';
import { checkNodeConfig } from '../../../domain/config/node.js';
import { checkServiceConfig } from '../../../domain/config/service.js';

/** The keywords that set how fast a failure is seen and acted on, and how they are refused. */

const ID = '9e2c1f4a-52d8-4c43-9f8e-1b3a3c5f6d7e';
const SVC = '/etc/opensvc/svc1.conf';
const service = (defaults: string) => checkServiceConfig({ text: `[DEFAULT]\nid = ${ID}\n${defaults}\n[app#web]\nscript = w\nmonitor = true\n`, file: SVC, svcname: 'svc1', nodename: 'node1' });
const node = (cluster: string, nodeConf = '') => checkNodeConfig({ cluster: { text: cluster, file: '/etc/opensvc/cluster.conf' }, node: { text: nodeConf, file: '/etc/opensvc/node.conf' } }, 'node1');

describe('service schedules', () => {
  test.each(['1s', '@1s', '10s', '@10', '60', '5m', 'never', '@0', ''])('monitor_schedule = %j is accepted', (v) => {
    expect(service(`monitor_schedule = ${v}`).ok).toBe(true);
  });

  test('a schedule shorter than 1s or unreadable is refused, with a clear line', () => {
    const c = service('monitor_schedule = 500ms\nstatus_schedule = 00:00-06:00@30');
    expect(c.ok ? [] : c.problems).toEqual([
      `${SVC}: [DEFAULT] keyword "monitor_schedule" has invalid value "500ms": expected an interval of at least 1s (or never)`,
      `${SVC}: [DEFAULT] keyword "status_schedule" has invalid value "00:00-06:00@30": expected an interval schedule like @10 (minutes), @30s, 60 or never`,
    ]);
  });

  test('the value is kept as written for the scheduler', () => {
    const c = service('monitor_schedule = 1s');
    expect(c.ok && c.config.defaults.monitor_schedule).toBe('1s');
  });

  test('failure_timeout: 5 minutes by default, a duration, not negative', () => {
    const d = service('');
    expect(d.ok && d.config.defaults.failure_timeout).toBe(300);
    const c = service('failure_timeout = 90s');
    expect(c.ok && c.config.defaults.failure_timeout).toBe(90);
    const bad = service('failure_timeout = soon');
    expect(bad.ok ? [] : bad.problems).toEqual([`${SVC}: [DEFAULT] keyword "failure_timeout" has invalid value "soon": expected a duration in seconds, like 30, 90s, 5m, 1h30m, 200ms`]);
  });
});

describe('heartbeat timing and ready_period', () => {
  const CLUSTER = '[cluster]\nname = c1\nsecret = 0123456789abcdef0123456789abcdef\nnodes = node1 node2\n';

  test('sub-second interval and timeout, in seconds', () => {
    const c = node(`${CLUSTER}[hb#1]\ntype = unicast\ninterval = 200ms\ntimeout = 1s\n`);
    if (!c.ok) throw new Error(c.problems.join('\n'));
    expect(c.config.hbs[0]).toMatchObject({ interval: 0.2, timeout: 1 });
  });

  test('a timeout under twice the interval is refused, naming the file that sets it', () => {
    expect(node(`${CLUSTER}[hb#1]\ntype = unicast\ninterval = 1s\ntimeout = 1500ms\n`)).toEqual({
      ok: false,
      problems: ['/etc/opensvc/cluster.conf: [hb#1] timeout 1.5s is less than twice the interval 1s: set timeout to at least 2s, or a shorter interval'],
    });
    expect(node(`${CLUSTER}[hb#1]\ntype = unicast\n`, '[hb#1]\ninterval = 10\n')).toEqual({
      ok: false,
      problems: ['/etc/opensvc/node.conf: [hb#1] timeout 15s is less than twice the interval 10s: set timeout to at least 20s, or a shorter interval'],
    });
    expect(node(`${CLUSTER}[hb#1]\ntype = unicast\ninterval = 1s\ntimeout = 2s\n`).ok).toBe(true);
  });

  test('ready_period: 5s by default, sub-second or 0 accepted, an unreadable value refused', () => {
    const d = node(CLUSTER);
    expect(d.ok && d.config.node.readyPeriod).toBe(5);
    const c = node(CLUSTER, '[node]\nready_period = 500ms\n');
    expect(c.ok && c.config.node.readyPeriod).toBe(0.5);
    const z = node(CLUSTER, '[node]\nready_period = 0\n');
    expect(z.ok && z.config.node.readyPeriod).toBe(0);
    expect(node(CLUSTER, '[node]\nready_period = -1\n')).toEqual({
      ok: false,
      problems: ['/etc/opensvc/node.conf: [node] keyword "ready_period" has an invalid value: expected a duration in seconds, like 30, 90s, 5m, 1h30m, 200ms'],
    });
  });

  test('rejoin_grace_period: 90s by default as OpenSVC, 0 to not wait, an unreadable value refused', () => {
    const d = node(CLUSTER);
    expect(d.ok && d.config.node.rejoinGracePeriod).toBe(90);
    const c = node(CLUSTER, '[node]\nrejoin_grace_period = 2m\n');
    expect(c.ok && c.config.node.rejoinGracePeriod).toBe(120);
    const z = node(CLUSTER, '[node]\nrejoin_grace_period = 0\n');
    expect(z.ok && z.config.node.rejoinGracePeriod).toBe(0);
    expect(node(CLUSTER, '[node]\nrejoin_grace_period = soon\n')).toEqual({
      ok: false,
      problems: ['/etc/opensvc/node.conf: [node] keyword "rejoin_grace_period" has an invalid value: expected a duration in seconds, like 30, 90s, 5m, 1h30m, 200ms'],
    });
  });
});
