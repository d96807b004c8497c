import { PAGE_SIZE } from '../host/guest-memory.ts';
import type { PageAllocator } from '../host/page-allocator.ts';

/**
 * The variant driver's per-device slab of store-block bounce buffers (kmem_cache_create in
 * drivers/vfio/pci/ism/main.c): objects of `maxstbl` bytes aligned to PAGE_SIZE, so a PCISTB
 * source never crosses a 4 KiB boundary in storage. Backed by kernel pages of the VM.
 */
export class StoreBlockCache {
  private readonly freeObjects: number[] = [];
  private readonly slabs: number[] = [];
  private readonly outstanding = new Set<number>();
  readonly objectSize: number;
  /** Objects carved per slab allocation. */
  private readonly perSlab = 4;

  constructor(
    readonly name: string,
    readonly maxstbl: number,
    private readonly pages: PageAllocator,
    /** Test knob: at most this many objects may exist (models memory pressure → -ENOMEM). */
    private readonly limit = Number.POSITIVE_INFINITY,
  ) {
    this.objectSize = Math.ceil(maxstbl / PAGE_SIZE) * PAGE_SIZE;
  }

  /** An object's storage address, or null when memory is exhausted (kmem_cache_alloc → NULL). */
  allocate(): number | null {
    if (this.freeObjects.length === 0) {
      const have = this.slabs.length * this.perSlab;
      if (have >= this.limit) return null;
      let slab: number;
      try {
        slab = this.pages.allocate(this.objectSize * this.perSlab);
      } catch {
        return null;
      }
      this.slabs.push(slab);
      for (let i = this.perSlab - 1; i >= 0; i--) {
        if (have + i < this.limit) this.freeObjects.push(slab + i * this.objectSize);
      }
    }
    const obj = this.freeObjects.pop()!;
    this.outstanding.add(obj);
    return obj;
  }

  free(address: number): void {
    if (!this.outstanding.delete(address)) throw new Error(`${this.name}: free of 0x${address.toString(16)}, not allocated`);
    this.freeObjects.push(address);
  }

  get inUse(): number {
    return this.outstanding.size;
  }

  /** kmem_cache_destroy: all objects must have been freed. */
  destroy(): void {
    if (this.outstanding.size > 0) throw new Error(`${this.name}: destroyed with ${this.outstanding.size} objects in use`);
    for (const s of this.slabs) this.pages.release(s);
    this.slabs.length = 0;
    this.freeObjects.length = 0;
  }
}
