import { PAGE_SIZE } from '../host/guest-memory.ts';
import type { ZpciDev } from '../linux/zpci-dev.ts';
import { alignUp, LinearAllocator } from './linear-allocator.ts';
import { CosimOops } from './oops.ts';

/** A kmem_cache as the shim keeps it: geometry, usercopy window, slabs (each in wasm memory and in the VM's storage). */
interface KmemCache {
  readonly handle: number;
  readonly name: string;
  readonly size: number;
  readonly stride: number;
  readonly useroffset: number;
  readonly usersize: number;
  readonly slabs: { readonly wasm: number; readonly guest: number }[];
  readonly freeObjects: number[];
  readonly outstanding: Set<number>;
}

/** Objects carved per slab (as the TypeScript port's store-block cache). */
const OBJECTS_PER_SLAB = 4;
/** SLUB's minimum object alignment on a 64-bit kernel (ARCH_SLAB_MINALIGN). */
const MIN_ALIGN = 8;
/** Kernel memory outside slabs is mapped to the VM's storage in chunks this big when a PCISTB needs it. */
const CHUNK = 64 * 1024;

/**
 * The kernel memory a C driver sees, inside its WebAssembly memory: kmalloc, kmem_cache slabs
 * (each slab also backed by pages of the VM's storage, so a PCISTB can fetch the object), and
 * the HARDENED_USERCOPY checks copy_to_user/copy_from_user apply to a kernel range.
 */
export class KernelMemory {
  private readonly heap: LinearAllocator;
  private readonly caches = new Map<number, KmemCache>();
  private readonly kmallocs = new Map<number, number>();
  private readonly chunks = new Map<number, number>();
  /** Kernel log lines (WARNs the shim raises itself). */
  readonly warnings: string[] = [];

  constructor(
    private readonly memory: WebAssembly.Memory,
    heapBase: number,
    /** [0, stackTop) is the C stack (wasm-ld --stack-first). */
    private readonly stackTop: number,
    private readonly zdev: ZpciDev,
    /** At most this many objects per cache (memory pressure: kmem_cache_alloc → NULL beyond). */
    private readonly objectLimit = Number.POSITIVE_INFINITY,
  ) {
    this.heap = new LinearAllocator(memory, heapBase);
  }

  get bytes(): Uint8Array {
    return new Uint8Array(this.memory.buffer);
  }

  kmalloc(size: number, zero: boolean): number {
    const p = this.heap.allocate(size, MIN_ALIGN);
    if (p === null) return 0;
    this.kmallocs.set(p, size);
    if (zero) this.bytes.fill(0, p, p + size);
    return p;
  }

  kfree(p: number): void {
    if (p === 0) return;
    if (!this.kmallocs.delete(p)) throw new CosimOops(`kfree of 0x${p.toString(16)}, which kmalloc did not return`);
    this.heap.free(p);
  }

  /**
   * kmem_cache_create (mm/slab_common.c): a usercopy window that does not fit the object is
   * WARNed and dropped (no user copies at all), as kmem_cache_create_usercopy does.
   */
  createCache(name: string, size: number, align: number, useroffset: number, usersize: number): number {
    if (size === 0) return 0;
    if ((usersize === 0 && useroffset !== 0) || size < usersize || size - usersize < useroffset) {
      this.warnings.push(`kmem_cache_create ${name}: usercopy window ${useroffset}+${usersize} does not fit ${size} bytes; no usercopy allowed`);
      useroffset = 0;
      usersize = 0;
    }
    const handle = this.heap.allocate(16, MIN_ALIGN)!;
    const stride = alignUp(size, Math.max(align, MIN_ALIGN));
    this.caches.set(handle, { handle, name, size, stride, useroffset, usersize, slabs: [], freeObjects: [], outstanding: new Set() });
    return handle;
  }

  private cache(handle: number, what: string): KmemCache {
    const c = this.caches.get(handle);
    if (!c) throw new CosimOops(`${what}: 0x${handle.toString(16)} is not a kmem_cache`);
    return c;
  }

  cacheAlloc(handle: number, zero: boolean): number {
    const c = this.cache(handle, 'kmem_cache_alloc');
    if (c.freeObjects.length === 0 && !this.grow(c)) return 0;
    const obj = c.freeObjects.pop()!;
    c.outstanding.add(obj);
    if (zero) this.bytes.fill(0, obj, obj + c.size);
    return obj;
  }

  /** A new slab: page-aligned in wasm memory and in the VM's storage, so both agree on where 4 KiB boundaries fall. */
  private grow(c: KmemCache): boolean {
    const have = c.slabs.length * OBJECTS_PER_SLAB;
    if (have >= this.objectLimit) return false;
    const bytes = alignUp(c.stride * OBJECTS_PER_SLAB, PAGE_SIZE);
    const alignPages = Math.max(1, Math.ceil(c.stride / PAGE_SIZE));
    const wasm = this.heap.allocate(bytes, PAGE_SIZE);
    if (wasm === null) return false;
    let guest: number;
    try {
      guest = this.zdev.pages.allocate(bytes, c.stride % PAGE_SIZE === 0 ? alignPages : 1);
    } catch {
      this.heap.free(wasm);
      return false;
    }
    c.slabs.push({ wasm, guest });
    for (let i = OBJECTS_PER_SLAB - 1; i >= 0; i--) if (have + i < this.objectLimit) c.freeObjects.push(wasm + i * c.stride);
    return true;
  }

