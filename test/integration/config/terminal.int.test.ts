import { afterEach, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { run } from '../../support/sh.js';
import { ensureBuilt, REPO } from '../daemon/support.js';
import { testNode, type TestNode } from './cli.js';

/** Anything a terminal would act on: C0 but tab, DEL, C1. */
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/;

let node: TestNode;
beforeEach(() => {
  node = testNode();
});
afterEach(() => node.cleanup());

describe('what reaches the terminal: one line per message, control characters shown, not played', () => {
  test('a service name with a newline or an ESC is echoed escaped, on one line', async () => {
    const nl = await node.svcmgr(['-s', 'svc\n1', 'print', 'config']);
    expect(nl).toEqual({ code: 2, out: [], err: ['service name "svc\\n1" is invalid: expected lowercase letters, digits, "_" and "-", starting with a letter or digit, at most 63 characters'] });
    const esc = await node.svcmgr(['-s', 'svc\x1b[31m', 'print', 'status']);
    expect(esc.err).toEqual(['service name "svc\\u001b[31m" is invalid: expected lowercase letters, digits, "_" and "-", starting with a letter or digit, at most 63 characters']);
    // the per-service command named by a symlink
    const link = await node.svcmgr(['print', 'config'], { invokedAs: path.join(node.paths.etc, 'a\nb') });
    expect(link.err).toEqual(['service name "a\\nb" is invalid: expected lowercase letters, digits, "_" and "-", starting with a letter or digit, at most 63 characters']);
  });

  test('an action, an argument or a keyword from the command line is echoed escaped', async () => {
    expect((await node.svcmgr(['-s', 'svc1', 'print\x1b]0;x\x07'])).err).toEqual(['svcmgr: unknown action "print\\u001b]0;x\\u0007" (see svcmgr --help)']);
    expect((await node.svcmgr(['-s', 'svc1', 'create'])).code).toBe(0);
    expect((await node.svcmgr(['-s', 'svc1', 'print', 'config', 'x\ny'])).err).toEqual(['print config: unexpected argument "x\\ny"']);
    const kw = await node.svcmgr(['-s', 'svc1', 'set', '--kw', 'a\nb=1']);
    expect(kw.code).toBe(1);
    expect(kw.err).toEqual([`${node.paths.etc}/svc1.conf: [DEFAULT] keyword "a\\nb" is unknown`]);
    const sec = await node.svcmgr(['-s', 'svc1', 'set', '--kw', 'x\x1b[2J#1.k=1']);
    expect(sec.err).toHaveLength(1);
    expect(sec.err[0]).toMatch(/^\S+svc1\.conf: \[x\\x1b\[2J#1\] /);
  });

  test('print config shows an ESC sequence, a bell or a C1 control in a value as escapes; tabs stay; --format json stays exact', async () => {
    expect((await node.svcmgr(['-s', 'svc1', 'create'])).code).toBe(0);
    const conf = path.join(node.paths.etc, 'svc1.conf');
    fs.appendFileSync(conf, 'comment = red\x1b[31m alert\x07\tand\x9b2J\x7f done\n');
    const r = await node.svcmgr(['-s', 'svc1', 'print', 'config']);
    expect(r.code).toBe(0);
    expect(r.out.slice(2)).toEqual(['comment = red\\x1b[31m alert\\x07\tand\\x9b2J\\x7f done']);
    for (const line of r.out) expect(line).not.toMatch(CONTROL);
    const json = await node.svcmgr(['-s', 'svc1', 'print', 'config', '--format', 'json']);
    expect((JSON.parse(json.out.join('\n')) as { DEFAULT: Record<string, string> }).DEFAULT.comment).toBe('red\x1b[31m alert\x07\tand\x9b2J\x7f done');
  });

  test('nodemgr print config escapes them too', async () => {
    expect((await node.nodemgr(['get', '--param', 'cluster.name'])).code).toBe(0);
    fs.writeFileSync(node.paths.nodeConf, '[node]\nenv = \x1b]0;pwned\x07DEV\n');
    const r = await node.nodemgr(['print', 'config']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('env = \\x1b]0;pwned\\x07DEV');
    for (const line of r.out) expect(line).not.toMatch(CONTROL);
  });
});

/**
 * The real launchers (bin/ runs dist/, rebuilt when stale), run as nobody
 * against a node that root set up: cluster.conf is 0600, <OSVCETC> and
 * <OSVCVAR> root's.
 */
describe('a non-root user running the commands', () => {
  beforeAll(() => ensureBuilt(), 240_000);

  const asNobody = (cmd: string, args: readonly string[]) =>
    run(['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', cmd, ...args], { env: { OSVC_ROOT: node.root, OSVC_NODENAME: 'node1' }, cwd: '/' });

  beforeEach(async () => {
    fs.chmodSync(node.root, 0o755);
    expect((await node.svcmgr(['-s', 'svc1', 'create'])).code).toBe(0);
    expect(fs.statSync(node.paths.clusterConf).mode & 0o777).toBe(0o600);
  });

  test('gets one line saying it must run as root and which file, no stack trace, exit 1', async () => {
    const etc = node.paths.etc;
    const bin = (p: string) => path.join(REPO, 'bin', p);
    const cases: Array<[string, string[], string]> = [
      [bin('svcmgr'), ['-s', 'svc1', 'print', 'status'], `svcmgr: must run as root (${etc}/cluster.conf is readable by root only)`],
      [path.join(etc, 'svc1'), ['start'], `svcmgr: must run as root (${etc}/cluster.conf is readable by root only)`],
      [bin('svcmgr'), ['-s', 'svc1', 'set', '--kw', 'comment=x'], `svcmgr: must run as root (${etc} is writable by root only)`],
      [bin('svcmgr'), ['-s', 'svc2', 'create'], `svcmgr: must run as root (${etc} is writable by root only)`],
      [bin('nodemgr'), ['print', 'config'], `nodemgr: must run as root (${etc}/cluster.conf is readable by root only)`],
    ];
    for (const [cmd, args, line] of cases) {
      const r = await asNobody(cmd, args);
      expect({ args, code: r.exitCode, stdout: r.stdout, stderr: r.stderr.trimEnd().split('\n') }).toEqual({ args, code: 1, stdout: '', stderr: [line] });
    }
    expect(fs.readdirSync(etc).sort()).toEqual(['cluster.conf', 'svc1', 'svc1.conf', 'svc1.d', 'svc1.dir']);
    expect(fs.readFileSync(path.join(etc, 'svc1.conf'), 'utf8')).not.toContain('comment');
  }, 60_000);

  test('svcmon and daemon status, with the daemon socket root\'s only, say so', async () => {
    const sock = node.paths.daemonSocket;
    fs.mkdirSync(path.dirname(sock), { recursive: true, mode: 0o700 });
    const server = net.createServer((c) => c.end());
    await new Promise<void>((resolve) => server.listen(sock, resolve));
    try {
      for (const [prog, args] of [
        ['svcmon', []],
        ['nodemgr', ['daemon', 'status']],
      ] as const) {
        const r = await asNobody(path.join(REPO, 'bin', prog), args);
        expect({ code: r.exitCode, stderr: r.stderr.trimEnd() }).toEqual({ code: 1, stderr: `${prog}: must run as root (the daemon socket ${sock} is root's only)` });
      }
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  }, 60_000);
});
