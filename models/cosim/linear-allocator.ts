/**
 * First-fit allocation of byte ranges in a WebAssembly memory above the module's static data,
 * growing the memory when full. Deterministic (sorted free list, merged on free).
 */
export class LinearAllocator {
  private holes: { start: number; size: number }[] = [];
  private readonly used = new Map<number, number>();
  private top: number;

  constructor(
    private readonly memory: WebAssembly.Memory,
    base: number,
  ) {
    this.top = base;
  }

  /** `size` bytes aligned to `align` (a power of two), or null when the 4 GiB space is exhausted. */
  allocate(size: number, align: number): number | null {
    const bytes = Math.max(size, 1);
    for (let i = 0; i < this.holes.length; i++) {
      const r = this.holes[i];
      const start = alignUp(r.start, align);
      if (start + bytes > r.start + r.size) continue;
      const pieces = [];
      if (start > r.start) pieces.push({ start: r.start, size: start - r.start });
      if (start + bytes < r.start + r.size) pieces.push({ start: start + bytes, size: r.start + r.size - start - bytes });
      this.holes.splice(i, 1, ...pieces);
      this.used.set(start, bytes);
      return start;
    }
    const start = alignUp(this.top, align);
    const end = start + bytes;
    if (end > 2 ** 32) return null;
    const have = this.memory.buffer.byteLength;
    if (end > have) this.memory.grow(Math.ceil((end - have) / 65536));
    if (start > this.top) this.addHole(this.top, start - this.top);
    this.top = end;
    this.used.set(start, bytes);
    return start;
  }

  /** Size of the allocation starting at `address`, if there is one. */
  sizeOf(address: number): number | undefined {
    return this.used.get(address);
  }

  free(address: number): void {
    const size = this.used.get(address);
    if (size === undefined) throw new Error(`free of 0x${address.toString(16)}, which was not allocated`);
    this.used.delete(address);
    this.addHole(address, size);
  }

  private addHole(start: number, size: number): void {
    this.holes.push({ start, size });
    this.holes.sort((a, b) => a.start - b.start);
    const merged: { start: number; size: number }[] = [];
    for (const r of this.holes) {
      const last = merged[merged.length - 1];
      if (last && last.start + last.size === r.start) last.size += r.size;
      else merged.push({ ...r });
    }
    this.holes = merged;
  }
}

export function alignUp(value: number, align: number): number {
  return Math.ceil(value / align) * align;
}
