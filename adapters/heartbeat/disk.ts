import crypto from 'node:crypto';
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  BLOCK_SIZE,
  DEVICE_MIN_BYTES,
  HEADER_OFFSET,
  META_OFFSET,
  SLOT_COUNT,
  claimVerdict,
  dataOffset,
  decodeHeader,
  decodeRecord,
  encodeHeader,
  encodeRecord,
  freeSlotFor,
  metaOffset,
  slotOwner,
  slotsByNode,
  type ClaimVerdict,
  type Mac,
  type SlotOwner,
} from '../../domain/heartbeat/diskFormat.js';
import { NEW_PEER, NOT_READING, nextJudgementAt, observe, peerState, readDone, readFailed, type PathTrack, type PeerState, type PeerTrack } from '../../domain/heartbeat/liveness.js';
import { REGION_BYTES, acquireAligned, releaseAligned } from './alignedMemory.js';

/**
 * The disk heartbeat: [hb#N] type = disk, dev = /dev/... — a block device
 * shared by the nodes (a small LUN on the SAN; in the lab, a loop device).
 * Each node claims a slot in the device's meta area, writes a beat there
 * every `interval` and reads the other nodes' slots (layout and claim rule:
 * domain/heartbeat/diskFormat.ts). A peer is up while its counter keeps
 * changing, as seen on this node's clock (domain/heartbeat/liveness.ts). It
 * carries no events: it is a second path proving a peer alive, so that a
 * broken network alone never makes a live peer look dead.
 *
 * How the heartbeat runtime wires it (src/daemon/hb), per [hb#N] of type disk:
 *
 *   const hb = new DiskHeartbeat({
 *     rid: 'hb#2', dev: conf.dev, node, nodes: conf.cluster.nodes, cluster,
 *     key: diskHeartbeatKey(secret),           // not the secret itself
 *     intervalMs: hb.interval * 1000, timeoutMs: hb.timeout * 1000,
 *     now: () => performance.now(),            // monotonic, ms
 *     onChange: (peer, state, detail) => ...,  // log, refresh the hb#2 cells
 *     onPathChange: (state, detail) => threads.set('hb#2', state, { detail }),
 *   });
 *   await hb.start();                          // never throws for a bad device: state failed
 *   hb.peerState('node2'); hb.lastSeen('node2'); hb.pathState();
 *   await hb.stop();                           // on config change (dev, nodes, key...) or daemon stop
 *
 * A peer is lost when every path says `down`; `unknown` is not `down`
 * (this path cannot read, or has not read for `timeout` yet). A change of
 * dev, nodes, cluster, key, interval or timeout is a new instance: stop the
 * old one, start a new one; the new one finds its slot again and resumes
 * its counter from the disk.
 *
 * I/O: the device is opened O_RDWR|O_DIRECT, every transfer is one or more
 * whole 4 KiB blocks from page-aligned memory (alignedMemory.ts), and a
 * write is followed by fdatasync. O_DIRECT because on a SAN each node has
 * its own page cache: a buffered read would serve this node's cached copy of
 * a peer's slot and never see it change (the peer would look dead). We do not
 * fall back to buffered I/O nor to `dd iflag=direct` (a process per read):
 * a device refusing O_DIRECT is a failed path. fdatasync so a beat is on the
 * device, not in a volatile cache, when we count it written.
 *
 * A failing device (open, read, write, fdatasync error, an I/O not done
 * within `ioTimeoutMs`) makes the path `failed` with a one-line detail and
 * every peer `unknown`: an unreadable disk is no proof that a peer is dead.
 * The path retries every interval (reopening the device) and is `running`
 * again when an I/O round succeeds. At most one I/O is in flight: a hung one
 * is waited for, never stacked.
 *
 * The device is formatted only when it is blank (header and meta area all
 * zero); a device holding anything else is refused, so a wrong `dev` never
 * loses data. Several clusters may share one device: a slot is claimed by
 * cluster and node name, and records of another cluster or secret are left
 * alone.
 */

export type PathState = 'starting' | 'running' | 'failed' | 'stopped';