  cacheFree(handle: number, obj: number): void {
    const c = this.cache(handle, 'kmem_cache_free');
    if (!c.outstanding.delete(obj)) throw new CosimOops(`kmem_cache_free(${c.name}, 0x${obj.toString(16)}): not an allocated object of this cache`);
    c.freeObjects.push(obj);
  }

  /** kmem_cache_destroy: with objects still allocated the kernel WARNs and leaks the cache. */
  destroyCache(handle: number): void {
    if (handle === 0) return;
    const c = this.cache(handle, 'kmem_cache_destroy');
    if (c.outstanding.size > 0) {
      this.warnings.push(`kmem_cache_destroy ${c.name}: Slab cache still has objects (${c.outstanding.size})`);
      return;
    }
    this.releaseCache(c);
  }

  private releaseCache(c: KmemCache): void {
    for (const s of c.slabs) {
      this.zdev.pages.release(s.guest);
      this.heap.free(s.wasm);
    }
    this.caches.delete(c.handle);
    this.heap.free(c.handle);
  }

  /** Objects allocated and not freed, over all caches (the lifecycle tests' view). */
  get objectsInUse(): number {
    let n = 0;
    for (const c of this.caches.values()) n += c.outstanding.size;
    return n;
  }

  get cacheNames(): string[] {
    return [...this.caches.values()].map((c) => c.name);
  }

  /** Module unload: every page of the VM's storage the module still holds goes back. */
  releaseAll(): void {
    for (const c of [...this.caches.values()]) {
      c.outstanding.clear();
      this.releaseCache(c);
    }
    for (const guest of this.chunks.values()) this.zdev.pages.release(guest);
    this.chunks.clear();
  }

  /**
   * The kernel range a user copy touches, checked as check_object_size (mm/usercopy.c) does:
   * NULL and beyond-memory pointers oops; a range crossing the stack's edge, or a slab object's
   * usercopy window (__check_heap_object, mm/slub.c), is a usercopy abort.
   */
  checkUsercopy(address: number, n: number, toUser: boolean): void {
    const dir = toUser ? 'exposure' : 'overwrite';
    if (n === 0) return;
    if (address < PAGE_SIZE) throw new CosimOops(`BUG: kernel NULL pointer dereference, address 0x${address.toString(16)} (copy_${toUser ? 'to' : 'from'}_user)`);
    if (address + n > this.memory.buffer.byteLength) throw new CosimOops(`BUG: unable to handle kernel paging request at 0x${address.toString(16)}`);
    if (address < this.stackTop) {
      if (address + n > this.stackTop) throw new CosimOops(`usercopy: Kernel memory ${dir} attempt detected from process stack (offset ${address}, size ${n})!`);
      return;
    }
    for (const c of this.caches.values()) {
      const slab = c.slabs.find((s) => address >= s.wasm && address < s.wasm + c.stride * OBJECTS_PER_SLAB);
      if (!slab) continue;
      const offset = (address - slab.wasm) % c.stride;
      const inWindow = offset >= c.useroffset && offset - c.useroffset <= c.usersize && n <= c.useroffset + c.usersize - offset;
      if (!inWindow || offset + n > c.size) {
        throw new CosimOops(`usercopy: Kernel memory ${dir} attempt detected from SLUB object '${c.name}' (offset ${offset}, size ${n})!`);
      }
      return;
    }
    for (const [p, size] of this.kmallocs) {
      if (address >= p && address < p + size) {
        if (address + n > p + size) throw new CosimOops(`usercopy: Kernel memory ${dir} attempt detected from SLUB object 'kmalloc-${size}' (offset ${address - p}, size ${n})!`);
        return;
      }
    }
  }

  /**
   * Where in the VM's storage the kernel range [address, address + n) is, after bringing the
   * storage up to date with the wasm memory: a slab object's own pages, else a chunk of storage
   * mapped on first use. This is the moment a PCISTB fetches the bytes, so mirroring them here
   * is the same as the kernel having written them there.
   */
  guestAddressFor(address: number, n: number): number {
    const bytes = this.bytes.subarray(address, address + n);
    for (const c of this.caches.values()) {
      const slabBytes = c.stride * OBJECTS_PER_SLAB;
      const slab = c.slabs.find((s) => address >= s.wasm && address < s.wasm + slabBytes);
      if (!slab) continue;
      const guest = slab.guest + (address - slab.wasm);
      this.zdev.memory.write(guest, bytes);
      return guest;
    }
    const chunk = Math.floor(address / CHUNK);
    let base = this.chunks.get(chunk);
    if (base === undefined) {
      base = this.zdev.pages.allocate(CHUNK);
      this.chunks.set(chunk, base);
    }
    const guest = base + (address - chunk * CHUNK);
    // Past the chunk the hardware would read whatever the VM has there; copying only what fits keeps other chunks intact.
    this.zdev.memory.write(guest, bytes.subarray(0, Math.min(n, (chunk + 1) * CHUNK - address)));
    return guest;
  }
}
