/**
 * The on-disk layout of the disk heartbeat ([hb#N] type = disk): a block
 * device shared by the nodes, each writing its beat to a slot of its own and
 * reading the others', as OpenSVC's hb.disk and Pacemaker's SBD do.
 *
 * Layout (version 1), in 4 KiB blocks, so every record starts on a block an
 * O_DIRECT transfer can address on any disk (512 B or 4 KiB sectors):
 *
 *   block 0                      header: magic, version, block size, slot count
 *   blocks 1 .. 127              meta area: block 1+i says which node owns slot i
 *   blocks 128 .. 254            data area: block 128+i holds the beat of slot i
 *
 * 255 blocks, 1,044,480 bytes: a 1 MiB device is enough. As in OpenSVC, a
 * node claims a slot by writing its name in the meta area and keeps it, so a
 * node joining or leaving never moves the others. Unlike OpenSVC (one page of
 * node name per meta slot, 1 MiB of payload per data slot) a slot holds only
 * a small authenticated record: hasvc's events travel over the unicast
 * heartbeat; the disk only proves that a node is alive.
 *
 * A record (claim or beat) fills the first 196 bytes of its block, the rest
 * is zero. It fits in one 512-byte sector, the unit a disk writes atomically:
 *
 *   off  size  field
 *     0     8  magic "hasvc-hb"
 *     8     1  format version (1)
 *     9     1  kind: 1 claim, 2 beat (0 is the header)
 *    10     2  reserved, zero
 *    12     8  counter, u64 big-endian: a beat's sequence, it changes on every beat
 *    20     8  the writer's clock (ms since the epoch): informative only; liveness is
 *              judged by the reader seeing the counter change on its own clock
 *    28     1  cluster name length, 1..64
 *    29    64  cluster name, zero padded
 *    93     1  node name length, 1..64
 *    94    64  node name, zero padded
 *   158     2  reserved, zero
 *   160    32  HMAC-SHA256 of bytes 0..159, keyed with the cluster's disk heartbeat key
 *   192     4  CRC-32 (IEEE) of bytes 0..191: a torn or partial write reads as
 *              unreadable, never as a beat
 *
 * The HMAC is computed by the caller (`Mac`): this module is pure.
 */

export const FORMAT_VERSION = 1;
export const BLOCK_SIZE = 4096;
export const SLOT_COUNT = 127;
export const HEADER_OFFSET = 0;
export const META_OFFSET = BLOCK_SIZE;
export const DATA_OFFSET = META_OFFSET + SLOT_COUNT * BLOCK_SIZE;
/** The smallest device the layout fits on. */
export const DEVICE_MIN_BYTES = DATA_OFFSET + SLOT_COUNT * BLOCK_SIZE;

export const MAGIC = 'hasvc-hb';
export const MAC_BYTES = 32;
const NAME_MAX = 64;
const SIGNED_END = 160;
const CRC_AT = 192;
/** bytes of a record that carry data; the rest of its block is zero */
export const RECORD_BYTES = CRC_AT + 4;
const HEADER_CRC_AT = 20;

/** HMAC-SHA256 of `data` with the cluster's disk heartbeat key: 32 bytes. */
export type Mac = (data: Uint8Array) => Uint8Array;

export type RecordKind = 'claim' | 'beat';

export interface HbRecord {
  readonly kind: RecordKind;
  readonly cluster: string;
  readonly node: string;
  readonly counter: number;
  /** the writer's clock, ms: shown, never compared */
  readonly time: number;
}

/** Why a block holds no record of ours; `detail` is one line for a person. */
export type UnreadableReason = 'empty' | 'magic' | 'version' | 'checksum' | 'kind' | 'field' | 'cluster' | 'signature';

export type Decoded<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: UnreadableReason; readonly detail: string };

const KIND_CODE: Readonly<Record<RecordKind, number>> = { claim: 1, beat: 2 };
const HEADER_KIND = 0;

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

// ---------------------------------------------------------------- slot arithmetic

export function metaOffset(slot: number): number {
  checkSlot(slot);
  return META_OFFSET + slot * BLOCK_SIZE;
}

export function dataOffset(slot: number): number {
  checkSlot(slot);
  return DATA_OFFSET + slot * BLOCK_SIZE;
}

/** The slot whose meta block starts at `offset`, for a scan of the meta area. */
export function slotOfMetaOffset(offset: number): number {
  const slot = (offset - META_OFFSET) / BLOCK_SIZE;
  checkSlot(slot);
  return slot;
}

function checkSlot(slot: number): void {
  if (!Number.isInteger(slot) || slot < 0 || slot >= SLOT_COUNT) throw new RangeError(`disk heartbeat slot ${slot} out of 0..${SLOT_COUNT - 1}`);
}

/**
 * Where a node looks for a free slot first: a hash of cluster and node name.
 * Nodes starting together then mostly write different blocks, so a claim
 * collision (handled by claimVerdict) is the exception.
 */
export function preferredSlot(cluster: string, node: string): number {
  let h = 0x811c9dc5; // FNV-1a, 32 bits
  for (const b of encoder.encode(`${cluster}\u0000${node}`)) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % SLOT_COUNT;
}