/** One heartbeat path as the runtime sees it. */
export interface HeartbeatPath {
  readonly rid: string;
  /** unknown for this node itself and for nodes not in `nodes` */
  peerState(node: string): PeerState;
  /** this node's clock (`now()`) when the peer's beat was last seen changing */
  lastSeen(node: string): number | undefined;
  pathState(): { readonly state: PathState; readonly detail: string | undefined };
}

export interface DiskHeartbeatOptions {
  /** the config section: `hb#2` */
  readonly rid: string;
  /** the shared block device */
  readonly dev: string;
  /** this node */
  readonly node: string;
  /** the cluster's nodes ([cluster] nodes), with or without this node */
  readonly nodes: readonly string[];
  readonly cluster: string;
  /** diskHeartbeatKey(cluster secret) */
  readonly key: Uint8Array;
  readonly intervalMs: number;
  /** a peer is down after this long without a change of its counter */
  readonly timeoutMs: number;
  /** this node's monotonic clock, ms */
  readonly now: () => number;
  /** the time written in beats, informative only; Date.now by default */
  readonly wallClock?: () => number;
  /** how long a fresh claim settles before it is re-read (default 500 ms) */
  readonly claimSettleMs?: number;
  /** an I/O not done by then fails the path (default max(interval, 2 s)) */
  readonly ioTimeoutMs?: number;
  /** a peer's state changed; evaluated after every interval's reads */
  readonly onChange?: (peer: string, state: PeerState, detail: string) => void;
  readonly onPathChange?: (state: PathState, detail: string | undefined) => void;
}

/** The HMAC key of disk heartbeat records: derived, so a record's MAC never doubles as a request signature. */
export function diskHeartbeatKey(secret: string): Buffer {
  return crypto.createHmac('sha256', secret).update('hasvc disk heartbeat v1').digest();
}

/** A device failure, one line: `/dev/loop3: read of slot 4 beat: EIO: i/o error`. */
export class DiskHeartbeatError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DiskHeartbeatError';
  }
}

const MAX_CLAIM_ROUNDS = 8;
/** blocks of the aligned region: one to write from, the rest to read into */
const WRITE_AT = 0;
const READ_AT = BLOCK_SIZE;
const SCAN_BLOCKS = (REGION_BYTES - READ_AT) / BLOCK_SIZE;

export class DiskHeartbeat implements HeartbeatPath {
  readonly rid: string;
  private readonly o: DiskHeartbeatOptions;
  private readonly peers: readonly string[];
  private readonly mac: Mac;
  private readonly settleMs: number;
  private readonly ioTimeoutMs: number;
  private readonly staleReadMs: number;
  private readonly abort = new AbortController();

  private mem: Buffer | undefined;
  private fd: number | undefined;
  /** the I/O in flight, settled or not: the fd and memory are released only after it */
  private inflight: Promise<unknown> = Promise.resolve();
  private ioPending = false;

  private slot: number | undefined;
  private counter = 0;
  private peerSlots = new Map<string, number>();
  private tracks = new Map<string, PeerTrack>();
  private path: PathTrack = NOT_READING;
  private reported = new Map<string, PeerState>();
  private state: PathState = 'stopped';
  private detail: string | undefined;

  private started = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> = Promise.resolve();
  private lastTickAt = 0;

  constructor(o: DiskHeartbeatOptions) {
    if (!(o.intervalMs > 0) || !(o.timeoutMs > o.intervalMs)) {
      throw new RangeError(`${o.rid}: timeout (${o.timeoutMs} ms) must exceed interval (${o.intervalMs} ms), both positive`);
    }
    if (o.key.length === 0) throw new RangeError(`${o.rid}: empty heartbeat key`);
    this.o = o;
    this.rid = o.rid;
    this.peers = [...new Set(o.nodes)].filter((n) => n !== o.node);
    const key = Buffer.from(o.key);
    this.mac = (data) => crypto.createHmac('sha256', key).update(data).digest();
    this.settleMs = o.claimSettleMs ?? 500;
    this.ioTimeoutMs = o.ioTimeoutMs ?? Math.max(o.intervalMs, 2000);
    // reads happen every interval; a round of them may take a few I/O timeouts before it fails
    this.staleReadMs = 2 * o.intervalMs + this.ioTimeoutMs;
    for (const p of this.peers) this.tracks.set(p, NEW_PEER);
  }

