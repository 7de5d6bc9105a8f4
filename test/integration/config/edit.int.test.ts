import { afterEach, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { loadServiceConfig } from '../../../src/config/serviceStore.js';
import { TUTORIAL_APP_WEB, TUTORIAL_SVC1 } from '../../unit/config/tutorial.js';
import { testNode, type TestNode } from './cli.js';

let node: TestNode;
let conf: string;
let editor: string;

beforeAll(() => {
  // never prompt "edit again?" from a test, even when jest runs on a terminal
  Object.defineProperty(process.stdin, 'isTTY', { value: false, configurable: true });
});

beforeEach(async () => {
  node = testNode();
  expect((await node.svcmgr(['-s', 'svc1', 'create'])).code).toBe(0);
  conf = path.join(node.paths.etc, 'svc1.conf');
  // an "editor" that applies a scripted change: replace ($NEW) or append ($ADD) or fail
  editor = path.join(node.root, 'editor.sh');
  fs.writeFileSync(editor, '#!/bin/sh\nset -e\n[ -n "$FAIL" ] && exit 3\n[ -n "$NEW" ] && cat "$NEW" > "$1"\n[ -n "$ADD" ] && cat "$ADD" >> "$1"\nexit 0\n', { mode: 0o755 });
});
afterEach(() => node.cleanup());

const read = () => fs.readFileSync(conf, 'utf8');
const idOf = (text: string) => /^id = (\S+)$/m.exec(text)![1]!;

function file(name: string, text: string): string {
  const f = path.join(node.root, name);
  fs.writeFileSync(f, text);
  return f;
}

async function edit(env: NodeJS.ProcessEnv) {
  return node.svcmgr(['-s', 'svc1', 'edit', 'config'], { env: { EDITOR: editor, ...env } });
}

describe('svcmgr -s svc1 edit config', () => {
  test('the tutorial: write the service, then add [app#web]; the id is kept', async () => {
    const id = idOf(read());
    const tutorialWithoutId = TUTORIAL_SVC1.replace(/^id = .*\n/m, '');
    let r = await edit({ NEW: file('step1.conf', tutorialWithoutId) });
    expect(r).toEqual({ code: 0, out: [], err: [] });
    expect(read()).toBe(TUTORIAL_SVC1.replace(/^id = .*$/m, `id = ${id}`));
    r = await edit({ ADD: file('web.conf', TUTORIAL_APP_WEB) });
    expect(r.code).toBe(0);
    const c = await loadServiceConfig(node.paths, 'svc1', node.env);
    expect(c.id).toBe(id);
    expect(c.resources.map((x) => x.rid)).toEqual(['ip#0', 'disk#0', 'fs#app', 'fs#data', 'app#web', 'sync#i0']);
    const changed = node.events().filter((e) => e.type === 'ServiceConfigChanged');
    expect(changed).toHaveLength(2);
    expect(changed[1]!.data.changed).toEqual(['app#web.script', 'app#web.start', 'app#web.check', 'app#web.stop']);
  });

  test('invalid content: problems printed, the live file kept, exit 1', async () => {
    const before = read();
    const r = await edit({ ADD: file('bad.conf', '\n[ip#0]\nipname = 10.0.0.1\nipdevv = eth0\n') });
    expect(r.code).toBe(1);
    expect(r.err).toEqual([
      `${conf}: [ip#0] keyword "ipdevv" is unknown (did you mean "ipdev"?)`,
      `${conf}: [ip#0] keyword "ipdev" is required: the interface to plumb the address on`,
      `${conf} left as it was`,
    ]);
    expect(read()).toBe(before);
    expect(node.events().map((e) => e.type)).toEqual(['ServiceCreated', 'InstanceFrozen']);
  });

  test('unreadable INI (duplicate section) is refused the same way', async () => {
    const before = read();
    const r = await edit({ ADD: file('dup.conf', '[DEFAULT]\napp = x\n') });
    expect(r.code).toBe(1);
    expect(r.err[0]).toBe(`${conf}:3: section [DEFAULT] is declared twice (lines 1 and 3): merge them into one`);
    expect(read()).toBe(before);
  });

  test('no change: exit 0, nothing recorded', async () => {
    expect(await edit({})).toEqual({ code: 0, out: [], err: [] });
    expect(node.events()).toHaveLength(2);
  });

  test('the editor failing leaves the file as it was', async () => {
    const before = read();
    const r = await edit({ FAIL: '1', ADD: file('x.conf', '[fs#x]\n') });
    expect(r.code).toBe(1);
    expect(r.err[0]).toMatch(/exited with code 3/);
    expect(read()).toBe(before);
  });

  test('a broken live file can be fixed through edit config', async () => {
    fs.writeFileSync(conf, `${read()}[ip#0]\nipname = x\n[ip#0]\n`);
    const fixed = TUTORIAL_SVC1.replace(/^id = .*$/m, `id = ${idOf(read())}`);
    const r = await edit({ NEW: file('fixed.conf', fixed) });
    expect(r.code).toBe(0);
    expect(read()).toBe(fixed);
  });

  test('the file mode is kept', async () => {
    fs.chmodSync(conf, 0o640);
    expect((await edit({ ADD: file('c.conf', 'comment = hello\n') })).code).toBe(0);
    expect(read()).toContain('comment = hello');
    expect(fs.statSync(conf).mode & 0o777).toBe(0o640);
  });

  test('a service that does not exist', async () => {
    const r = await node.svcmgr(['-s', 'svc9', 'edit', 'config'], { env: { EDITOR: editor } });
    expect(r.code).toBe(1);
    expect(r.err[0]).toMatch(/^service svc9 does not exist/);
  });
});
