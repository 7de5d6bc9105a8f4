import { describe, expect, test } from '@jest/globals';
import { checkServiceConfig, IMPLICIT_SYNC_LABEL, parseServiceConfig } from '../../../domain/config/service.js';
import { ConfigError } from '../../../domain/errors.js';
import { kwBool, kwNumber, kwString } from '../../../domain/config/types.js';
import { SVC1_ID, TUTORIAL_APP_WEB, TUTORIAL_SVC1, TUTORIAL_SVC1_HA } from './tutorial.js';

const FILE = '/etc/opensvc/svc1.conf';
const parse = (text: string, nodename = 'node1') => parseServiceConfig({ text, file: FILE, svcname: 'svc1', nodename });
const problems = (text: string): readonly string[] => {
  const c = checkServiceConfig({ text, file: FILE, svcname: 'svc1', nodename: 'node1' });
  if (c.ok) throw new Error('expected problems');
  return c.problems;
};

describe('the tutorial svc1.conf', () => {
  test('parses into the service config, resources in file order, sync#i0 appended', () => {
    const c = parse(TUTORIAL_SVC1);
    expect(c.name).toBe('svc1');
    expect(c.id).toBe(SVC1_ID);
    expect(c.app).toBe('MyApp');
    expect(c.nodes).toEqual(['node1', 'node2']);
    expect(c.drpnodes).toEqual([]);
    expect(c.orchestrate).toBe('no');
    expect(c.placement).toBe('nodes order');
    expect(c.topology).toBe('failover');
    expect(c.resources.map((r) => r.rid)).toEqual(['ip#0', 'disk#0', 'fs#app', 'fs#data', 'sync#i0']);
    const [ip, disk, fs] = c.resources;
    expect(ip!.driver).toBe('ip');
    expect(ip!.type).toBeUndefined();
    expect(kwString(ip!, 'ipname')).toBe('svc1.opensvc.com');
    expect(kwString(ip!, 'ipdev')).toBe('eth0');
    expect(disk!.type).toBe('vg');
    expect(disk!.kw.pvs).toEqual(['/dev/loop0']);
    expect(fs!.type).toBe('ext4');
    expect(kwString(fs!, 'mnt')).toBe('/svc1/app');
    expect(kwBool(fs!, 'kill_users')).toBe(false);
    const sync = c.resources[4]!;
    expect(sync).toMatchObject({ rid: 'sync#i0', driver: 'sync', type: 'rsync', optional: false, disable: false, monitor: false, restart: 0 });
    expect(sync.kw.label).toBe(IMPLICIT_SYNC_LABEL);
    expect(sync.kw.target).toEqual(['drpnodes', 'nodes']);
  });

  test('the app#web launcher: sequence numbers, default timeouts', () => {
    const c = parse(TUTORIAL_SVC1 + TUTORIAL_APP_WEB);
    const app = c.resources.find((r) => r.rid === 'app#web')!;
    expect(c.resources.map((r) => r.rid)).toEqual(['ip#0', 'disk#0', 'fs#app', 'fs#data', 'app#web', 'sync#i0']);
    expect(kwString(app, 'script')).toBe('weblauncher');
    expect(kwNumber(app, 'start')).toBe(10);
    expect(kwNumber(app, 'check')).toBe(10);
    expect(kwNumber(app, 'stop')).toBe(90);
    expect(kwNumber(app, 'timeout')).toBe(300);
    expect(kwNumber(app, 'start_timeout')).toBe(300);
    expect(app.monitor).toBe(false);
  });

  test('high availability: orchestrate = ha and monitor = True', () => {
    const c = parse(TUTORIAL_SVC1_HA);
    expect(c.orchestrate).toBe('ha');
    expect(c.resources.find((r) => r.rid === 'app#web')!.monitor).toBe(true);
  });

  test('nodes defaults to the local node', () => {
    const c = parse(`[DEFAULT]\nid = ${SVC1_ID}\n`, 'nodeX');
    expect(c.nodes).toEqual(['nodeX']);
    expect(c.resources.map((r) => r.rid)).toEqual(['sync#i0']);
  });

  test('a declared sync#i0 replaces the implicit one', () => {
    const c = parse(`[DEFAULT]\nid = ${SVC1_ID}\n[sync#i0]\nsrc = /etc/x\ndst = /etc/x\n`);
    expect(c.resources.map((r) => r.rid)).toEqual(['sync#i0']);
    expect(c.resources[0]!.kw.src).toEqual(['/etc/x']);
  });
});

