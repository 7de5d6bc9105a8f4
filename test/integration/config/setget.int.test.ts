import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { loadServiceConfig } from '../../../src/config/serviceStore.js';
import { TUTORIAL_SVC1 } from '../../unit/config/tutorial.js';
import { testNode, type TestNode } from './cli.js';

let node: TestNode;
let conf: string;

const COMMENTED = TUTORIAL_SVC1.replace('[DEFAULT]\n', '# svc1: the tutorial service\n[DEFAULT]\n').replace('app = MyApp\n', 'app = MyApp\n# two nodes, node1 preferred\n').replace('[ip#0]', '\n; the service address\n[ip#0]');

beforeEach(async () => {
  node = testNode();
  const src = path.join(node.root, 'svc1.template');
  fs.writeFileSync(src, COMMENTED);
  expect((await node.svcmgr(['-s', 'svc1', 'create', '--config', src])).code).toBe(0);
  conf = path.join(node.paths.etc, 'svc1.conf');
});
afterEach(() => node.cleanup());

const read = () => fs.readFileSync(conf, 'utf8');

describe('set, get, unset', () => {
  test('the tutorial edits through set: [app#web], orchestrate = ha, monitor = True; comments and order kept', async () => {
    const before = read();
    let r = await node.svcmgr(['-s', 'svc1', 'set', '--kw', 'app#web.script=weblauncher', '--kw', 'app#web.start=10', '--kw', 'app#web.check=10', '--kw', 'app#web.stop=90']);
    expect(r).toEqual({ code: 0, out: [], err: [] });
    r = await node.svcmgr(['-s', 'svc1', 'set', '--param', 'orchestrate', '--value', 'ha']);
    expect(r.code).toBe(0);
    r = await node.svcmgr(['-s', 'svc1', 'set', '--kw', 'app#web.monitor=True']);
    expect(r.code).toBe(0);
    const after = read();
    expect(after).toBe(
      `${before.replace('nodes = node1 node2\n', 'nodes = node1 node2\norchestrate = ha\n')}\n[app#web]\nscript = weblauncher\nstart = 10\ncheck = 10\nstop = 90\nmonitor = True\n`,
    );
    expect(after).toContain('# svc1: the tutorial service\n[DEFAULT]\n');
    expect(after).toContain('\n; the service address\n[ip#0]');
    const c = await loadServiceConfig(node.paths, 'svc1', node.env);
    expect(c.orchestrate).toBe('ha');
    expect(c.resources.find((x) => x.rid === 'app#web')).toMatchObject({ monitor: true, kw: { script: 'weblauncher', start: 10, check: 10, stop: 90 } });

    const evs = node.events().filter((e) => e.type === 'ServiceConfigChanged');
    expect(evs.map((e) => e.data.changed)).toEqual([['app#web.script', 'app#web.start', 'app#web.check', 'app#web.stop'], ['DEFAULT.orchestrate'], ['app#web.monitor']]);
    expect(evs[2]!.data.checksum).toBe((await import('node:crypto')).createHash('sha256').update(after).digest('hex'));
  });

  test('+= adds to a list the words it lacks, -= removes them; an empty += is refused and changes nothing', async () => {
    let r = await node.svcmgr(['-s', 'svc1', 'set', '--kw', 'nodes+=node3 node2']);
    expect(r).toEqual({ code: 0, out: [], err: [] });
    expect(read()).toContain('nodes = node1 node2 node3\n');
    r = await node.svcmgr(['-s', 'svc1', 'set', '--kw', 'DEFAULT.nodes-=node1']);
    expect(r.code).toBe(0);
    expect(read()).toContain('nodes = node2 node3\n');
    expect((await loadServiceConfig(node.paths, 'svc1', node.env)).nodes).toEqual(['node2', 'node3']);
    const before = read();
    r = await node.svcmgr(['-s', 'svc1', 'set', '--kw', 'nodes+=']);
    expect(r.code).toBe(2);
    expect(r.err).toEqual(['set --kw "nodes+=": += needs the words to add']);
    expect(read()).toBe(before);
    const changed = node.events().filter((e) => e.type === 'ServiceConfigChanged').map((e) => e.data.changed);
    expect(changed).toEqual([['DEFAULT.nodes'], ['DEFAULT.nodes']]);
  });

  test('set an existing keyword rewrites its line in place', async () => {
    await node.svcmgr(['-s', 'svc1', 'set', '--kw', 'ip#0.ipdev=eth1']);
    expect(read()).toContain('[ip#0]\nipname = svc1.opensvc.com\nipdev = eth1\n');
  });

  test('setting the same value changes nothing and records nothing', async () => {
    const before = read();
    const n = node.events().length;
    expect((await node.svcmgr(['-s', 'svc1', 'set', '--kw', 'app=MyApp'])).code).toBe(0);
    expect(read()).toBe(before);
    expect(node.events()).toHaveLength(n);
  });

  test('get prints values as written; --format json', async () => {
    let r = await node.svcmgr(['-s', 'svc1', 'get', '--kw', 'nodes', '--param', 'fs#app.mnt']);
    expect(r).toEqual({ code: 0, out: ['node1 node2', '/svc1/app'], err: [] });
    r = await node.svcmgr(['-s', 'svc1', 'get', '--kw', 'DEFAULT.app', '--format', 'json']);
    expect(JSON.parse(r.out[0]!)).toEqual({ 'DEFAULT.app': 'MyApp' });
    r = await node.svcmgr(['-s', 'svc1', 'get', '--kw', 'orchestrate']);
    expect(r.code).toBe(1);
    expect(r.err).toEqual([`${conf}: [DEFAULT] keyword "orchestrate" is not set (default: "no")`]);
    r = await node.svcmgr(['-s', 'svc1', 'get', '--kw', 'ip#0.ipdevv']);
    expect(r.err).toEqual([`${conf}: [ip#0] keyword "ipdevv" is unknown (did you mean "ipdev"?)`]);
  });

  test('unset removes the line; unknown names are refused', async () => {
    await node.svcmgr(['-s', 'svc1', 'set', '--kw', 'orchestrate=ha']);
    const r = await node.svcmgr(['-s', 'svc1', 'unset', '--kw', 'orchestrate']);
    expect(r.code).toBe(0);
    expect(read()).not.toContain('orchestrate');
    expect(node.events().at(-1)!.data.changed).toEqual(['DEFAULT.orchestrate']);
    const bad = await node.svcmgr(['-s', 'svc1', 'unset', '--param', 'orchestrat']);
    expect(bad.code).toBe(1);
    expect(bad.err).toEqual([`${conf}: [DEFAULT] keyword "orchestrat" is unknown (did you mean "orchestrate"?)`]);
  });

  test('unset of a required keyword is refused, the file unchanged', async () => {
    const before = read();
    const r = await node.svcmgr(['-s', 'svc1', 'unset', '--kw', 'fs#app.mnt']);
    expect(r.code).toBe(1);
    expect(r.err).toEqual([`${conf}: [fs#app] keyword "mnt" is required: the mount point`]);
    expect(read()).toBe(before);
  });

  test('unset id: the service keeps its id', async () => {
    const before = read();
    expect((await node.svcmgr(['-s', 'svc1', 'unset', '--kw', 'id'])).code).toBe(0);
    expect(read()).toBe(before);
  });
});

