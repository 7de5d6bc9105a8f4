import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { testNode, type TestNode } from './cli.js';

/**
 * The real launchers, as a user runs them: bin/svcmgr and the <OSVCETC>/svc1
 * symlink to it. They run the build (scripts/setup.sh builds dist/ before the
 * tests).
 */
let node: TestNode;
beforeAll(() => {
  node = testNode();
});
afterAll(() => node.cleanup());

const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { env: { ...process.env, ...node.env }, encoding: 'utf8' });

describe('the launchers', () => {
  test('dist is built', () => {
    expect(fs.existsSync('dist/src/cli/main.js')).toBe(true);
  });

  test('svcmgr -s svc1 create, then svc1 print config through the symlink', () => {
    run('bin/svcmgr', ['-s', 'svc1', 'create', '--kw', 'app=MyApp']);
    const link = path.join(node.paths.etc, 'svc1');
    expect(fs.readlinkSync(link)).toBe(path.resolve('bin/svcmgr'));
    const out = run(link, ['print', 'config']);
    expect(out).toMatch(/^\[DEFAULT\]\nid = [0-9a-f-]{36}\napp = MyApp\n$/);
    expect(run(link, ['get', '--kw', 'app'])).toBe('MyApp\n');
  });

  test('nodemgr set/get', () => {
    run('bin/nodemgr', ['set', '--param', 'hb#1.type', '--value', 'unicast']);
    expect(run('bin/nodemgr', ['get', '--param', 'hb#1.type'])).toBe('unicast\n');
    expect(run('bin/nodemgr', ['get', '--param', 'cluster.secret'])).toMatch(/^[0-9a-f]{32}\n$/);
  });
});
