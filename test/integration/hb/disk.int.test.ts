import { afterAll, describe, expect, test } from '@jest/globals';
import { createHash, createHmac } from 'node:crypto';
import fs from 'node:fs';
import { readFile, truncate } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { acquireAligned, releaseAligned } from '../../../adapters/heartbeat/alignedMemory.js';
import { DiskHeartbeat, diskHeartbeatKey, type DiskHeartbeatOptions, type PathState } from '../../../adapters/heartbeat/disk.js';
import { BLOCK_SIZE, DATA_OFFSET, META_OFFSET, SLOT_COUNT, metaOffset, preferredSlot, slotOwner, slotsByNode, type SlotOwner } from '../../../domain/heartbeat/diskFormat.js';
import type { PeerState } from '../../../domain/heartbeat/liveness.js';
import { useTestScope } from '../../support/jest.js';
import { attachLoop, createImageFile, mkfsExt4 } from '../../support/loop.js';
import type { TestScope } from '../../support/scope.js';
import { must } from '../../support/sh.js';
import { createTempDir } from '../../support/tmp.js';
import { waitFor } from '../../support/wait.js';

const INTERVAL = 200;
const TIMEOUT = 1000;
const SETTLE = 100;
const CLUSTER = 'c1';
const KEY = diskHeartbeatKey('0123456789abcdef0123456789abcdef');
const now = () => performance.now();

interface Change {
  readonly peer: string;
  readonly state: PeerState;
  readonly detail: string;
  readonly at: number;
}

interface Node {
  readonly name: string;
  readonly hb: DiskHeartbeat;
  readonly changes: Change[];
  readonly paths: { state: PathState; detail: string | undefined }[];
  /** the last state reported for `peer` through onChange */
  seen(peer: string): PeerState | undefined;
}

function node(s: TestScope, dev: string, name: string, nodes: readonly string[], o: Partial<DiskHeartbeatOptions> = {}): Node {
  const changes: Change[] = [];
  const paths: { state: PathState; detail: string | undefined }[] = [];
  const hb = new DiskHeartbeat({
    rid: 'hb#2',
    dev,
    node: name,
    nodes,
    cluster: CLUSTER,
    key: KEY,
    intervalMs: INTERVAL,
    timeoutMs: TIMEOUT,
    claimSettleMs: SETTLE,
    now,
    onChange: (peer, state, detail) => changes.push({ peer, state, detail, at: now() }),
    onPathChange: (state, detail) => paths.push({ state, detail }),
    ...o,
  });
  // registered after the loop device: stopped before it is detached, also when the test failed
  s.defer(`stop disk heartbeat of ${name}`, () => hb.stop());
  return { name, hb, changes, paths, seen: (peer) => changes.filter((c) => c.peer === peer).at(-1)?.state };
}

/** A 1 MiB image on a loop device, both removed by the scope. */
async function sharedDisk(s: TestScope): Promise<{ file: string; dev: string }> {
  const dir = await createTempDir(s);
  const file = await createImageFile(dir, 1, 'hb.img');
  return { file, dev: await attachLoop(s, file) };
}

/** Read `count` blocks at `offset` of `dev` with O_DIRECT, as another node would. */
function readDirect(dev: string, offset: number, count: number): Buffer {
  const mem = acquireAligned();
  const fd = fs.openSync(dev, fs.constants.O_RDONLY | fs.constants.O_DIRECT);
  try {
    const out = Buffer.alloc(count * BLOCK_SIZE);
    for (let done = 0; done < count; done += 16) {
      const buf = mem.subarray(0, Math.min(16, count - done) * BLOCK_SIZE);
      expect(fs.readSync(fd, buf, 0, buf.length, offset + done * BLOCK_SIZE)).toBe(buf.length);
      out.set(buf, done * BLOCK_SIZE);
    }
    return out;
  } finally {
    fs.closeSync(fd);
    releaseAligned(mem);
  }
}

