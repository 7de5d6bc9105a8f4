import { describe, expect, test } from '@jest/globals';
import { checkServiceConfig } from '../../../domain/config/service.js';
import { SVC1_ID } from './tutorial.js';

/**
 * Keywords OpenSVC has and hasvc does not build are refused by name, never
 * accepted and ignored: the user learns at validate time, not in production.
 */
const FILE = '/etc/opensvc/svc1.conf';
const check = (text: string) => checkServiceConfig({ text, file: FILE, svcname: 'svc1', nodename: 'node1' });
const problems = (text: string): readonly string[] => {
  const c = check(text);
  if (c.ok) throw new Error('expected problems');
  return c.problems;
};
const svc = (defaults: string, sections = '') => `[DEFAULT]\nid = ${SVC1_ID}\nnodes = node1 node2\n${defaults}\n${sections}`;
const IP = '[ip#0]\nipname = 10.0.0.1\nipdev = eth0\n';
const FS = '[fs#1]\ntype = ext4\ndev = /dev/loop0\nmnt = /srv/a\n';

describe('keywords hasvc does not build are refused with one line naming file, section and keyword', () => {
  test.each([
    ['ip#0', `${IP}gateway = 10.0.0.254\n`, 'gateway'],
    ['fs#1', `${FS}mkfs_opt = -b 4096\n`, 'mkfs_opt'],
    ['sync#1', '[sync#1]\nsrc = /etc/a\ndst = /etc/a\nschedule = @60\n', 'schedule'],
  ])('[%s] %s', (section, text, key) => {
    const p = problems(svc('', text));
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(new RegExp(`^${FILE}: \\[${section.replace('#', '#')}\\] keyword "${key}" is not supported by hasvc: \\S`));
  });

  test('placement = load avg is refused, with what to use instead', () => {
    expect(problems(svc('placement = load avg'))).toEqual([
      `${FILE}: [DEFAULT] keyword "placement" value "load avg" is not supported by hasvc: the nodes share no load average; use nodes order or spread`,
    ]);
  });

  test('nodes order and spread are accepted', () => {
    for (const p of ['nodes order', 'spread']) {
      const c = check(svc(`placement = ${p}`));
      expect(c.ok && c.config.placement).toBe(p);
    }
  });

  test('a keyword refused is refused in every section that has it, defaults never count', () => {
    // check_carrier, alias, check_read_only and pvs work: accepted as written and by default
    const c = check(svc('', `${IP}check_carrier = false\nalias = false\n${FS}check_read_only = false\n[disk#0]\ntype = vg\nname = vg1\npvs = /dev/loop0\n`));
    expect(c.ok).toBe(true);
    expect(check(svc('', IP + FS)).ok).toBe(true);
  });
});
