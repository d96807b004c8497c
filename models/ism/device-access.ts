import type { Observable } from 'rxjs';
import type { GuestMemory } from '../host/guest-memory.ts';

/** A caller's buffer in the driver's own memory (for an in-kernel driver: a kernel address). */
export interface CallerBuffer {
  readonly address: number;
  readonly length: number;
}

/** One MSI as a driver sees it. */
export interface IsmInterrupt {
  readonly vector: number;
  readonly cycle: number;
}

/**
 * How an ISM driver reaches its function: the BAR 2 command window, the BAR 0 move window,
 * memory the device can DMA into, and the MSI. Two implementations: through vfio
 * (a user-space driver) and through the zPCI helpers directly (an in-kernel driver).
 * Returns follow the kernel: 0 (or a byte count) on success, -errno on failure.
 */
export interface IsmDeviceAccess {
  /** Shown in logs and summaries (`vfio`, `kernel`). */
  readonly kind: string;
  /** One PCISTB of `bytes` to BAR 2 at `offset`. */
  storeCommand(offset: number, bytes: Uint8Array): Promise<number>;
  /** One 8-byte PCILG from BAR 2 at `offset`: the bytes in address order, or -errno. */
  loadCommand8(offset: number): Promise<Uint8Array | number>;
  /**
   * Largest store block this path can issue: the function's maxstbl through vfio (the
   * variant driver refuses longer writes), 4096 in the kernel (ism_move's chunk size).
   */
  readonly maxStoreBlock: number;
  /**
   * One PCISTB to BAR 0 at `pciOffset` of the `length` bytes at `address` in the driver's own
   * memory (a move chunk: ≤ 4 KiB, not crossing 4 KiB on the PCI side; the source may cross a
   * page, as the caller's buffer in Linux's __ism_move does).
   */
  storeMove(pciOffset: bigint, address: number, length: number): Promise<number>;
  /** The storage the device DMAs into (SBA, IEQ, DMBs), addressed by IOVA. */
  readonly dmaMemory: GuestMemory;
  /** Contiguous, zeroed, page-aligned DMA memory; returns the IOVA. Throws LinuxError(ENOMEM). */
  allocateDma(bytes: number): number;
  freeDma(iova: number): void;
  /** The function's MSI, delivered to this driver. */
  readonly interrupts$: Observable<IsmInterrupt>;
}