  /** Open the device, claim a slot, beat once and read the peers once; then every interval. */
  async start(): Promise<void> {
    if (this.started) throw new Error(`${this.rid}: started twice`);
    this.started = true;
    this.mem = acquireAligned();
    this.setPath('starting', undefined);
    this.ticking = this.tick();
    await this.ticking;
    this.schedule();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.abort.abort();
    // a hung I/O is not waited for beyond its timeout: fd and memory go when it returns
    await within(this.ticking, this.ioTimeoutMs);
    this.closeDevice();
    this.path = NOT_READING;
    const mem = this.mem;
    this.mem = undefined;
    if (mem) void this.inflight.finally(() => releaseAligned(mem));
    this.setPath('stopped', undefined);
  }

  peerState(node: string): PeerState {
    const t = this.tracks.get(node);
    if (!t) return 'unknown';
    return peerState(t, this.path, this.o.now(), { timeoutMs: this.o.timeoutMs, staleReadMs: this.staleReadMs });
  }

  /** In how many ms peerState(node) may answer otherwise with no new read (undefined: only a read can change it). */
  nextJudgementIn(node: string): number | undefined {
    const t = this.tracks.get(node);
    if (!t) return undefined;
    const now = this.o.now();
    const at = nextJudgementAt(t, this.path, now, { timeoutMs: this.o.timeoutMs, staleReadMs: this.staleReadMs });
    return at === undefined ? undefined : at - now;
  }

  lastSeen(node: string): number | undefined {
    return this.tracks.get(node)?.changedAt;
  }

  pathState(): { readonly state: PathState; readonly detail: string | undefined } {
    return { state: this.state, detail: this.detail };
  }

  /** The slot this node beats in, once claimed. */
  claimedSlot(): number | undefined {
    return this.slot;
  }

  // ------------------------------------------------------------ the loop

  /** The next round `interval` after the start of the last one, so a slow round (a claim settling) does not slow the beat. */
  private schedule(): void {
    if (this.stopped) return;
    const delay = Math.max(0, this.lastTickAt + this.o.intervalMs - this.o.now());
    this.timer = setTimeout(() => {
      this.ticking = this.tick();
      void this.ticking.finally(() => this.schedule());
    }, delay);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    this.lastTickAt = this.o.now();
    // a hung I/O still owns the device: stay failed until it returns
    if (this.ioPending) return this.evaluate();
    try {
      if (this.fd === undefined) await this.open();
      await this.beat();
      await this.readPeers();
      this.setPath('running', undefined);
    } catch (e) {
      if (this.stopped) return;
      this.fail(e instanceof DiskHeartbeatError ? e.message : `${this.o.dev}: ${(e as Error).message}`);
    }
    this.evaluate();
  }

  private fail(detail: string): void {
    this.closeDevice();
    this.slot = undefined;
    this.peerSlots.clear();
    const r = readFailed(this.tracks);
    this.path = r.path;
    this.tracks = r.peers;
    this.setPath('failed', detail);
  }

  private setPath(state: PathState, detail: string | undefined): void {
    if (this.state === state && this.detail === detail) return;
    this.state = state;
    this.detail = detail;
    this.o.onPathChange?.(state, detail);
  }

  /** Report the peers whose state changed. */
  private evaluate(): void {
    for (const peer of this.peers) {
      const s = this.peerState(peer);
      if (this.reported.get(peer) === s) continue;
      this.reported.set(peer, s);
      this.o.onChange?.(peer, s, this.describe(peer, s));
    }
  }

