import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, test } from '@jest/globals';
import { useTestScope } from '../../support/jest.js';
import { run } from '../../support/sh.js';
import { daemonNode, ensureBuilt, REPO, type DaemonNode } from './support.js';

/**
 * `cmd | <reader>` in a real shell pipe: what the reader got, and the
 * command's own exit status and stderr. `true` as the reader has closed the
 * pipe before the command writes, so every write meets EPIPE.
 */
async function piped(n: DaemonNode, reader: 'head -1' | 'true', bin: string, args: readonly string[]): Promise<{ out: string; rc: number; err: string }> {
  const err = path.join(n.root, 'pipe.err');
  const rc = path.join(n.root, 'pipe.rc');
  const script = `"$@" 2>"$PIPE_ERR" | ${reader}; echo "\${PIPESTATUS[0]}" >"$PIPE_RC"`;
  const r = await run(['bash', '-c', script, 'piped', process.execPath, path.join(REPO, 'bin', bin), ...args], { env: { ...n.env, PIPE_ERR: err, PIPE_RC: rc }, cwd: n.root, timeoutMs: 90_000 });
  return { out: r.stdout, rc: Number(fs.readFileSync(rc, 'utf8').trim()), err: fs.readFileSync(err, 'utf8') };
}

describe('a reader that goes away: svcmon | head -1 and the like end quietly', () => {
  const scope = useTestScope();
  beforeAll(() => ensureBuilt(), 240_000);

  test('svcmon, print status, print history: the first line to head, nothing on stderr, exit 0; the same with the pipe closed before they write', async () => {
    const n = await daemonNode(scope());
    n.writeAppService('svc1', 'exit 0');
    await n.start();
    const commands: [string, string[], RegExp][] = [
      ['svcmon', ['--color', 'no'], /^Threads +node1$/],
      ['svcmgr', ['-s', 'svc1', 'print', 'status', '--color', 'no'], /^svc1 +\S+$/],
      ['nodemgr', ['print', 'history', '--color', 'no'], /^\S[^\n]*$/],
    ];
    for (const [bin, args, first] of commands) {
      const head = await piped(n, 'head -1', bin, args);
      expect({ cmd: `${bin} ${args.join(' ')} | head -1`, rc: head.rc, err: head.err }).toEqual({ cmd: `${bin} ${args.join(' ')} | head -1`, rc: 0, err: '' });
      expect(head.out).toMatch(first);
      const closed = await piped(n, 'true', bin, args);
      expect({ cmd: `${bin} ${args.join(' ')} | true`, rc: closed.rc, err: closed.err }).toEqual({ cmd: `${bin} ${args.join(' ')} | true`, rc: 0, err: '' });
    }
    await n.stop();
  }, 240_000);
});
