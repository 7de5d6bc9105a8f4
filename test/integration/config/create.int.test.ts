import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { loadServiceConfig } from '../../../src/config/serviceStore.js';
import { TUTORIAL_SVC1 } from '../../unit/config/tutorial.js';
import { testNode, type TestNode } from './cli.js';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let node: TestNode;
beforeEach(() => {
  node = testNode();
});
afterEach(() => node.cleanup());

describe('svcmgr -s svc1 create', () => {
  test('creates svc1.conf with an id, svc1.dir, svc1.d -> svc1.dir, svc1 -> svcmgr', async () => {
    const r = await node.svcmgr(['-s', 'svc1', 'create']);
    expect(r).toEqual({ code: 0, out: [], err: [] });
    const etc = node.paths.etc;
    // the tutorial's `ls -lart | grep svc1`
    const entries = fs.readdirSync(etc).filter((n) => n.startsWith('svc1')).sort();
    expect(entries).toEqual(['svc1', 'svc1.conf', 'svc1.d', 'svc1.dir']);
    expect(fs.lstatSync(path.join(etc, 'svc1.dir')).isDirectory()).toBe(true);
    expect(fs.statSync(path.join(etc, 'svc1.dir')).mode & 0o777).toBe(0o755);
    expect(fs.lstatSync(path.join(etc, 'svc1.d')).isSymbolicLink()).toBe(true);
    expect(fs.readlinkSync(path.join(etc, 'svc1.d'))).toBe('svc1.dir');
    expect(fs.readlinkSync(path.join(etc, 'svc1'))).toBe(node.svcmgrPath);
    const conf = path.join(etc, 'svc1.conf');
    expect(fs.lstatSync(conf).isFile()).toBe(true);
    expect(fs.statSync(conf).mode & 0o777).toBe(0o644);
    const text = fs.readFileSync(conf, 'utf8');
    const m = /^\[DEFAULT\]\nid = (\S+)\n$/.exec(text);
    expect(m).not.toBeNull();
    expect(m![1]).toMatch(UUID_RE);

    const events = node.events();
    expect(events.map((e) => e.type)).toEqual(['ServiceCreated', 'InstanceFrozen']);
    expect(events[1]!.causation).toBe(events[0]!.id);
    expect(events[0]!.svc).toBe('svc1');
    expect(events[0]!.data.id).toBe(m![1]);
    expect(events[0]!.data.checksum).toMatch(/^[0-9a-f]{64}$/);

    const c = await loadServiceConfig(node.paths, 'svc1', node.env);
    expect(c.nodes).toEqual(['node1']);
    expect(c.resources.map((x) => x.rid)).toEqual(['sync#i0']);
  });

  test('svc1 invoked through its symlink acts on svc1', async () => {
    await node.svcmgr(['-s', 'svc1', 'create']);
    const link = path.join(node.paths.etc, 'svc1');
    const r = await node.svcmgr(['print', 'config'], { invokedAs: link });
    expect(r.code).toBe(0);
    expect(r.out[0]).toBe('[DEFAULT]');
    expect(r.out[1]).toMatch(/^id = /);
    const g = await node.svcmgr(['get', '--kw', 'id'], { invokedAs: link });
    expect(g.out).toEqual([r.out[1]!.slice('id = '.length)]);
  });

  test('creating a service that exists is an error, nothing changed', async () => {
    await node.svcmgr(['-s', 'svc1', 'create']);
    const conf = path.join(node.paths.etc, 'svc1.conf');
    const before = fs.readFileSync(conf, 'utf8');
    const r = await node.svcmgr(['-s', 'svc1', 'create']);
    expect(r.code).toBe(1);
    expect(r.err).toEqual([`service svc1 already exists (${conf}): delete it first or use set/edit config`]);
    expect(fs.readFileSync(conf, 'utf8')).toBe(before);
    expect(node.events()).toHaveLength(2);
  });

  test('create --config FILE: the tutorial config, a fresh id', async () => {
    const src = path.join(node.root, 'template.conf');
    fs.writeFileSync(src, `# from a template\n${TUTORIAL_SVC1}`);
    const r = await node.svcmgr(['-s', 'svc1', 'create', '--config', src]);
    expect(r.code).toBe(0);
    const text = fs.readFileSync(path.join(node.paths.etc, 'svc1.conf'), 'utf8');
    expect(text.startsWith('# from a template\n[DEFAULT]\nid = ')).toBe(true);
    expect(text).not.toContain('9e2c1f4a-52d8-4c43-9f8e-1b3a3c5f6d7e');
    expect(text).toContain('[fs#data]\ntype = ext4\ndev = /dev/mapper/vgsvc1-lvdatasvc1\nmnt = /svc1/data\n');
    const c = await loadServiceConfig(node.paths, 'svc1', node.env);
    expect(c.resources.map((x) => x.rid)).toEqual(['ip#0', 'disk#0', 'fs#app', 'fs#data', 'sync#i0']);
  });

  test('create --config with an invalid file: refused, naming the file, nothing created', async () => {
    const src = path.join(node.root, 'bad.conf');
    fs.writeFileSync(src, TUTORIAL_SVC1.replace('ipdev =', 'ipdevv ='));
    const r = await node.svcmgr(['-s', 'svc1', 'create', '--config', src]);
    expect(r.code).toBe(1);
    expect(r.err[0]).toBe(`${src}: [ip#0] keyword "ipdevv" is unknown (did you mean "ipdev"?)`);
    expect(fs.existsSync(node.paths.etc) ? fs.readdirSync(node.paths.etc).filter((n) => n.startsWith('svc1')) : []).toEqual([]);
  });

  test('create --kw', async () => {
    const r = await node.svcmgr(['-s', 'svc1', 'create', '--kw', 'nodes=node1 node2', '--kw', 'orchestrate=ha', '--kw', 'app#web.script=weblauncher', '--kw', 'app#web.start=10']);
    expect(r.code).toBe(0);
    const c = await loadServiceConfig(node.paths, 'svc1', node.env);
    expect(c.nodes).toEqual(['node1', 'node2']);
    expect(c.orchestrate).toBe('ha');
    expect(c.resources[0]!.kw).toMatchObject({ script: 'weblauncher', start: 10 });
  });

  test('bad service names and unknown options are usage errors (exit 2)', async () => {
    expect((await node.svcmgr(['-s', 'Svc 1', 'create'])).code).toBe(2);
    expect((await node.svcmgr(['-s', 'node', 'create'])).code).toBe(2);
    const r = await node.svcmgr(['-s', 'svc1', 'create', '--konfig', 'x']);
    expect(r.code).toBe(2);
    expect(r.err[0]).toMatch(/^create: unknown option --konfig/);
    expect((await node.svcmgr(['create'])).code).toBe(2);
  });

  test('--help on an action', async () => {
    const r = await node.svcmgr(['-s', 'svc1', 'create', '--help']);
    expect(r.code).toBe(0);
    expect(r.out[0]).toMatch(/^svcmgr create: /);
  });
});

