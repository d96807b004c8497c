import { GuestMemory } from '../host/guest-memory.ts';
import { Errno } from '../linux/errno.ts';

/** Buffers are handed out again after this many bytes (far more than the calls in flight at once use). */
export const USER_BUFFER_RECYCLE = 16 << 20;

/**
 * A user process's address space, as far as copy_to_user/copy_from_user see it: one mapped
 * range [base, base + size). A buffer outside it is a bad user pointer (-EFAULT).
 */
export class UserMemory {
  private readonly backing: GuestMemory;
  private next: number;

  constructor(
    readonly base = 0x1000_0000,
    /** Sparse: only touched pages cost memory, so the default can be generous. */
    readonly size = 1 << 30,
  ) {
    this.backing = new GuestMemory(size);
    this.next = base;
  }

  /**
   * A fresh buffer of `length` bytes (bump allocation, wrapping to the start after
   * USER_BUFFER_RECYCLE bytes: a buffer lives only for the call that allocated it, so reuse is
   * safe, and a long run touches — and keeps resident — only that much of the sparse space).
   */
  allocate(length: number): number {
    if (!Number.isSafeInteger(length) || length < 0 || length > this.size) {
      throw new RangeError(`user buffer of ${length} bytes does not fit the process address space of ${this.size} bytes`);
    }
    const aligned = Math.ceil(Math.max(length, 1) / 8) * 8;
    if (this.next + aligned > this.base + Math.max(aligned, Math.min(this.size, USER_BUFFER_RECYCLE))) this.next = this.base;
    const address = this.next;
    this.next += aligned;
    return address;
  }

  /** Pages of the space that hold data (the sparse backing keeps every page it was ever given). */
  get residentPages(): number {
    return this.backing.residentPages;
  }

  contains(address: number, length: number): boolean {
    return Number.isSafeInteger(address) && address >= this.base && length >= 0 && address + length <= this.base + this.size;
  }

  /** copy_to_user: 0 or -EFAULT (nothing copied). */
  copyTo(address: number, bytes: Uint8Array): number {
    if (!this.contains(address, bytes.length)) return -Errno.EFAULT;
    this.backing.write(address - this.base, bytes);
    return 0;
  }

  /** copy_from_user: the bytes or -EFAULT. */
  copyFrom(address: number, length: number): Uint8Array | number {
    if (!this.contains(address, length)) return -Errno.EFAULT;
    return this.backing.read(address - this.base, length);
  }
}
