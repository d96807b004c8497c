import { HostMemoryError, type HostMemory } from '../../rtl/host-memory.ts';
import { bigEndianToBytes, bytesToBigEndian } from '../../rtl/bytes.ts';

export const PAGE_SIZE = 4096;

/** A few bytes are copied in a loop: a subarray view for them would cost more than the copy. */
const COPY_LOOP_LIMIT = 64;

function copyFromPage(out: Uint8Array, at: number, page: Uint8Array, inPage: number, n: number): void {
  if (n <= COPY_LOOP_LIMIT) for (let i = 0; i < n; i++) out[at + i] = page[inPage + i];
  else out.set(page.subarray(inPage, inPage + n), at);
}

/**
 * A VM's storage: sparse and page-granular, so a 1 MiB DMB or a 4 KiB SBA costs only the
 * pages that were written. Untouched pages read as zero. Multi-byte accessors are big-endian
 * (s390 byte order).
 */
export class GuestMemory implements HostMemory {
  private readonly pages = new Map<number, Uint8Array>();

  constructor(readonly size: number = 1 << 30) {
    if (!Number.isSafeInteger(size) || size <= 0 || size % PAGE_SIZE !== 0) {
      throw new RangeError(`guest memory size ${size} must be a positive multiple of ${PAGE_SIZE}`);
    }
  }

  /** Pages that hold data (the memory this model actually uses). */
  get residentPages(): number {
    return this.pages.size;
  }

  /** Numbers of the pages that hold data, ascending (page n covers [n*4096, n*4096+4096)). */
  pageNumbers(): number[] {
    return [...this.pages.keys()].sort((a, b) => a - b);
  }

  /** A copy of every touched page, for before/after comparisons. */
  snapshot(): Map<number, Uint8Array> {
    return new Map([...this.pages].map(([n, p]) => [n, p.slice()]));
  }

  contains(address: number, length: number): boolean {
    return (
      Number.isSafeInteger(address) && Number.isSafeInteger(length) && address >= 0 && length >= 0 && address + length <= this.size
    );
  }

  private require(address: number, length: number): void {
    if (!this.contains(address, length)) throw new HostMemoryError(address, length, this.size);
  }

  read(address: number, length: number): Uint8Array {
    this.require(address, length);
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const a = address + done;
      const pageNo = Math.floor(a / PAGE_SIZE);
      const inPage = a % PAGE_SIZE;
      const n = Math.min(PAGE_SIZE - inPage, length - done);
      const page = this.pages.get(pageNo);
      if (page) copyFromPage(out, done, page, inPage, n);
      done += n;
    }
    return out;
  }

  readInto(address: number, dst: Uint8Array, dstOffset: number, length: number): void {
    this.require(address, length);
    let done = 0;
    while (done < length) {
      const a = address + done;
      const inPage = a % PAGE_SIZE;
      const n = Math.min(PAGE_SIZE - inPage, length - done);
      const page = this.pages.get((a - inPage) / PAGE_SIZE);
      const at = dstOffset + done;
      if (page) for (let i = 0; i < n; i++) dst[at + i] = page[inPage + i];
      else dst.fill(0, at, at + n);
      done += n;
    }
  }

  write(address: number, bytes: Uint8Array): void {
    this.require(address, bytes.length);
    let done = 0;
    while (done < bytes.length) {
      const a = address + done;
      const pageNo = Math.floor(a / PAGE_SIZE);
      const inPage = a % PAGE_SIZE;
      const n = Math.min(PAGE_SIZE - inPage, bytes.length - done);
      // The whole array when it fits one page (the usual small copy): no subarray view made.
      this.writablePage(pageNo).set(n === bytes.length ? bytes : bytes.subarray(done, done + n), inPage);
      done += n;
    }
  }

  /** Without a buffer of `length` bytes (the ISM driver zeroes a 4 KiB DMA bounce page per move). */
  fill(address: number, length: number, value: number): void {
    this.require(address, length);
    const end = address + length;
    for (let a = address; a < end; ) {
      const inPage = a % PAGE_SIZE;
      const upTo = Math.min(PAGE_SIZE, inPage + (end - a));
      this.writablePage((a - inPage) / PAGE_SIZE).fill(value, inPage, upTo);
      a += upTo - inPage;
    }
  }

  private writablePage(pageNo: number): Uint8Array {
    let page = this.pages.get(pageNo);
    if (!page) {
      page = new Uint8Array(PAGE_SIZE);
      this.pages.set(pageNo, page);
    }
    return page;
  }

  // The small readers allocate nothing: the interrupt handler scans every SBA byte with them.
  readU8(address: number): number {
    this.require(address, 1);
    return this.byteAt(address);
  }
  readU16(address: number): number {
    this.require(address, 2);
    return (this.byteAt(address) << 8) | this.byteAt(address + 1);
  }
  readU32(address: number): number {
    this.require(address, 4);
    return ((this.byteAt(address) << 24) | (this.byteAt(address + 1) << 16) | (this.byteAt(address + 2) << 8) | this.byteAt(address + 3)) >>> 0;
  }
  private byteAt(address: number): number {
    const inPage = address % PAGE_SIZE;
    const page = this.pages.get((address - inPage) / PAGE_SIZE);
    return page === undefined ? 0 : page[inPage];
  }
  readU64(address: number): bigint {
    return bytesToBigEndian(this.read(address, 8));
  }
  writeU8(address: number, value: number): void {
    this.write(address, Uint8Array.of(value & 0xff));
  }
  writeU16(address: number, value: number): void {
    this.write(address, Uint8Array.of((value >>> 8) & 0xff, value & 0xff));
  }
  writeU32(address: number, value: number): void {
    this.write(address, Uint8Array.of(value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff));
  }
  writeU64(address: number, value: bigint): void {
    this.write(address, bigEndianToBytes(value, 8));
  }
}