  private describe(peer: string, s: PeerState): string {
    const slot = this.peerSlots.get(peer);
    const where = slot === undefined ? `no slot claimed by ${peer} on ${this.o.dev}` : `slot ${slot} of ${this.o.dev}`;
    switch (s) {
      case 'up':
        return `beat ${this.tracks.get(peer)?.counter ?? '?'} seen changing in ${where}`;
      case 'down':
        return `no new beat for ${this.o.timeoutMs} ms: ${where}`;
      case 'unknown':
        return this.state === 'failed' ? `path failed: ${this.detail ?? ''}` : `read for less than ${this.o.timeoutMs} ms`;
      default: {
        const never: never = s;
        throw new Error(`unknown peer state ${String(never)}`);
      }
    }
  }

  // ------------------------------------------------------------ device

  private async open(): Promise<void> {
    const dev = this.o.dev;
    const opening = promised<number>((cb) => fs.open(dev, fs.constants.O_RDWR | fs.constants.O_DIRECT, cb));
    // an open that returns after its timeout (or after stop) is closed at once
    let abandoned = false;
    void opening.then((fd) => abandoned && fs.close(fd, () => undefined), () => undefined);
    const fd = await this.io('open', () => opening).catch((e: unknown) => {
      abandoned = true;
      throw e;
    });
    if (this.stopped) {
      fs.close(fd, () => undefined);
      throw new DiskHeartbeatError(`${dev}: stopped`);
    }
    this.fd = fd;
    const st = await this.io('stat', () => promised<fs.Stats>((cb) => fs.fstat(fd, cb)));
    if (!st.isBlockDevice()) throw new DiskHeartbeatError(`${dev} is not a block device`);
    const last = await this.read(DEVICE_MIN_BYTES - BLOCK_SIZE, 1, 'read of the last block', true);
    if (last === undefined) throw new DiskHeartbeatError(`${dev} is too small: the disk heartbeat needs ${DEVICE_MIN_BYTES} bytes (1 MiB will do)`);
    const header = decodeHeader(await this.readBlock(HEADER_OFFSET, 'read of the header'));
    if (!header.ok) {
      if (header.reason !== 'empty') throw new DiskHeartbeatError(`${dev} holds data that is not a hasvc disk heartbeat (${header.detail}): refusing to write on it`);
      // blank header: format only if the meta area is blank too (a device in use has something there)
      const owners = await this.scanMeta();
      if (owners.some((o) => o.state !== 'free')) throw new DiskHeartbeatError(`${dev} has no heartbeat header but its meta area is not blank: refusing to write on it`);
      await this.write(HEADER_OFFSET, encodeHeader(), 'write of the header');
    }
    await this.claim();
    // resume the counter: a reader that saw our last beat must see the next one change
    const own = decodeRecord(await this.readBlock(dataOffset(this.slotOrThrow()), 'read of our last beat'), { cluster: this.o.cluster, mac: this.mac });
    if (own.ok && own.value.kind === 'beat' && own.value.node === this.o.node) this.counter = Math.max(this.counter, own.value.counter);
  }

  private closeDevice(): void {
    const fd = this.fd;
    this.fd = undefined;
    if (fd !== undefined) void this.inflight.finally(() => fs.close(fd, () => undefined));
  }

  // ------------------------------------------------------------ claim and beat

  /** Find this node's slot in the meta area, or claim a free one (rule: diskFormat.ts claimVerdict). */
  private async claim(): Promise<void> {
    let owners = await this.scanMeta();
    const mine = slotsByNode(owners).get(this.o.node);
    if (mine !== undefined) {
      this.slot = mine;
      await this.dropDuplicateClaims(owners, mine);
      return;
    }
    for (let round = 0; round < MAX_CLAIM_ROUNDS; round++) {
      const slot = freeSlotFor(owners, this.o.cluster, this.o.node);
      if (slot === undefined) throw new DiskHeartbeatError(`${this.o.dev}: no free slot: all ${SLOT_COUNT} slots of the meta area are claimed`);
      let verdict: ClaimVerdict = 'reassert';
      for (let i = 0; i < MAX_CLAIM_ROUNDS && verdict === 'reassert'; i++) {
        await this.writeClaim(slot);
        await sleep(this.settleMs, undefined, { signal: this.abort.signal });
        verdict = claimVerdict(await this.ownerOf(slot), this.o.node);
      }
      if (verdict === 'keep') {
        this.slot = slot;
        return;
      }
      owners = await this.scanMeta();
    }
    throw new DiskHeartbeatError(`${this.o.dev}: no slot claimed after ${MAX_CLAIM_ROUNDS} rounds: other writers keep taking them`);
  }