// ---------------------------------------------------------------- header

export function encodeHeader(): Uint8Array {
  const block = new Uint8Array(BLOCK_SIZE);
  const v = view(block);
  block.set(encoder.encode(MAGIC), 0);
  block[8] = FORMAT_VERSION;
  block[9] = HEADER_KIND;
  v.setUint32(12, BLOCK_SIZE);
  v.setUint32(16, SLOT_COUNT);
  v.setUint32(HEADER_CRC_AT, crc32(block.subarray(0, HEADER_CRC_AT)));
  return block;
}

export function decodeHeader(block: Uint8Array): Decoded<{ readonly version: number }> {
  const pre = preamble(block);
  if (!pre.ok) return pre;
  const v = view(block);
  if (v.getUint32(HEADER_CRC_AT) !== crc32(block.subarray(0, HEADER_CRC_AT))) return bad('checksum', 'header checksum mismatch (torn or corrupt write)');
  if (block[9] !== HEADER_KIND) return bad('kind', `block 0 holds a ${kindName(block[9])} record, not the header`);
  const bs = v.getUint32(12);
  const slots = v.getUint32(16);
  if (bs !== BLOCK_SIZE || slots !== SLOT_COUNT) return bad('field', `header says ${slots} slots of ${bs} bytes, version ${FORMAT_VERSION} has ${SLOT_COUNT} of ${BLOCK_SIZE}`);
  return { ok: true, value: { version: FORMAT_VERSION } };
}

// ---------------------------------------------------------------- records

/** The block holding `r`, signed with `mac`. Throws on a name that cannot be stored (a caller's bug: config validation refuses them). */
export function encodeRecord(r: HbRecord, mac: Mac): Uint8Array {
  const cluster = encoder.encode(r.cluster);
  const node = encoder.encode(r.node);
  if (cluster.length < 1 || cluster.length > NAME_MAX) throw new RangeError(`cluster name "${r.cluster}" must be 1 to ${NAME_MAX} bytes`);
  if (node.length < 1 || node.length > NAME_MAX) throw new RangeError(`node name "${r.node}" must be 1 to ${NAME_MAX} bytes`);
  if (!Number.isSafeInteger(r.counter) || r.counter < 0) throw new RangeError(`heartbeat counter ${r.counter} is not a non-negative safe integer`);
  const time = Math.max(0, Math.trunc(r.time));
  const block = new Uint8Array(BLOCK_SIZE);
  const v = view(block);
  block.set(encoder.encode(MAGIC), 0);
  block[8] = FORMAT_VERSION;
  block[9] = KIND_CODE[r.kind];
  v.setBigUint64(12, BigInt(r.counter));
  v.setBigUint64(20, BigInt(time));
  block[28] = cluster.length;
  block.set(cluster, 29);
  block[93] = node.length;
  block.set(node, 94);
  const sig = mac(block.subarray(0, SIGNED_END));
  if (sig.length !== MAC_BYTES) throw new RangeError(`mac gave ${sig.length} bytes, expected ${MAC_BYTES}`);
  block.set(sig, SIGNED_END);
  v.setUint32(CRC_AT, crc32(block.subarray(0, CRC_AT)));
  return block;
}

/**
 * The record in `block`, checked: framing, checksum, fields, then that it is
 * of `expect.cluster` and signed with its key. Never throws: garbage, a torn
 * write, another cluster's or another secret's record each give a reason.
 */
export function decodeRecord(block: Uint8Array, expect: { readonly cluster: string; readonly mac: Mac }): Decoded<HbRecord> {
  const pre = preamble(block);
  if (!pre.ok) return pre;
  const v = view(block);
  if (v.getUint32(CRC_AT) !== crc32(block.subarray(0, CRC_AT))) return bad('checksum', 'record checksum mismatch (torn or corrupt write)');
  const kind = block[9] === KIND_CODE.claim ? 'claim' : block[9] === KIND_CODE.beat ? 'beat' : undefined;
  if (kind === undefined) return bad('kind', `a ${kindName(block[9])} record where a claim or a beat was expected`);
  const counter = v.getBigUint64(12);
  const time = v.getBigUint64(20);
  if (counter > BigInt(Number.MAX_SAFE_INTEGER) || time > BigInt(Number.MAX_SAFE_INTEGER)) return bad('field', 'counter or time out of range');
  const cluster = nameAt(block, 28);
  const node = nameAt(block, 93);
  if (cluster === undefined || node === undefined) return bad('field', 'cluster or node name malformed');
  if (cluster !== expect.cluster) return bad('cluster', `record of cluster ${cluster}, not ${expect.cluster}`);
  if (!sameBytes(expect.mac(block.subarray(0, SIGNED_END)), block.subarray(SIGNED_END, SIGNED_END + MAC_BYTES))) {
    return bad('signature', `record of ${node} not signed with this cluster's secret`);
  }
  return { ok: true, value: { kind, cluster, node, counter: Number(counter), time: Number(time) } };
}