describe('svcmgr -s svc1 delete', () => {
  test('removes conf, .dir, .d link and svc symlink', async () => {
    await node.svcmgr(['-s', 'svc1', 'create']);
    fs.writeFileSync(path.join(node.paths.etc, 'svc1.dir', 'weblauncher'), '#!/bin/sh\n');
    const r = await node.svcmgr(['-s', 'svc1', 'delete']);
    expect(r).toEqual({ code: 0, out: [], err: [] });
    expect(fs.readdirSync(node.paths.etc).filter((n) => n.startsWith('svc1'))).toEqual([]);
    expect(node.events().map((e) => [e.type, e.data])).toEqual([
      ['ServiceCreated', expect.anything()],
      ['InstanceFrozen', {}],
      ['ServiceDeleted', { rids: [] }],
    ]);
    expect((await node.svcmgr(['-s', 'svc1', 'delete'])).code).toBe(1);
  });

  test('a relocated svc1.d loses its link only, never its target', async () => {
    await node.svcmgr(['-s', 'svc1', 'create']);
    const initd = path.join(node.root, 'svc1/app/init.d');
    fs.mkdirSync(initd, { recursive: true });
    fs.writeFileSync(path.join(initd, 'weblauncher'), '#!/bin/sh\n');
    const d = path.join(node.paths.etc, 'svc1.d');
    fs.unlinkSync(d);
    fs.rmdirSync(path.join(node.paths.etc, 'svc1.dir'));
    fs.symlinkSync(initd, d);
    expect((await node.svcmgr(['-s', 'svc1', 'delete'])).code).toBe(0);
    expect(fs.existsSync(path.join(initd, 'weblauncher'))).toBe(true);
    expect(fs.readdirSync(node.paths.etc).filter((n) => n.startsWith('svc1'))).toEqual([]);
  });

  test('refused while up (a fs mount point is mounted, an ip plumbed) unless --force', async () => {
    // "/" is always mounted and 127.0.0.1 always plumbed on lo: up, without touching the system
    await node.svcmgr(['-s', 'svc1', 'create', '--kw', 'fs#root.type=ext4', '--kw', 'fs#root.dev=/dev/root', '--kw', 'fs#root.mnt=/']);
    const r = await node.svcmgr(['-s', 'svc1', 'delete']);
    expect(r.code).toBe(1);
    expect(r.err).toEqual(['service svc1 is up on this node (/ is mounted): stop it first, or delete --force']);
    expect(fs.existsSync(path.join(node.paths.etc, 'svc1.conf'))).toBe(true);

    await node.svcmgr(['-s', 'svc2', 'create', '--kw', 'ip#0.ipname=127.0.0.1', '--kw', 'ip#0.ipdev=lo']);
    const r2 = await node.svcmgr(['-s', 'svc2', 'delete']);
    expect(r2.err).toEqual(['service svc2 is up on this node (127.0.0.1 is plumbed): stop it first, or delete --force']);

    expect((await node.svcmgr(['-s', 'svc1', 'delete', '--force'])).code).toBe(0);
    expect(fs.existsSync(path.join(node.paths.etc, 'svc1.conf'))).toBe(false);
  });

  test('not up: its mount point is not mounted, its address not plumbed', async () => {
    await node.svcmgr(['-s', 'svc1', 'create', '--kw', 'fs#x.type=ext4', '--kw', 'fs#x.dev=/dev/x', '--kw', `fs#x.mnt=${node.root}/nowhere`, '--kw', 'ip#0.ipname=192.0.2.199', '--kw', 'ip#0.ipdev=lo']);
    expect((await node.svcmgr(['-s', 'svc1', 'delete'])).code).toBe(0);
  });

  test('delete --rid removes resource sections, keeping the rest of the file', async () => {
    const src = path.join(node.root, 'template.conf');
    fs.writeFileSync(src, TUTORIAL_SVC1.replace('[fs#data]', '# the data\n[fs#data]'));
    await node.svcmgr(['-s', 'svc1', 'create', '--config', src]);
    const r = await node.svcmgr(['-s', 'svc1', 'delete', '--rid', 'fs#app,disk#0']);
    expect(r.code).toBe(0);
    const text = fs.readFileSync(path.join(node.paths.etc, 'svc1.conf'), 'utf8');
    expect(text).not.toContain('[fs#app]');
    expect(text).not.toContain('[disk#0]');
    expect(text).toContain('# the data\n[fs#data]');
    const evs = node.events();
    expect(evs.map((e) => e.type)).toEqual(['ServiceCreated', 'InstanceFrozen', 'ServiceDeleted', 'ServiceConfigChanged']);
    expect(evs[2]!.data).toEqual({ rids: ['fs#app', 'disk#0'] });
    expect(evs[3]!.data.changed).toEqual(['disk#0.type', 'disk#0.name', 'disk#0.pvs', 'fs#app.type', 'fs#app.dev', 'fs#app.mnt']);
    const missing = await node.svcmgr(['-s', 'svc1', 'delete', '--rid', 'fs#nope']);
    expect(missing.code).toBe(1);
    expect(missing.err[0]).toContain('no section [fs#nope] to delete');
  });
});