  /** Claims of this node beyond its slot (the lowest), left by an earlier collision: wiped, so readers agree. */
  private async dropDuplicateClaims(owners: readonly SlotOwner[], keep: number): Promise<void> {
    for (const [slot, o] of owners.entries()) {
      if (slot !== keep && o.state === 'claimed' && o.node === this.o.node) await this.write(metaOffset(slot), new Uint8Array(BLOCK_SIZE), `wipe of duplicate claim ${slot}`);
    }
  }

  private writeClaim(slot: number): Promise<void> {
    const rec = encodeRecord({ kind: 'claim', cluster: this.o.cluster, node: this.o.node, counter: 0, time: this.wallTime() }, this.mac);
    return this.write(metaOffset(slot), rec, `write of claim ${slot}`);
  }

  /** Check our claim still holds (a collision lost, a wipe), then write the next beat. */
  private async beat(): Promise<void> {
    let slot = this.slotOrThrow();
    const verdict = claimVerdict(await this.ownerOf(slot), this.o.node);
    if (verdict === 'reassert') await this.writeClaim(slot);
    else if (verdict === 'yield') {
      this.slot = undefined;
      await this.claim();
      slot = this.slotOrThrow();
    }
    this.counter += 1;
    const rec = encodeRecord({ kind: 'beat', cluster: this.o.cluster, node: this.o.node, counter: this.counter, time: this.wallTime() }, this.mac);
    await this.write(dataOffset(slot), rec, `write of beat ${slot}`);
  }

  private async readPeers(): Promise<void> {
    if (this.peers.some((p) => !this.peerSlots.has(p))) this.peerSlots = slotsByNode(await this.scanMeta());
    const counters = new Map<string, number | undefined>();
    const moved: string[] = [];
    for (const peer of this.peers) {
      const r = await this.readPeer(peer);
      if (r === 'moved') moved.push(peer);
      else counters.set(peer, r);
    }
    if (moved.length > 0) {
      this.peerSlots = slotsByNode(await this.scanMeta());
      for (const peer of moved) {
        const r = await this.readPeer(peer);
        counters.set(peer, r === 'moved' ? undefined : r);
      }
    }
    const at = this.o.now();
    for (const [peer, c] of counters) this.tracks.set(peer, observe(this.tracks.get(peer) ?? NEW_PEER, c, at));
    this.path = readDone(this.path, at);
  }

  /** The peer's beat counter, undefined when its slot holds no valid beat of it, 'moved' when its slot is no longer its. */
  private async readPeer(peer: string): Promise<number | undefined | 'moved'> {
    const slot = this.peerSlots.get(peer);
    if (slot === undefined) return undefined;
    const owner = await this.ownerOf(slot);
    if (owner.state !== 'claimed' || owner.node !== peer) {
      this.peerSlots.delete(peer);
      return 'moved';
    }
    const d = decodeRecord(await this.readBlock(dataOffset(slot), `read of beat ${slot}`), { cluster: this.o.cluster, mac: this.mac });
    return d.ok && d.value.kind === 'beat' && d.value.node === peer ? d.value.counter : undefined;
  }

  private async ownerOf(slot: number): Promise<SlotOwner> {
    return slotOwner(await this.readBlock(metaOffset(slot), `read of claim ${slot}`), { cluster: this.o.cluster, mac: this.mac });
  }

  /** Every meta block, read in windows of the aligned region. */
  private async scanMeta(): Promise<SlotOwner[]> {
    const owners: SlotOwner[] = [];
    for (let first = 0; first < SLOT_COUNT; first += SCAN_BLOCKS) {
      const count = Math.min(SCAN_BLOCKS, SLOT_COUNT - first);
      const blocks = await this.read(META_OFFSET + first * BLOCK_SIZE, count, 'read of the meta area');
      for (let i = 0; i < count; i++) owners.push(slotOwner(blocks.subarray(i * BLOCK_SIZE, (i + 1) * BLOCK_SIZE), { cluster: this.o.cluster, mac: this.mac }));
    }
    return owners;
  }

