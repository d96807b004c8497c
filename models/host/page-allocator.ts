import { PAGE_SIZE } from './guest-memory.ts';
import { Errno, LinuxError } from '../linux/errno.ts';

/**
 * Hands out page-aligned, physically contiguous ranges of a VM's storage (the model's
 * `dma_alloc_coherent` / folio allocation). First fit over a sorted free list; deterministic.
 */
export class PageAllocator {
  private free: { start: number; pages: number }[];
  private readonly used = new Map<number, number>();

  constructor(
    readonly base: number,
    readonly limit: number,
  ) {
    if (base % PAGE_SIZE !== 0 || limit % PAGE_SIZE !== 0 || limit <= base) {
      throw new RangeError(`allocator range [0x${base.toString(16)}, 0x${limit.toString(16)}) must be page aligned and non-empty`);
    }
    this.free = [{ start: base, pages: (limit - base) / PAGE_SIZE }];
  }

  /** Allocates ceil(bytes / 4 KiB) pages aligned to `alignPages` pages; throws ENOMEM when full. */
  allocate(bytes: number, alignPages = 1): number {
    if (!Number.isSafeInteger(bytes) || bytes <= 0) throw new LinuxError(Errno.EINVAL, `allocate(${bytes})`);
    const pages = Math.ceil(bytes / PAGE_SIZE);
    const align = alignPages * PAGE_SIZE;
    for (let i = 0; i < this.free.length; i++) {
      const r = this.free[i];
      const start = Math.ceil(r.start / align) * align;
      const skip = (start - r.start) / PAGE_SIZE;
      if (skip + pages > r.pages) continue;
      const after = r.pages - skip - pages;
      const pieces = [];
      if (skip > 0) pieces.push({ start: r.start, pages: skip });
      if (after > 0) pieces.push({ start: start + pages * PAGE_SIZE, pages: after });
      this.free.splice(i, 1, ...pieces);
      this.used.set(start, pages);
      return start;
    }
    throw new LinuxError(Errno.ENOMEM, `allocate(${bytes})`);
  }

  release(address: number): void {
    const pages = this.used.get(address);
    if (pages === undefined) throw new Error(`release of 0x${address.toString(16)}, which was not allocated`);
    this.used.delete(address);
    this.free.push({ start: address, pages });
    this.free.sort((a, b) => a.start - b.start);
    // Merge neighbours so large allocations stay possible.
    const merged: { start: number; pages: number }[] = [];
    for (const r of this.free) {
      const last = merged[merged.length - 1];
      if (last && last.start + last.pages * PAGE_SIZE === r.start) last.pages += r.pages;
      else merged.push({ ...r });
    }
    this.free = merged;
  }

  get allocatedPages(): number {
    let n = 0;
    for (const p of this.used.values()) n += p;
    return n;
  }
}
