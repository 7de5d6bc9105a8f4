import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { cmd, hostMounts, loopsBackedUnder, sleep } from './host.js';
import { LAB_DIR, RUN_DIR, installWebApp, labDown, labInfo, labUp, nodeProcesses, runIn, type LabInfo, type LabNode } from './lab.js';

const asRoot = process.getuid?.() === 0;
const WEB = 'http\\.server 8080 --bind 0\\.0\\.0\\.0 --directory /svc1/data';
const FETCH = [
  'python3',
  '-c',
  'import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=2).read().decode())',
  'http://svc1.opensvc.com:8080/',
];

async function ok(node: LabNode, argv: readonly string[]): Promise<string> {
  const r = await runIn(node, argv);
  if (r.exitCode !== 0) throw new Error(`${node}: ${argv.join(' ')} exited ${r.exitCode}: ${r.stderr}`);
  return r.stdout;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

async function mountServiceFs(node: LabNode, info: LabInfo): Promise<void> {
  await ok(node, ['mount', '-t', 'ext4', info.appDev, info.appMnt]);
  await ok(node, ['mount', '-t', 'ext4', info.dataDev, info.dataMnt]);
}

(asRoot ? describe : describe.skip)('lab: two nodes on one machine', () => {
  let info: LabInfo;
  const hostDirs = ['/etc/opensvc', '/var/lib/opensvc', '/var/log/opensvc', '/svc1'];
  let hostDirsBefore: string[];

  beforeAll(async () => {
    hostDirsBefore = hostDirs.filter((d) => existsSync(d));
    info = await labUp();
  }, 120_000);

  afterAll(async () => {
    await labDown();
  }, 120_000);

  test('labInfo describes what up built', () => {
    expect(labInfo()).toEqual(info);
    expect(info.nodes.node1.addr).toBe('10.199.0.11');
    expect(info.nodes.node2.addr).toBe('10.199.0.12');
    expect(info.svcAddr).toBe('10.199.0.42');
    for (const dev of [info.pvDev, info.appDev, info.dataDev]) expect(dev).toMatch(/^\/dev\/loop\d+$/);
  });

  test('each node has its own hostname', async () => {
    expect(await ok('node1', ['hostname'])).toBe('node1');
    expect(await ok('node2', ['hostname'])).toBe('node2');
    expect((await cmd(['hostname'])).stdout).not.toMatch(/^node[12]$/);
  });

  test('node1 pings node2 by name, and node2 node1', async () => {
    expect(await ok('node1', ['ping', '-c', '1', '-W', '2', 'node2'])).toContain('10.199.0.12');
    expect(await ok('node2', ['ping', '-c', '1', '-W', '2', 'node1'])).toContain('10.199.0.11');
  });

  test('each node has one eth0 with its address, and loopback up', async () => {
    const links = await ok('node1', ['ip', '-o', 'link', 'show']);
    expect(links.split('\n').map((l) => l.split(':')[1]?.trim().replace(/@.*/, ''))).toEqual(['lo', 'eth0']);
    expect(await ok('node1', ['ip', '-o', '-4', 'addr', 'show', 'dev', 'eth0'])).toContain('inet 10.199.0.11/24');
    expect(await ok('node2', ['ping', '-c', '1', '-W', '2', '127.0.0.1'])).toContain('1 received');
  });

  test('each node sees its own /etc/opensvc', async () => {
    await ok('node1', ['touch', '/etc/opensvc/only-on-node1']);
    expect((await runIn('node1', ['test', '-e', '/etc/opensvc/only-on-node1'])).exitCode).toBe(0);
    expect((await runIn('node2', ['test', '-e', '/etc/opensvc/only-on-node1'])).exitCode).toBe(1);
    expect(existsSync(path.join(info.nodes.node1.etc, 'only-on-node1'))).toBe(true);
    expect(existsSync('/etc/opensvc/only-on-node1')).toBe(false);
    for (const n of ['node1', 'node2'] as const) {
      expect(await ok(n, ['findmnt', '-n', '-o', 'TARGET', '/var/lib/opensvc'])).toBe('/var/lib/opensvc');
      expect(await ok(n, ['findmnt', '-n', '-o', 'TARGET', '/var/log/opensvc'])).toBe('/var/log/opensvc');
    }
  });

  test('the loop devices are visible from both nodes', async () => {
    for (const n of ['node1', 'node2'] as const) {
      expect(await ok(n, ['blkid', '-o', 'value', '-s', 'TYPE', info.appDev])).toBe('ext4');
      expect(await ok(n, ['blkid', '-o', 'value', '-s', 'TYPE', info.dataDev])).toBe('ext4');
      expect(await ok(n, ['blkid', '-o', 'value', '-s', 'TYPE', info.pvDev])).toBe('LVM2_member');
      // the disk heartbeat's device: blank (it is formatted only when blank), 2 MiB
      expect(await ok(n, ['blockdev', '--getsize64', info.hbDev])).toBe(String(2 * 1024 * 1024));
      expect((await runIn(n, ['blkid', info.hbDev])).exitCode).not.toBe(0);
    }
  });

  test('commands in a node never crash or reboot the machine: HASVC_NO_HOST_ACTIONS is set', async () => {
    expect(await ok('node1', ['printenv', 'HASVC_NO_HOST_ACTIONS'])).toBe('1');
  });

  test('a mount in node1 is seen neither in node2 nor on the host', async () => {
    await ok('node1', ['mount', '-t', 'ext4', info.appDev, info.appMnt]);
    try {
      expect((await runIn('node1', ['mountpoint', '-q', info.appMnt])).exitCode).toBe(0);
      expect((await runIn('node2', ['mountpoint', '-q', info.appMnt])).exitCode).not.toBe(0);
      expect(hostMounts().some((m) => m.source === info.appDev)).toBe(false);
    } finally {
      await ok('node1', ['umount', info.appMnt]);
    }
  });

  test('the VG is seen from both nodes, and a tag added from node1 from node2', async () => {
    for (const n of ['node1', 'node2'] as const) expect((await runIn(n, ['vgs', info.vg])).exitCode).toBe(0);
    await ok('node1', ['vgchange', '--addtag', '@node1', info.vg]);
    try {
      expect((await ok('node2', ['vgs', '--noheadings', '-o', 'vg_tags', info.vg])).trim()).toBe('node1');
    } finally {
      await ok('node1', ['vgchange', '--deltag', '@node1', info.vg]);
    }
  });

  test('the weblauncher started in node1 answers node2 on svc1.opensvc.com:8080, then stops', async () => {
    await mountServiceFs('node1', info);
    await ok('node1', ['ip', 'addr', 'add', `${info.svcAddr}/24`, 'dev', 'eth0']);
    await installWebApp('node1');
    const launcher = '/svc1/app/init.d/weblauncher';

    expect((await runIn('node1', [launcher, 'status'])).exitCode).toBe(1);
    expect(await ok('node1', [launcher, 'info'])).toBe('Name: webserver');
    await ok('node1', [launcher, 'start']);
    expect((await runIn('node1', [launcher, 'status'])).exitCode).toBe(0);
    // node2 shares the process table but not node1's network: its launcher sees nothing running.
    expect((await runIn('node2', [launcher, 'status'])).exitCode).not.toBe(0);

    const page = await until('the web page from node2', async () => {
      const r = await runIn('node2', FETCH);
      return r.exitCode === 0 ? r.stdout : undefined;
    });
    expect(page.trim()).toBe('<html><body>It Works !</body></html>');
    const pids = await nodeProcesses('node1');
    expect((await cmd(['pgrep', '-f', WEB])).stdout.split('\n').map(Number).every((p) => pids.includes(p))).toBe(true);

    await ok('node1', [launcher, 'stop']);
    expect((await runIn('node1', [launcher, 'status'])).exitCode).toBe(1);
    expect((await runIn('node2', FETCH)).exitCode).not.toBe(0);

    await ok('node1', ['umount', info.dataMnt]);
    await ok('node1', ['umount', info.appMnt]);
    await ok('node1', ['ip', 'addr', 'del', `${info.svcAddr}/24`, 'dev', 'eth0']);
  });

  test('up twice is fine', async () => {
    info = await labUp();
    expect(await ok('node1', ['hostname'])).toBe('node1');
    expect(await ok('node2', ['ping', '-c', '1', '-W', '2', 'node1'])).toContain('1 received');
    expect(await loopsBackedUnder(path.join(LAB_DIR, 'san'))).toHaveLength(4);
    expect((await cmd(['vgs', info.vg])).exitCode).toBe(0);
  }, 120_000);

  test('down leaves nothing, even with the web server running and disks mounted', async () => {
    await mountServiceFs('node1', info);
    await ok('node1', ['ip', 'addr', 'add', `${info.svcAddr}/24`, 'dev', 'eth0']);
    await installWebApp('node1');
    await ok('node1', ['/svc1/app/init.d/weblauncher', 'start']);
    await until('the web server', async () => ((await runIn('node2', FETCH)).exitCode === 0 ? true : undefined));
    await ok('node2', ['mount', info.dataDev, info.dataMnt]);
    await ok('node1', ['vgchange', '--addtag', '@node1', info.vg]);

    await labDown();

    expect(hostMounts().filter((m) => m.fstype === 'nsfs' && m.target.startsWith(RUN_DIR))).toEqual([]);
    expect(hostMounts().filter((m) => m.target.startsWith(RUN_DIR) || m.source.includes('hasvc-lab'))).toEqual([]);
    expect(await loopsBackedUnder(path.join(LAB_DIR, 'san'))).toEqual([]);
    expect((await cmd(['losetup', '-a'])).stdout).not.toContain('hasvc-lab');
    expect((await cmd(['ip', 'link', 'show', 'hasvc-br0'])).exitCode).not.toBe(0);
    expect((await cmd(['ip', 'link', 'show', 'hasvc-node1'])).exitCode).not.toBe(0);
    expect((await cmd(['vgs', info.vg])).exitCode).not.toBe(0);
    expect((await cmd(['pgrep', '-f', WEB])).exitCode).toBe(1);
    expect(existsSync(RUN_DIR)).toBe(false);
    expect(existsSync(LAB_DIR)).toBe(false);
    await expect(fs.stat('/svc1/app')).rejects.toThrow();
    expect(hostDirs.filter((d) => existsSync(d))).toEqual(hostDirsBefore);

    await labDown();
    expect(() => labInfo()).toThrow(/not up/);
  }, 120_000);
});
