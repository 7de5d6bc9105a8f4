import { createHmac } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  BLOCK_SIZE,
  DATA_OFFSET,
  DEVICE_MIN_BYTES,
  META_OFFSET,
  RECORD_BYTES,
  SLOT_COUNT,
  claimVerdict,
  crc32,
  dataOffset,
  decodeHeader,
  decodeRecord,
  encodeHeader,
  encodeRecord,
  freeSlotFor,
  metaOffset,
  preferredSlot,
  slotOwner,
  slotsByNode,
  type HbRecord,
  type Mac,
  type SlotOwner,
} from '../../../domain/heartbeat/diskFormat.js';

const macWith =
  (key: string): Mac =>
  (data) =>
    createHmac('sha256', key).update(data).digest();
const mac = macWith('k1');
const expectC1 = { cluster: 'c1', mac };
const beat: HbRecord = { kind: 'beat', cluster: 'c1', node: 'node1', counter: 42, time: 1_700_000_000_123 };

describe('disk heartbeat layout', () => {
  it('fits the header, 127 meta blocks and 127 data blocks in 1 MiB, every block 4 KiB aligned', () => {
    expect(META_OFFSET).toBe(4096);
    expect(DATA_OFFSET).toBe(4096 * 128);
    expect(DEVICE_MIN_BYTES).toBeLessThanOrEqual(1024 * 1024);
    expect(metaOffset(0)).toBe(4096);
    expect(metaOffset(SLOT_COUNT - 1)).toBe(4096 * 127);
    expect(dataOffset(0)).toBe(4096 * 128);
    expect(dataOffset(SLOT_COUNT - 1) + BLOCK_SIZE).toBe(DEVICE_MIN_BYTES);
    for (let s = 0; s < SLOT_COUNT; s++) expect(dataOffset(s) % 4096 + (metaOffset(s) % 4096)).toBe(0);
    expect(() => metaOffset(SLOT_COUNT)).toThrow(RangeError);
    expect(() => dataOffset(-1)).toThrow(RangeError);
  });

  it('a record fits one 512-byte sector, written atomically by any disk', () => {
    expect(RECORD_BYTES).toBeLessThanOrEqual(512);
    expect(encodeRecord(beat, mac).subarray(RECORD_BYTES).every((b) => b === 0)).toBe(true);
  });

  it('prefers a slot from the names, the same on every node', () => {
    expect(preferredSlot('c1', 'node1')).toBe(preferredSlot('c1', 'node1'));
    const slots = new Set(['node1', 'node2', 'node3', 'node4'].map((n) => preferredSlot('c1', n)));
    expect(slots.size).toBeGreaterThan(1);
    for (const s of slots) expect(s >= 0 && s < SLOT_COUNT).toBe(true);
  });

  it('CRC-32 is the IEEE one (zlib, cksum -a crc32b)', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });
});

describe('header', () => {
  it('round-trips', () => {
    expect(decodeHeader(encodeHeader())).toEqual({ ok: true, value: { version: 1 } });
  });

  it('blank, foreign, torn', () => {
    expect(decodeHeader(new Uint8Array(BLOCK_SIZE))).toMatchObject({ ok: false, reason: 'empty' });
    const ext = new Uint8Array(BLOCK_SIZE).fill(0x53);
    expect(decodeHeader(ext)).toMatchObject({ ok: false, reason: 'magic' });
    const torn = encodeHeader();
    torn[16] = 9;
    expect(decodeHeader(torn)).toMatchObject({ ok: false, reason: 'checksum' });
    expect(decodeHeader(encodeRecord(beat, mac))).toMatchObject({ ok: false, reason: 'checksum' });
  });
});

