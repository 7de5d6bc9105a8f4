/**
 * Page-aligned buffers for O_DIRECT transfers.
 *
 * O_DIRECT wants the memory address aligned to the device's DMA alignment
 * (512 bytes on most disks and on loop devices, up to 4096). Node cannot
 * say where a Buffer lives, and its buffers come from malloc: 16-byte
 * aligned, so an O_DIRECT read into `Buffer.alloc(4096)` fails with EINVAL
 * about 31 times in 32 (measured on a loop device: 8 of 200 succeeded; 0 of
 * 20 for 1 MiB buffers, mmap'd behind a 16-byte malloc header).
 *
 * A WebAssembly.Memory is allocated by V8 in whole OS pages, so its buffer
 * starts on a page boundary (20 of 20 succeeded). Each Memory reserves ~10 GiB
 * of address space for its guard regions, so one Memory is cut into 64 KiB
 * regions shared by every disk heartbeat of the process rather than one per
 * instance. A region lent out is never grown nor moved (growing would detach
 * it): it stays valid while an I/O that outlived its caller completes.
 */

export const REGION_BYTES = 64 * 1024;
const REGIONS_PER_ARENA = 16;

const arenas: WebAssembly.Memory[] = [];
const free: Buffer[] = [];

/** A zeroed 64 KiB buffer whose address is a multiple of the page size. */
export function acquireAligned(): Buffer {
  if (free.length === 0) {
    const mem = new WebAssembly.Memory({ initial: REGIONS_PER_ARENA, maximum: REGIONS_PER_ARENA });
    arenas.push(mem);
    for (let i = REGIONS_PER_ARENA - 1; i >= 0; i--) free.push(Buffer.from(mem.buffer, i * REGION_BYTES, REGION_BYTES));
  }
  const b = free.pop();
  if (b === undefined) throw new Error('aligned memory: no region after allocating an arena');
  return b;
}

/** Give a region back, once no I/O uses it any more. */
export function releaseAligned(b: Buffer): void {
  b.fill(0);
  free.push(b);
}
