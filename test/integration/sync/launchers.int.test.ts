import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, test } from '@jest/globals';
import { useTestScope } from '../../support/jest.js';
import { ensureBuilt, eventsOf, type DaemonNode } from '../daemon/support.js';
import { twoNodes, writeService } from './support.js';

async function ok(n: DaemonNode, args: readonly string[]): Promise<string> {
  const r = await n.svcmgr(args);
  if (r.exitCode !== 0) throw new Error(`svcmgr ${args.join(' ')} exited ${r.exitCode}: ${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** `sync nodes` as a user runs it, node2's daemon receiving as root: what a push may not do there. */
describe('svcmgr -s svc1 sync nodes: the peer writes launchers as root, within limits', () => {
  const scope = useTestScope();
  beforeAll(() => ensureBuilt(), 240_000);

  test('a setuid launcher lands 0755 on node2, and sync nodes says the mode was masked there', async () => {
    const [n1, n2] = await twoNodes(scope());
    await writeService(scope(), n1);
    fs.chmodSync(path.join(n1.paths.etc, 'svc1.dir', 'launcher'), 0o4755);
    await ok(n1, ['-s', 'svc1', 'start', '--local']);

    const out = await ok(n1, ['-s', 'svc1', 'sync', 'nodes']);
    expect(out).toMatch(/^node1\.svc1\.sync#i0 +svc1\.conf sent to node2: created \(checksum [0-9a-f]{12}\)$/m);
    expect(out).toMatch(/^node1\.svc1\.sync#i0 +W node2: launcher "svc1\.dir\/launcher": mode 4755 masked to 0755 \(setuid dropped\)$/m);
    const landed = fs.statSync(path.join(n2.paths.etc, 'svc1.dir', 'launcher'));
    expect([landed.mode & 0o7777, landed.uid]).toEqual([0o755, 0]);
    // node2's log says it too (pino writes synchronously: the line is there once the answer came)
    const said = fs
      .readFileSync(n2.paths.agentLog, 'utf8')
      .split('\n')
      .filter((l) => l.includes('not exactly as sent'))
      .map((l) => (JSON.parse(l) as { level: number; notes: string[] }));
    expect(said.map((l) => [l.level, l.notes])).toEqual([[40, ['launcher "svc1.dir/launcher": mode 4755 masked to 0755 (setuid dropped)']]]);
    await ok(n1, ['-s', 'svc1', 'stop', '--local']);
  }, 120_000);

  test('svc1.d -> /usr/bin on node1 is refused by node2 (403), said to the user, nothing written there', async () => {
    const [n1, n2] = await twoNodes(scope());
    await writeService(scope(), n1);
    await ok(n1, ['-s', 'svc1', 'start', '--local']);
    // up (apps excluded) first: the launcher is looked up through svc1.d at start
    const link = path.join(n1.paths.etc, 'svc1.d');
    fs.rmSync(link);
    fs.symlinkSync('/usr/bin', link);
    const before = fs.readdirSync(n2.paths.etc).sort();

    const r = await n1.svcmgr(['-s', 'svc1', 'sync', 'nodes']);
    expect(r.exitCode).toBe(1);
    const mnt2 = path.join(path.dirname(path.dirname(/^mnt = (.*)$/m.exec(fs.readFileSync(path.join(n1.paths.etc, 'svc1.conf'), 'utf8'))![1]!)), 'node2', 'data');
    expect(r.stderr.trim()).toBe(
      `sync nodes: node2 refused the config (403): svc1.d -> /usr/bin refused by node2, nothing written: it resolves to /usr/bin, outside the service's launcher directory and filesystems (allowed: ${n2.paths.etc}/svc1.dir, ${mnt2}/...)`,
    );
    expect(fs.readdirSync(n2.paths.etc).sort()).toEqual(before);
    const refused = eventsOf(await n1.events(), 'ServiceConfigSyncRefused', 'svc1');
    expect(refused.map((e) => (e.data as { to: string }).to)).toEqual(['node2']);
    fs.rmSync(link);
    fs.symlinkSync('svc1.dir', link);
    await ok(n1, ['-s', 'svc1', 'stop', '--local']);
  }, 120_000);
});