describe('records', () => {
  it('round-trip claims and beats', () => {
    expect(decodeRecord(encodeRecord(beat, mac), expectC1)).toEqual({ ok: true, value: beat });
    const claim: HbRecord = { kind: 'claim', cluster: 'c1', node: 'n'.repeat(64), counter: 0, time: 0 };
    expect(decodeRecord(encodeRecord(claim, mac), expectC1)).toEqual({ ok: true, value: claim });
  });

  it('round-trips any valid record (property)', () => {
    const name = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/);
    fc.assert(
      fc.property(fc.constantFrom<'claim' | 'beat'>('claim', 'beat'), name, name, fc.maxSafeNat(), fc.maxSafeNat(), (kind, cluster, node, counter, time) => {
        const r: HbRecord = { kind, cluster, node, counter, time };
        expect(decodeRecord(encodeRecord(r, mac), { cluster, mac })).toEqual({ ok: true, value: r });
      }),
    );
  });

  it('refuses names that do not fit and bad counters (caller bugs)', () => {
    expect(() => encodeRecord({ ...beat, node: 'x'.repeat(65) }, mac)).toThrow(RangeError);
    expect(() => encodeRecord({ ...beat, cluster: '' }, mac)).toThrow(RangeError);
    expect(() => encodeRecord({ ...beat, counter: -1 }, mac)).toThrow(RangeError);
    expect(() => encodeRecord({ ...beat, counter: 2 ** 60 }, mac)).toThrow(RangeError);
  });

  it('another cluster, another secret: unreadable, with the reason', () => {
    expect(decodeRecord(encodeRecord(beat, mac), { cluster: 'c2', mac })).toMatchObject({ ok: false, reason: 'cluster', detail: 'record of cluster c1, not c2' });
    expect(decodeRecord(encodeRecord(beat, macWith('k2')), expectC1)).toMatchObject({ ok: false, reason: 'signature' });
  });

  it('a torn write (a prefix of the new record over the old one) is unreadable, never a beat', () => {
    const old = encodeRecord({ ...beat, counter: 41 }, mac);
    const next = encodeRecord({ ...beat, counter: 42 }, mac);
    for (let cut = 1; cut < RECORD_BYTES; cut++) {
      const torn = old.slice();
      torn.set(next.subarray(0, cut));
      const d = decodeRecord(torn, expectC1);
      if (d.ok) expect(d.value.counter).toBe(41); // the cut fell in bytes equal in both
      else expect(d.reason).toBe('checksum');
    }
  });

  it('a flipped bit anywhere in the record is caught', () => {
    const good = encodeRecord(beat, mac);
    for (let i = 0; i < RECORD_BYTES; i++) {
      const b = good.slice();
      b[i] = (b[i] ?? 0) ^ 0x10;
      expect(decodeRecord(b, expectC1).ok).toBe(false);
    }
  });

  it('a re-checksummed forgery fails the signature', () => {
    const forged = encodeRecord(beat, mac);
    forged[19] = 99; // counter
    new DataView(forged.buffer).setUint32(192, crc32(forged.subarray(0, 192)));
    expect(decodeRecord(forged, expectC1)).toMatchObject({ ok: false, reason: 'signature' });
  });

  it('never throws on garbage (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: BLOCK_SIZE + 16 }), (bytes) => {
        const d = decodeRecord(bytes, expectC1);
        expect(d.ok).toBe(false);
        expect(decodeHeader(bytes).ok).toBe(false);
      }),
    );
    // garbage behind a right magic and version
    fc.assert(
      fc.property(fc.uint8Array({ minLength: BLOCK_SIZE, maxLength: BLOCK_SIZE }), (bytes) => {
        bytes.set(new TextEncoder().encode('hasvc-hb'), 0);
        bytes[8] = 1;
        expect(decodeRecord(bytes, expectC1).ok).toBe(false);
      }),
    );
  });

  it('an empty block, a short block, a future version', () => {
    expect(decodeRecord(new Uint8Array(BLOCK_SIZE), expectC1)).toMatchObject({ ok: false, reason: 'empty' });
    expect(decodeRecord(new Uint8Array(10), expectC1)).toMatchObject({ ok: false, reason: 'field' });
    const v2 = encodeRecord(beat, mac);
    v2[8] = 2;
    expect(decodeRecord(v2, expectC1)).toMatchObject({ ok: false, reason: 'version' });
  });
});

