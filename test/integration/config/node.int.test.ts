import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import fs from 'node:fs';
import { loadClusterIdentity } from '../../../src/config/identity.js';
import { loadNodeConfig } from '../../../src/config/nodeConfig.js';
import { testNode, type TestNode } from './cli.js';

let node: TestNode;
beforeEach(() => {
  node = testNode();
});
afterEach(() => node.cleanup());

const mode = (f: string) => fs.statSync(f).mode & 0o777;

describe('nodemgr set/get/unset', () => {
  test('the tutorial: set hb#1.type unicast, get cluster.secret', async () => {
    const r = await node.nodemgr(['set', '--param', 'hb#1.type', '--value', 'unicast']);
    expect(r).toEqual({ code: 0, out: [], err: [] });
    const cluster = fs.readFileSync(node.paths.clusterConf, 'utf8');
    expect(cluster).toMatch(/^\[cluster\]\nname = cluster[0-9a-f]{6}\nsecret = [0-9a-f]{32}\n\n\[hb#1\]\ntype = unicast\n$/);
    expect(mode(node.paths.clusterConf)).toBe(0o600);
    expect(fs.existsSync(node.paths.nodeConf)).toBe(false);

    const g = await node.nodemgr(['get', '--param', 'cluster.secret']);
    expect(g.code).toBe(0);
    expect(g.out).toHaveLength(1);
    expect(g.out[0]).toMatch(/^[0-9a-f]{32}$/);
    expect(g.out[0]).toBe(loadClusterIdentity(node.paths).secret);

    const c = loadNodeConfig(node.paths, node.env);
    expect(c.hbs).toEqual([{ rid: 'hb#1', type: 'unicast', port: 10000, addr: undefined, intf: undefined, timeout: 15, interval: 5 }]);
    expect(c.listener).toEqual({ addr: '0.0.0.0', port: 1214, seal: true });
    expect(c.nats).toEqual({ url: undefined, port: 4222 });
    expect(c.cluster.secret).toBe(g.out[0]);

    const evs = node.events();
    expect(evs.map((e) => [e.type, e.data])).toEqual([['NodeConfigChanged', { file: node.paths.clusterConf, changed: ['hb#1.type'] }]]);
  });

  test('the secret never appears in events, print config, or error messages', async () => {
    const secret = loadClusterIdentity(node.paths).secret;
    await node.nodemgr(['set', '--kw', 'cluster.secret=0123456789abcdef0123456789abcdef']);
    const bad = await node.nodemgr(['set', '--kw', `cluster.secret=${secret}-oops`]);
    expect(bad.code).toBe(1);
    expect(bad.err).toEqual([`${node.paths.clusterConf}: [cluster] keyword "secret" has invalid value (hidden): expected 32 lowercase hexadecimal digits`]);
    const p = await node.nodemgr(['print', 'config']);
    const pj = await node.nodemgr(['print', 'config', '--format', 'json']);
    expect(JSON.parse(pj.out.join('\n')).cluster.secret).toBe('(hidden)');
    const spool = fs.readFileSync(node.paths.spool, 'utf8');
    for (const text of [spool, p.out.join('\n'), pj.out.join('\n'), bad.err.join('\n')]) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain('0123456789abcdef0123456789abcdef');
    }
    expect(p.out).toContain('secret = (hidden)');
    expect((await node.nodemgr(['get', '--param', 'cluster.secret'])).out).toEqual(['0123456789abcdef0123456789abcdef']);
    expect(mode(node.paths.clusterConf)).toBe(0o600);
  });

  test('node sections go to node.conf, kept with their comments', async () => {
    fs.mkdirSync(node.paths.etc, { recursive: true });
    fs.writeFileSync(node.paths.nodeConf, '# my node\n[node]\nenv = TST\n');
    expect((await node.nodemgr(['set', '--kw', 'listener.port=1215', '--kw', 'node.env=PRD'])).code).toBe(0);
    expect(fs.readFileSync(node.paths.nodeConf, 'utf8')).toBe('# my node\n[node]\nenv = PRD\n\n[listener]\nport = 1215\n');
    // node.conf may hold a [nats] url password: written for root only, like cluster.conf
    expect(mode(node.paths.nodeConf)).toBe(0o600);
    expect((await node.nodemgr(['get', '--kw', 'listener.port'])).out).toEqual(['1215']);
    expect((await node.nodemgr(['unset', '--param', 'listener.port'])).code).toBe(0);
    expect(loadNodeConfig(node.paths, node.env).listener.port).toBe(1214);
    expect(node.events().map((e) => e.data.changed)).toEqual([['node.env', 'listener.port'], ['listener.port']]);
  });

  test('refused: unknown keyword, bad value, no section; files unchanged', async () => {
    await node.nodemgr(['set', '--param', 'hb#1.type', '--value', 'unicast']);
    const before = fs.readFileSync(node.paths.clusterConf, 'utf8');
    let r = await node.nodemgr(['set', '--param', 'hb#1.type', '--value', 'broadcast']);
    expect(r.err).toEqual([`${node.paths.clusterConf}: [hb#1] keyword "type" has an invalid value: expected one of unicast, disk`]);
    r = await node.nodemgr(['set', '--kw', 'hb#1.prot=10001']);
    expect(r.err).toEqual([`${node.paths.clusterConf}: [hb#1] keyword "prot" is unknown (did you mean "port"?)`]);
    r = await node.nodemgr(['set', '--kw', 'hb#1.port=70000']);
    expect(r.err).toEqual([`${node.paths.clusterConf}: [hb#1] keyword "port" has an invalid value: expected an integer <= 65535 and >= 1`]);
    r = await node.nodemgr(['set', '--kw', 'hb#2.port=10001']);
    expect(r.err).toEqual([`${node.paths.clusterConf}: [hb#2] keyword "type" is required: the heartbeat transport: unicast (TCP to each peer) or disk (a shared block device); multicast is not supported`]);
    r = await node.nodemgr(['set', '--kw', 'lisener.port=1']);
    expect(r.code).toBe(1);
    expect(r.err[0]).toContain('(did you mean "listener"?)');
    r = await node.nodemgr(['set', '--param', 'secret', '--value', 'x']);
    expect(r.code).toBe(2);
    expect(fs.readFileSync(node.paths.clusterConf, 'utf8')).toBe(before);
    expect(fs.existsSync(node.paths.nodeConf)).toBe(false);
  });

  test('validate config', async () => {
    expect((await node.nodemgr(['validate', 'config'])).code).toBe(0);
    fs.writeFileSync(node.paths.nodeConf, '[nats]\nport = x\n');
    const r = await node.nodemgr(['validate', 'config']);
    expect(r).toEqual({ code: 1, out: [], err: [`${node.paths.nodeConf}: [nats] keyword "port" has an invalid value: expected an integer`] });
  });

  test('cluster identity keeps the user lines of cluster.conf', async () => {
    fs.mkdirSync(node.paths.etc, { recursive: true });
    fs.writeFileSync(node.paths.clusterConf, '# the lab\n[cluster]\nname = lab\n\n[hb#1]\ntype = unicast\n', { mode: 0o644 });
    const id = loadClusterIdentity(node.paths);
    expect(id.name).toBe('lab');
    expect(fs.readFileSync(node.paths.clusterConf, 'utf8')).toBe(`# the lab\n[cluster]\nname = lab\nsecret = ${id.secret}\n\n[hb#1]\ntype = unicast\n`);
    expect(mode(node.paths.clusterConf)).toBe(0o600);
    expect(loadClusterIdentity(node.paths)).toEqual(id);
  });
});