function ownersOn(dev: string, key: Uint8Array = KEY): SlotOwner[] {
  const mac = (d: Uint8Array) => createHmac('sha256', key).update(d).digest();
  const meta = readDirect(dev, META_OFFSET, SLOT_COUNT);
  return Array.from({ length: SLOT_COUNT }, (_, i) => slotOwner(meta.subarray(i * BLOCK_SIZE, (i + 1) * BLOCK_SIZE), { cluster: CLUSTER, mac }));
}

/** How many descriptors of this process are open on `dev`. */
function openFdsOf(dev: string): number {
  return fs.readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return fs.readlinkSync(`/proc/self/fd/${fd}`) === dev;
    } catch {
      return false;
    }
  }).length;
}

async function sha256(file: string): Promise<string> {
  return createHash('sha256').update(await readFile(file)).digest('hex');
}

const waitUp = (a: Node, peer: string, ms = 10 * INTERVAL + 2 * SETTLE) => waitFor(`${a.name} to see ${peer} up`, () => a.hb.peerState(peer) === 'up', ms, 20);

const timings: string[] = [];

describe('disk heartbeat on a loop device', () => {
  const scope = useTestScope();
  afterAll(() => {
    if (timings.length > 0) console.log(`disk heartbeat timings (interval ${INTERVAL} ms, timeout ${TIMEOUT} ms):\n  ${timings.join('\n  ')}`);
  });

  test('two nodes see each other up, a stopped node goes down after the timeout, a restarted one keeps its slot and counter', async () => {
    const s = scope();
    const { dev } = await sharedDisk(s);
    const nodes = ['node1', 'node2'];
    const n1 = node(s, dev, 'node1', nodes);
    const n2 = node(s, dev, 'node2', nodes);
    const t0 = now();
    await Promise.all([n1.hb.start(), n2.hb.start()]);
    expect(n1.hb.pathState()).toEqual({ state: 'running', detail: undefined });
    expect(n1.hb.peerState('node2')).toBe('unknown'); // one read: a baseline, no proof yet
    await Promise.all([waitUp(n1, 'node2'), waitUp(n2, 'node1')]);
    timings.push(`both up ${Math.round(now() - t0)} ms after start (start includes a ${SETTLE} ms claim settle)`);
    expect(n1.changes.map((c) => c.state)).toEqual(['unknown', 'up']);
    expect(n1.hb.lastSeen('node2')).toBeGreaterThan(t0);
    expect(n1.hb.peerState('node1')).toBe('unknown');

    // the claims on the disk name each node once, in distinct slots, what the instances say
    const bySlot = slotsByNode(ownersOn(dev));
    expect(bySlot).toEqual(new Map([['node1', n1.hb.claimedSlot()], ['node2', n2.hb.claimedSlot()]]));
    expect(n1.hb.claimedSlot()).not.toBe(n2.hb.claimedSlot());
    // a beat is a readable, signed record in the data area
    const slot2 = n2.hb.claimedSlot() ?? -1;
    expect(readDirect(dev, DATA_OFFSET + slot2 * BLOCK_SIZE, 1).subarray(0, 8).toString()).toBe('hasvc-hb');

    const stoppedAt = now();
    await n2.hb.stop();
    expect(n2.hb.pathState().state).toBe('stopped');
    await waitFor('node1 to see node2 down', () => n1.seen('node2') === 'down', TIMEOUT + 10 * INTERVAL, 20);
    const down = n1.changes.at(-1);
    const after = (down?.at ?? 0) - stoppedAt;
    timings.push(`node2 down ${Math.round(after)} ms after its stop`);
    // no sooner than the timeout after its last beat (at most one interval before the stop)
    expect(after).toBeGreaterThanOrEqual(TIMEOUT - INTERVAL);
    expect(down?.detail).toBe(`no new beat for ${TIMEOUT} ms: slot ${slot2} of ${dev}`);

    const n2b = node(s, dev, 'node2', nodes);
    await n2b.hb.start();
    expect(n2b.hb.claimedSlot()).toBe(slot2);
    await waitUp(n1, 'node2');
    await waitUp(n2b, 'node1');
    expect(n1.changes.map((c) => c.state)).toEqual(['unknown', 'up', 'down', 'up']);
  });

  test('a node with another secret sees nothing valid and is never seen; an impostor does not disturb the real node', async () => {
    const s = scope();
    const { dev } = await sharedDisk(s);
    const nodes = ['node1', 'node2', 'node3'];
    const n1 = node(s, dev, 'node1', nodes);
    const n2 = node(s, dev, 'node2', nodes);
    const wrong = diskHeartbeatKey('ffffffffffffffffffffffffffffffff');
    const n3 = node(s, dev, 'node3', nodes, { key: wrong });
    // a secret of its own: two nodes sharing one wrong secret would see each other, rightly
    const imp = node(s, dev, 'node2', nodes, { key: diskHeartbeatKey('eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee') });
    await Promise.all([n1.hb.start(), n2.hb.start()]);
    await Promise.all([n3.hb.start(), imp.hb.start()]);
    await Promise.all([waitUp(n1, 'node2'), waitUp(n2, 'node1')]);
    // the event that would show node3 or the impostor up: node1 judging node3 after a full timeout of reads
    await waitFor('node1 to see node3 down', () => n1.seen('node3') === 'down', TIMEOUT + 10 * INTERVAL, 20);
    await waitFor('node3 to see node1 and node2 down', () => n3.seen('node1') === 'down' && n3.seen('node2') === 'down', TIMEOUT + 10 * INTERVAL, 20);
    await waitFor('the impostor to see node1 down', () => imp.seen('node1') === 'down', TIMEOUT + 10 * INTERVAL, 20);
    for (const n of [n3, imp]) expect(n.changes.filter((c) => c.state === 'up')).toEqual([]);
    expect(n1.changes.filter((c) => c.peer === 'node3' && c.state === 'up')).toEqual([]);
    // node2 stayed up for node1 all along: the impostor beats in a slot of its own
    expect(n1.changes.filter((c) => c.peer === 'node2').map((c) => c.state)).toEqual(['unknown', 'up']);
    expect(n1.hb.peerState('node2')).toBe('up');
    expect(imp.hb.claimedSlot()).not.toBe(n2.hb.claimedSlot());
    const owners = ownersOn(dev);
    expect(slotsByNode(owners)).toEqual(new Map([['node1', n1.hb.claimedSlot()], ['node2', n2.hb.claimedSlot()]]));
    // the other secret's claims are foreign to this cluster, and the reverse
    expect(owners[n3.hb.claimedSlot() ?? -1]).toMatchObject({ state: 'foreign' });
    expect(slotsByNode(ownersOn(dev, wrong))).toEqual(new Map([['node3', n3.hb.claimedSlot()]]));
  });

  test('nodes starting together on the same preferred slot end with distinct slots, the lowest name on the contested one', async () => {
    const s = scope();
    const { dev } = await sharedDisk(s);
    // names whose preferred slots collide: every node writes the same block at once
    const names: string[] = [];
    const pref = preferredSlot(CLUSTER, 'node1');
    for (let i = 2; names.length < 3; i++) if (preferredSlot(CLUSTER, `n${i}`) === pref) names.push(`n${i}`);
    names.push('node1');
    const all = names.map((n) => node(s, dev, n, names));
    await Promise.all(all.map((n) => n.hb.start()));
    // a collision lost on a re-read after the settle, or found at the next beat: wait for the slots to settle
    await waitFor('distinct slots', () => new Set(all.map((n) => n.hb.claimedSlot())).size === all.length, 20 * INTERVAL, 20);
    const lowest = [...names].sort()[0];
    await waitFor(`${lowest} on slot ${pref}`, () => all.find((n) => n.name === lowest)?.hb.claimedSlot() === pref, 20 * INTERVAL, 20);
    await Promise.all(all.flatMap((a) => all.filter((b) => b !== a).map((b) => waitUp(a, b.name, 20 * INTERVAL))));
    expect(slotsByNode(ownersOn(dev))).toEqual(new Map(all.map((n) => [n.name, n.hb.claimedSlot()])));
    timings.push(`${all.length} nodes on one preferred slot: distinct slots, all up`);
  });

  test('a device that cannot be written or read: failed with one line, peers unknown (never down); back when it recovers', async () => {
    const s = scope();
    const { file, dev } = await sharedDisk(s);
    const nodes = ['node1', 'node2'];
    const n1 = node(s, dev, 'node1', nodes);
    const n2 = node(s, dev, 'node2', nodes);
    await Promise.all([n1.hb.start(), n2.hb.start()]);
    await waitUp(n1, 'node2');

    // read-only: writes fail (EPERM), for both nodes
    s.defer(`blockdev --setrw ${dev}`, async () => void (await must(['blockdev', '--setrw', dev])));
    await must(['blockdev', '--setro', dev]);
    await waitFor('node1 failed', () => n1.hb.pathState().state === 'failed', 5 * INTERVAL, 20);
    // the first failure is the write; retries then fail to open the device read-write
    expect(n1.paths.find((p) => p.state === 'failed')?.detail).toMatch(new RegExp(`^${dev}: write of beat \\d+: EPERM: operation not permitted, write$`));
    expect(n1.hb.peerState('node2')).toBe('unknown');
    expect(n1.changes.at(-1)).toMatchObject({ peer: 'node2', state: 'unknown' });
    expect(n1.changes.at(-1)?.detail).toMatch(/^path failed: /);
    await must(['blockdev', '--setrw', dev]);
    await waitFor('node1 running', () => n1.hb.pathState().state === 'running', 5 * INTERVAL, 20);
    await waitUp(n1, 'node2');

    // the device shrunk to nothing (a LUN unmapped): reads come back short
    const failuresBefore = n1.paths.length;
    await truncate(file, 0);
    await must(['losetup', '-c', dev]);
    await waitFor('node1 failed again', () => n1.hb.pathState().state === 'failed', 5 * INTERVAL, 20);
    // the loop driver answers past the end with EIO or a short read, depending on the moment
    expect(n1.paths.slice(failuresBefore).find((p) => p.state === 'failed')?.detail).toMatch(new RegExp(`^${dev}(: read of claim \\d+: (short read|EIO)| is too small)`));
    // held failed beyond the timeout: unknown it stays, never down
    await waitFor('a timeout of failure', () => n1.paths.length > failuresBefore && now() - (n1.changes.at(-1)?.at ?? now()) > TIMEOUT + INTERVAL, TIMEOUT + 10 * INTERVAL, 20);
    expect(n1.hb.pathState().detail).toBe(`${dev} is too small: the disk heartbeat needs 1044480 bytes (1 MiB will do)`);
    expect(n1.changes.filter((c) => c.state === 'down')).toEqual([]);
    expect(n1.hb.peerState('node2')).toBe('unknown');

    // a fresh blank device of the right size: formatted again, slots claimed again, peers up
    await truncate(file, 1024 * 1024);
    await must(['losetup', '-c', dev]);
    await Promise.all([waitUp(n1, 'node2', 30 * INTERVAL), waitUp(n2, 'node1', 30 * INTERVAL)]);
    expect(n1.changes.filter((c) => c.state === 'down')).toEqual([]);
    // one line per change of detail: several failed in a row as the cause moves (write, open, size)
    expect(n1.paths.map((p) => p.state).filter((st, i, a) => st !== a[i - 1])).toEqual(['starting', 'running', 'failed', 'running', 'failed', 'running']);
  });

  test('refuses a missing device, a file, and a device holding other data (left untouched)', async () => {
    const s = scope();
    const dir = await createTempDir(s);
    const missing = node(s, path.join(dir, 'nope'), 'node1', ['node1', 'node2']);
    await missing.hb.start();
    expect(missing.hb.pathState()).toEqual({ state: 'failed', detail: `${path.join(dir, 'nope')}: open: ENOENT: no such file or directory, open '${path.join(dir, 'nope')}'` });
    expect(missing.hb.peerState('node2')).toBe('unknown');

    const plain = await createImageFile(dir, 1, 'plain.img');
    const onFile = node(s, plain, 'node1', ['node1', 'node2']);
    await onFile.hb.start();
    expect(onFile.hb.pathState()).toEqual({ state: 'failed', detail: `${plain} is not a block device` });

    const ext4 = await createImageFile(dir, 4, 'ext4.img');
    await mkfsExt4(ext4);
    const before = await sha256(ext4);
    const dev = await attachLoop(s, ext4);
    const onExt4 = node(s, dev, 'node1', ['node1', 'node2']);
    await onExt4.hb.start();
    expect(onExt4.hb.pathState().state).toBe('failed');
    expect(onExt4.hb.pathState().detail).toMatch(new RegExp(`^${dev} (holds data that is not a hasvc disk heartbeat|has no heartbeat header but its meta area is not blank)`));
    await onExt4.hb.stop();
    expect(await sha256(ext4)).toBe(before);

    const small = await attachLoop(s, await createImageFile(dir, 0.5, 'small.img'));
    const onSmall = node(s, small, 'node1', ['node1', 'node2']);
    await onSmall.hb.start();
    expect(onSmall.hb.pathState()).toEqual({ state: 'failed', detail: `${small} is too small: the disk heartbeat needs 1044480 bytes (1 MiB will do)` });
  });

  test('stop during the claim settle: stopped at once, the device closed', async () => {
    const s = scope();
    const { dev } = await sharedDisk(s);
    const n1 = node(s, dev, 'node1', ['node1', 'node2'], { claimSettleMs: 60_000 });
    const starting = n1.hb.start();
    await waitFor('node1 to open the device', () => openFdsOf(dev) > 0, 5000, 10);
    const t = now();
    await n1.hb.stop();
    await starting;
    expect(now() - t).toBeLessThan(2000);
    expect(n1.hb.pathState()).toEqual({ state: 'stopped', detail: undefined });
    await waitFor('the device closed', () => openFdsOf(dev) === 0, 2000, 10);
  });

  test('measure: a beat (pwrite + fdatasync), a slot read, a meta area scan, O_DIRECT on the loop device', async () => {
    const s = scope();
    const { dev } = await sharedDisk(s);
    const mem = acquireAligned();
    const fd = fs.openSync(dev, fs.constants.O_RDWR | fs.constants.O_DIRECT);
    try {
      const block = mem.subarray(0, BLOCK_SIZE);
      const scan = mem.subarray(BLOCK_SIZE, BLOCK_SIZE + 15 * BLOCK_SIZE);
      const n = 200;
      const write: number[] = [];
      const read: number[] = [];
      const meta: number[] = [];
      for (let i = 0; i < n; i++) {
        block.fill(i & 0xff, 0, 196);
        let t = now();
        fs.writeSync(fd, block, 0, BLOCK_SIZE, DATA_OFFSET);
        fs.fdatasyncSync(fd);
        write.push(now() - t);
        t = now();
        fs.readSync(fd, block, 0, BLOCK_SIZE, metaOffset(i % SLOT_COUNT));
        fs.readSync(fd, block, 0, BLOCK_SIZE, DATA_OFFSET + (i % SLOT_COUNT) * BLOCK_SIZE);
        read.push(now() - t);
        t = now();
        for (let first = 0; first < SLOT_COUNT; first += 15) fs.readSync(fd, scan, 0, Math.min(15, SLOT_COUNT - first) * BLOCK_SIZE, META_OFFSET + first * BLOCK_SIZE);
        meta.push(now() - t);
      }
      const fmt = (xs: number[]) => {
        const q = [...xs].sort((a, b) => a - b);
        const at = (p: number) => (q[Math.min(q.length - 1, Math.floor(p * q.length))] ?? 0).toFixed(3);
        return `median ${at(0.5)} ms, p99 ${at(0.99)} ms`;
      };
      timings.push(`beat write 4 KiB + fdatasync: ${fmt(write)} (${n} runs)`);
      timings.push(`one peer read (claim block + beat block): ${fmt(read)}`);
      timings.push(`meta area scan (127 blocks, 9 reads): ${fmt(meta)}`);
      expect(write.length).toBe(n);
    } finally {
      fs.closeSync(fd);
      releaseAligned(mem);
    }
  });
});