describe('refused changes leave the file byte-for-byte as it was', () => {
  const cases: Array<[string, string[], string]> = [
    ['unknown keyword', ['--kw', 'ip#0.ipdevv=eth0'], `: [ip#0] keyword "ipdevv" is unknown (did you mean "ipdev"?)`],
    ['bad value', ['--kw', 'orchestrate=always'], `: [DEFAULT] keyword "orchestrate" has invalid value "always": expected one of no, start, ha`],
    ['bad boolean', ['--kw', 'app#web.script=w', '--kw', 'app#web.monitor=oui'], `: [app#web] keyword "monitor" has invalid value "oui": expected a boolean (true, false, yes, no, 1, 0)`],
    ['bad section name', ['--kw', 'fss#1.type=ext4'], `: [fss#1] section name: driver "fss" is unknown: expected one of ip, disk, fs, app, sync (did you mean "fs#1"?)`],
    ['missing required keyword in a new section', ['--kw', 'fs#new.type=ext4'], `: [fs#new] keyword "dev" is required: the device holding the filesystem`],
    ['a line break in a value', ['--kw', 'comment=a\n[ip#9]'], `: [DEFAULT] keyword "comment" value holds a line break: values are one line`],
  ];
  test.each(cases)('%s', async (_name, args, problem) => {
    const before = read();
    const n = node.events().length;
    const r = await node.svcmgr(['-s', 'svc1', 'set', ...args]);
    expect(r.code).toBe(1);
    expect(r.err[0]).toBe(`${conf}${problem}`);
    expect(read()).toBe(before);
    expect(node.events()).toHaveLength(n);
  });

  test('usage errors exit 2', async () => {
    expect((await node.svcmgr(['-s', 'svc1', 'set'])).code).toBe(2);
    expect((await node.svcmgr(['-s', 'svc1', 'set', '--kw', 'nodes'])).code).toBe(2);
    expect((await node.svcmgr(['-s', 'svc1', 'set', '--param', 'nodes'])).code).toBe(2);
    expect((await node.svcmgr(['-s', 'svc1', 'set', '--kw', 'a=b', '--rid', 'x'])).code).toBe(2);
    expect((await node.svcmgr(['-s', 'svc1', 'get', '--format', 'yaml', '--kw', 'app'])).code).toBe(2);
  });
});