export function isZero(block: Uint8Array): boolean {
  for (const b of block) if (b !== 0) return false;
  return true;
}

function preamble(block: Uint8Array): Decoded<never> | { readonly ok: true } {
  if (block.length < BLOCK_SIZE) return bad('field', `block of ${block.length} bytes, expected ${BLOCK_SIZE}`);
  if (isZero(block.subarray(0, RECORD_BYTES))) return bad('empty', 'empty (never written)');
  for (let i = 0; i < MAGIC.length; i++) if (block[i] !== MAGIC.charCodeAt(i)) return bad('magic', 'not a hasvc disk heartbeat record');
  if (block[8] !== FORMAT_VERSION) return bad('version', `format version ${block[8] ?? '?'}, this hasvc reads version ${FORMAT_VERSION}`);
  return { ok: true };
}

function nameAt(block: Uint8Array, at: number): string | undefined {
  const len = block[at] ?? 0;
  if (len < 1 || len > NAME_MAX) return undefined;
  const bytes = block.subarray(at + 1, at + 1 + len);
  if (bytes.includes(0) || !isZero(block.subarray(at + 1 + len, at + 1 + NAME_MAX))) return undefined;
  try {
    return decoder.decode(bytes);
  } catch {
    return undefined;
  }
}

function kindName(code: number | undefined): string {
  return code === HEADER_KIND ? 'header' : code === KIND_CODE.claim ? 'claim' : code === KIND_CODE.beat ? 'beat' : `kind ${code ?? '?'}`;
}

function bad(reason: UnreadableReason, detail: string): { readonly ok: false; readonly reason: UnreadableReason; readonly detail: string } {
  return { ok: false, reason, detail };
}

function view(block: Uint8Array): DataView {
  return new DataView(block.buffer, block.byteOffset, block.byteLength);
}

/** Constant time in the length: a forged record learns nothing from the timing. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (IEEE 802.3, as zlib and cksum -a crc32b). */
export function crc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of data) c = (CRC_TABLE[(c ^ b) & 0xff] ?? 0) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// ---------------------------------------------------------------- the meta area

/** What a meta block says about its slot. */
export type SlotOwner =
  | { readonly state: 'free' }
  /** claimed by a node of this cluster, signed with its key */
  | { readonly state: 'claimed'; readonly node: string }
  /** anything else: another cluster's claim, another secret's, garbage. Never written over. */
  | { readonly state: 'foreign'; readonly detail: string };

export function slotOwner(block: Uint8Array, expect: { readonly cluster: string; readonly mac: Mac }): SlotOwner {
  if (block.length !== BLOCK_SIZE) return { state: 'foreign', detail: `block of ${block.length} bytes, expected ${BLOCK_SIZE}` };
  if (isZero(block)) return { state: 'free' };
  const d = decodeRecord(block, expect);
  if (!d.ok) return { state: 'foreign', detail: d.detail };
  if (d.value.kind !== 'claim') return { state: 'foreign', detail: 'a beat record in the meta area' };
  return { state: 'claimed', node: d.value.node };
}

/** Node -> its slot: the lowest slot claiming it, the rule writer and readers share. */
export function slotsByNode(owners: readonly SlotOwner[]): Map<string, number> {
  const m = new Map<string, number>();
  owners.forEach((o, slot) => {
    if (o.state === 'claimed' && !m.has(o.node)) m.set(o.node, slot);
  });
  return m;
}

/** The first free slot from the node's preferred one on, wrapping; undefined when the meta area is full. */
export function freeSlotFor(owners: readonly SlotOwner[], cluster: string, node: string): number | undefined {
  const start = preferredSlot(cluster, node);
  for (let i = 0; i < SLOT_COUNT; i++) {
    const slot = (start + i) % SLOT_COUNT;
    if ((owners[slot] ?? { state: 'free' }).state === 'free') return slot;
  }
  return undefined;
}

/**
 * What a node does on re-reading the meta block of the slot it claimed (after
 * the settle that follows a claim, and before each beat). The rule for two
 * nodes claiming one free slot at the same moment: the last write is what the
 * block holds, and
 *   - its own claim there: keep the slot;
 *   - the block wiped (zero): write the claim again;
 *   - the claim of a node of the cluster whose name sorts lower: yield and
 *     claim another slot — the lowest name wins the slot;
 *   - the claim of a node whose name sorts higher: write the claim again;
 *     that node yields when it re-reads;
 *   - anything else (another cluster, another secret, garbage): yield, never
 *     fight over a block that is not ours.
 * So whatever the timing, one node ends up with the slot and the other moves.
 */
export type ClaimVerdict = 'keep' | 'reassert' | 'yield';

export function claimVerdict(owner: SlotOwner, node: string): ClaimVerdict {
  switch (owner.state) {
    case 'free':
      return 'reassert';
    case 'claimed':
      return owner.node === node ? 'keep' : owner.node < node ? 'yield' : 'reassert';
    case 'foreign':
      return 'yield';
    default: {
      const never: never = owner;
      throw new Error(`unknown slot owner ${JSON.stringify(never)}`);
    }
  }
}