  private slotOrThrow(): number {
    if (this.slot === undefined) throw new DiskHeartbeatError(`${this.o.dev}: no slot claimed`);
    return this.slot;
  }

  private wallTime(): number {
    return (this.o.wallClock ?? Date.now)();
  }

  // ------------------------------------------------------------ I/O

  private readBlock(offset: number, what: string): Promise<Buffer> {
    return this.read(offset, 1, what);
  }

  /** `count` blocks at `offset`, into the aligned region (valid until the next read). */
  private read(offset: number, count: number, what: string): Promise<Buffer>;
  private read(offset: number, count: number, what: string, shortIsUndefined: true): Promise<Buffer | undefined>;
  private async read(offset: number, count: number, what: string, shortIsUndefined = false): Promise<Buffer | undefined> {
    const fd = this.fdOrThrow();
    const buf = this.memOrThrow().subarray(READ_AT, READ_AT + count * BLOCK_SIZE);
    const n = await this.io(what, () => promised<number>((cb) => fs.read(fd, buf, 0, buf.length, offset, cb)));
    if (n !== buf.length) {
      if (shortIsUndefined) return undefined;
      throw new DiskHeartbeatError(`${this.o.dev}: ${what}: short read (${n} of ${buf.length} bytes at ${offset})`);
    }
    return buf;
  }

  private async write(offset: number, block: Uint8Array, what: string): Promise<void> {
    const fd = this.fdOrThrow();
    const buf = this.memOrThrow().subarray(WRITE_AT, WRITE_AT + BLOCK_SIZE);
    buf.set(block);
    const n = await this.io(what, () => promised<number>((cb) => fs.write(fd, buf, 0, buf.length, offset, cb)));
    if (n !== buf.length) throw new DiskHeartbeatError(`${this.o.dev}: ${what}: short write (${n} of ${buf.length} bytes at ${offset})`);
    await this.io(`fdatasync after ${what}`, () => promised<void>((cb) => fs.fdatasync(fd, cb)));
  }

  /** One I/O at a time, failed (not abandoned) after ioTimeoutMs: the next waits for it to return. */
  private async io<T>(what: string, op: () => Promise<T>): Promise<T> {
    if (this.stopped) throw new DiskHeartbeatError(`${this.o.dev}: stopped`);
    this.ioPending = true;
    const p = op();
    this.inflight = p.then(
      () => (this.ioPending = false),
      () => (this.ioPending = false),
    );
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new DiskHeartbeatError(`${this.o.dev}: ${what} not done after ${this.ioTimeoutMs} ms`)), this.ioTimeoutMs);
    });
    try {
      return await Promise.race([p, deadline]);
    } catch (e) {
      if (e instanceof DiskHeartbeatError) throw e;
      throw new DiskHeartbeatError(`${this.o.dev}: ${what}: ${(e as Error).message}`, { cause: e });
    } finally {
      clearTimeout(timer);
    }
  }

  private fdOrThrow(): number {
    if (this.fd === undefined) throw new DiskHeartbeatError(`${this.o.dev}: not open`);
    return this.fd;
  }

  private memOrThrow(): Buffer {
    if (this.mem === undefined) throw new DiskHeartbeatError(`${this.o.dev}: stopped`);
    return this.mem;
  }
}

/** Wait for `p`, at most `ms`. */
async function within(p: Promise<unknown>, ms: number): Promise<void> {
  const ac = new AbortController();
  await Promise.race([p.catch(() => undefined), sleep(ms, undefined, { signal: ac.signal }).catch(() => undefined)]);
  ac.abort();
}

function promised<T>(run: (cb: (err: NodeJS.ErrnoException | null, v: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => run((err, v) => (err ? reject(err) : resolve(v))));
}