describe('print config and validate config', () => {
  test('print config shows the file; --format json its sections', async () => {
    const r = await node.svcmgr(['-s', 'svc1', 'print', 'config']);
    expect(r.out.join('\n') + '\n').toBe(read());
    const j = await node.svcmgr(['-s', 'svc1', 'print', 'config', '--format', 'json']);
    const parsed = JSON.parse(j.out.join('\n'));
    expect(Object.keys(parsed)).toEqual(['DEFAULT', 'ip#0', 'disk#0', 'fs#app', 'fs#data']);
    expect(parsed['fs#app']).toEqual({ type: 'ext4', dev: '/dev/mapper/vgsvc1-lvappsvc1', mnt: '/svc1/app' });
  });

  test('print config shows a file that no longer parses, as written', async () => {
    fs.writeFileSync(conf, `${read()}[ip#0]\n`);
    const r = await node.svcmgr(['-s', 'svc1', 'print', 'config']);
    expect(r.code).toBe(0);
    expect(r.out.at(-1)).toBe('[ip#0]');
    expect((await node.svcmgr(['-s', 'svc1', 'print', 'config', '--format', 'json'])).code).toBe(1);
  });

  test('--help lists the config actions', async () => {
    const s = await node.svcmgr(['--help']);
    for (const a of ['create', 'delete', 'edit config', 'print config', 'validate config', 'set', 'get', 'unset']) expect(s.out.join('\n')).toMatch(new RegExp(`^  ${a} `, 'm'));
    const n = await node.nodemgr(['--help']);
    for (const a of ['set', 'get', 'unset', 'print config', 'validate config']) expect(n.out.join('\n')).toMatch(new RegExp(`^  ${a} `, 'm'));
    expect((await node.nodemgr(['set', '--help'])).code).toBe(0);
  });

  test('validate config: exit 0 when valid, 1 listing every problem', async () => {
    expect(await node.svcmgr(['-s', 'svc1', 'validate', 'config'])).toEqual({ code: 0, out: [], err: [] });
    fs.writeFileSync(conf, read().replace('ipdev = eth0', 'ipdevv = eth0').replace('type = vg', 'type = zfs'));
    const r = await node.svcmgr(['-s', 'svc1', 'validate', 'config']);
    expect(r.code).toBe(1);
    expect(r.err).toEqual([
      `${conf}: [ip#0] keyword "ipdevv" is unknown (did you mean "ipdev"?)`,
      `${conf}: [ip#0] keyword "ipdev" is required: the interface to plumb the address on`,
      `${conf}: [disk#0] keyword "type" has invalid value "zfs": expected one of vg`,
    ]);
    const j = await node.svcmgr(['-s', 'svc1', 'validate', 'config', '--format', 'json']);
    expect(JSON.parse(j.out[0]!)).toMatchObject({ valid: false, problems: r.err });
    await expect(loadServiceConfig(node.paths, 'svc1', node.env)).rejects.toMatchObject({ name: 'ConfigError', problems: r.err });
  });

  test('a file with CRLF, a BOM and tabs reads fine, and edits keep CRLF', async () => {
    fs.writeFileSync(conf, `\uFEFF${read().replace('ipdev = eth0', '\tipdev\t=\teth0').replace(/\n/g, '\r\n')}`);
    expect((await node.svcmgr(['-s', 'svc1', 'validate', 'config'])).code).toBe(0);
    const c = await loadServiceConfig(node.paths, 'svc1', node.env);
    expect(c.resources[0]!.kw.ipdev).toBe('eth0');
    expect((await node.svcmgr(['-s', 'svc1', 'set', '--kw', 'ip#0.ipdev=eth1'])).code).toBe(0);
    const text = read();
    expect(text).toContain('\r\n\tipdev = eth1\r\n');
    expect(text.replace(/\r\n/g, '')).not.toContain('\n');
  });

  test('duplicate keys and sections are refused naming the lines', async () => {
    fs.writeFileSync(conf, `${read()}[ip#0]\nipname = x\n`);
    let r = await node.svcmgr(['-s', 'svc1', 'validate', 'config']);
    expect(r.err).toEqual([`${conf}:28: section [ip#0] is declared twice (lines 10 and 28): merge them into one`]);
    fs.writeFileSync(conf, read().replace(/\[ip#0\]\nipname = x\n$/, '').replace('ipdev = eth0', 'ipdev = eth0\nipdev = eth1'));
    r = await node.svcmgr(['-s', 'svc1', 'set', '--kw', 'app=x']);
    expect(r.code).toBe(1);
    expect(r.err).toEqual([`${conf}:13: [ip#0] keyword "ipdev" is set twice (lines 12 and 13): keep one`]);
  });
});