describe('the meta area', () => {
  const claim = (node: string, m: Mac = mac, cluster = 'c1') => encodeRecord({ kind: 'claim', cluster, node, counter: 0, time: 0 }, m);

  it('reads a block as free, claimed by a node of the cluster, or foreign', () => {
    expect(slotOwner(new Uint8Array(BLOCK_SIZE), expectC1)).toEqual({ state: 'free' });
    expect(slotOwner(claim('node2'), expectC1)).toEqual({ state: 'claimed', node: 'node2' });
    expect(slotOwner(claim('node2', mac, 'c2'), expectC1)).toMatchObject({ state: 'foreign' });
    expect(slotOwner(claim('node2', macWith('k2')), expectC1)).toMatchObject({ state: 'foreign' });
    expect(slotOwner(encodeRecord(beat, mac), expectC1)).toMatchObject({ state: 'foreign' });
    const tail = new Uint8Array(BLOCK_SIZE);
    tail[4000] = 1; // zero record area, something behind: not free
    expect(slotOwner(tail, expectC1)).toMatchObject({ state: 'foreign' });
    // a short read is no proof of a free slot
    expect(slotOwner(new Uint8Array(0), expectC1)).toMatchObject({ state: 'foreign' });
  });

  it('maps each node to its lowest claimed slot', () => {
    const owners: SlotOwner[] = Array.from({ length: SLOT_COUNT }, () => ({ state: 'free' }));
    owners[9] = { state: 'claimed', node: 'node1' };
    owners[3] = { state: 'claimed', node: 'node1' };
    owners[5] = { state: 'claimed', node: 'node2' };
    owners[6] = { state: 'foreign', detail: 'x' };
    expect(slotsByNode(owners)).toEqual(new Map([['node1', 3], ['node2', 5]]));
  });

  it('finds a free slot from the preferred one on, wrapping, none when full', () => {
    const owners: SlotOwner[] = Array.from({ length: SLOT_COUNT }, () => ({ state: 'free' }));
    const pref = preferredSlot('c1', 'node3');
    expect(freeSlotFor(owners, 'c1', 'node3')).toBe(pref);
    owners[pref] = { state: 'foreign', detail: 'x' };
    owners[(pref + 1) % SLOT_COUNT] = { state: 'claimed', node: 'node9' };
    expect(freeSlotFor(owners, 'c1', 'node3')).toBe((pref + 2) % SLOT_COUNT);
    const full: SlotOwner[] = Array.from({ length: SLOT_COUNT }, () => ({ state: 'claimed', node: 'x' }));
    expect(freeSlotFor(full, 'c1', 'node3')).toBeUndefined();
  });

  it('a collision goes to the lowest name; foreign blocks are never fought over', () => {
    expect(claimVerdict({ state: 'claimed', node: 'node2' }, 'node2')).toBe('keep');
    expect(claimVerdict({ state: 'claimed', node: 'node1' }, 'node2')).toBe('yield');
    expect(claimVerdict({ state: 'claimed', node: 'node3' }, 'node2')).toBe('reassert');
    expect(claimVerdict({ state: 'free' }, 'node2')).toBe('reassert');
    expect(claimVerdict({ state: 'foreign', detail: 'x' }, 'node2')).toBe('yield');
  });

  it('whatever the order of two colliding writes, exactly one node keeps the slot', () => {
    for (const [a, b] of [['node1', 'node2'], ['node2', 'node1']] as const) {
      // the block holds the last writer; each node judges what it re-reads
      const block: SlotOwner = { state: 'claimed', node: b };
      const va = claimVerdict(block, a);
      const vb = claimVerdict(block, b);
      expect(vb).toBe('keep');
      // a reasserts only if it sorts lower; then b, re-reading a's claim, yields
      if (va === 'reassert') {
        expect(a < b).toBe(true);
        expect(claimVerdict({ state: 'claimed', node: a }, b)).toBe('yield');
        expect(claimVerdict({ state: 'claimed', node: a }, a)).toBe('keep');
      } else expect(va).toBe('yield');
    }
  });
});