describe('values', () => {
  test.each(['true', 'True', 'YES', 'yes', '1', 'TRUE'])('boolean %s is true', (v) => {
    expect(parse(`[DEFAULT]\nid = ${SVC1_ID}\n[fs#1]\ntype = ext4\ndev = /dev/x\nmnt = /x\nmonitor = ${v}\n`).resources[0]!.monitor).toBe(true);
  });

  test.each(['false', 'False', 'NO', '0'])('boolean %s is false', (v) => {
    expect(parse(`[DEFAULT]\nid = ${SVC1_ID}\n[fs#1]\ntype = ext4\ndev = /dev/x\nmnt = /x\noptional = ${v}\n`).resources[0]!.optional).toBe(false);
  });

  test('durations in seconds', () => {
    const c = parse(`[DEFAULT]\nid = ${SVC1_ID}\n[app#a]\nscript = a\ntimeout = 1h30m\nstop_timeout = 90s\nstatus_timeout = 2m\n`);
    const a = c.resources[0]!;
    expect([kwNumber(a, 'timeout'), kwNumber(a, 'start_timeout'), kwNumber(a, 'stop_timeout'), kwNumber(a, 'status_timeout')]).toEqual([5400, 5400, 90, 120]);
  });

  test('references: {nodename}, {svcname}, {svcpath}, {env.KEY}', () => {
    const c = parse(`[DEFAULT]\nid = ${SVC1_ID}\nnodes = {nodename} node2\n[env]\nbase = /srv/{svcname}\nport = 8080\n[fs#1]\ntype = ext4\ndev = /dev/{env.port}\nmnt = {env.base}/{svcpath}-{nodename}\n`);
    expect(c.nodes).toEqual(['node1', 'node2']);
    expect(kwString(c.resources[0]!, 'mnt')).toBe('/srv/svc1/svc1-node1');
    expect(kwString(c.resources[0]!, 'dev')).toBe('/dev/8080');
  });

  test('braces that are not references are left alone', () => {
    const c = parse(`[DEFAULT]\nid = ${SVC1_ID}\ncomment = {"a": 1} {}\n`);
    expect(c.defaults.comment).toBe('{"a": 1} {}');
  });
});

describe('problems: one line each, naming file, section, keyword, value and what is expected', () => {
  test('unknown keyword, with did you mean', () => {
    expect(problems(TUTORIAL_SVC1.replace('ipdev = eth0', 'ipdevv = eth0'))).toEqual([
      `${FILE}: [ip#0] keyword "ipdevv" is unknown (did you mean "ipdev"?)`,
      `${FILE}: [ip#0] keyword "ipdev" is required: the interface to plumb the address on`,
    ]);
  });

  test('bad value: allowed values listed', () => {
    expect(problems(TUTORIAL_SVC1.replace('nodes = node1 node2', 'nodes = node1 node2\norchestrate = hA'))).toEqual([
      `${FILE}: [DEFAULT] keyword "orchestrate" has invalid value "hA": expected one of no, start, ha`,
    ]);
  });

  test('bad boolean, integer, duration, list element', () => {
    const p = problems(`[DEFAULT]\nid = ${SVC1_ID}\nnodes = node1 no/de\n[app#web]\nscript = w\nmonitor = maybe\nstart = ten\ntimeout = 5 minutes\n`);
    expect(p).toEqual([
      `${FILE}: [DEFAULT] keyword "nodes" has invalid value "node1 no/de": expected a list of node names (letters, digits, "_", "-") (separated by spaces)`,
      `${FILE}: [app#web] keyword "monitor" has invalid value "maybe": expected a boolean (true, false, yes, no, 1, 0)`,
      `${FILE}: [app#web] keyword "start" has invalid value "ten": expected an integer`,
      `${FILE}: [app#web] keyword "timeout" has invalid value "5 minutes": expected a duration in seconds, like 30, 90s, 5m, 1h30m, 200ms`,
    ]);
  });

  test('bad section names', () => {
    const p = problems(`[DEFAULT]\nid = ${SVC1_ID}\n[fss#app]\ntype = ext4\n[ip0]\nipname = x\n[ip#a.b]\n`);
    expect(p[0]).toBe(`${FILE}: [fss#app] section name: driver "fss" is unknown: expected one of ip, disk, fs, app, sync (did you mean "fs#app"?)`);
    expect(p[1]).toMatch(/^\/etc\/opensvc\/svc1.conf: \[ip0\] section name is invalid: expected \[DEFAULT\], \[env\] or \[<driver>#<name>\]/);
    expect(p[2]).toMatch(/\[ip#a\.b\] section name is invalid/);
  });

  test('disk type must be vg', () => {
    expect(problems(TUTORIAL_SVC1.replace('type = vg', 'type = zpool'))).toEqual([`${FILE}: [disk#0] keyword "type" has invalid value "zpool": expected one of vg`]);
  });

  test('missing id, unknown and cyclic references', () => {
    const p = problems(`[DEFAULT]\napp = {nodenam}\n[env]\na = {env.b}\nb = {env.a}\n[fs#1]\ntype = ext4\ndev = {env.c}\nmnt = /x\n`);
    expect(p).toContain(`${FILE}: [DEFAULT] keyword "app" refers to unknown {nodenam} (known: {nodename}, {svcname}, {svcpath}, {env.KEY})`);
    expect(p).toContain(`${FILE}: [DEFAULT] keyword "id" is required: the service unique id, generated by create`);
    expect(p).toContain(`${FILE}: [fs#1] keyword "dev" refers to {env.c} but the [env] section has no keyword "c"`);
    expect(p.some((l) => /\[env\] keyword "a" \{env\.a\} refers to itself/.test(l))).toBe(true);
  });

  test('parse errors are ConfigError', () => {
    expect.assertions(2);
    expect(() => parse('[DEFAULT]\nid = x\n')).toThrow(ConfigError);
    try {
      parse('nodes = a\n');
    } catch (e) {
      expect((e as ConfigError).problems).toEqual([`${FILE}:1: keyword "nodes" is outside any section: add a section header like [DEFAULT] above it`]);
    }
  });
});
