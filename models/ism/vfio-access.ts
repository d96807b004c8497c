import { map, type Observable } from 'rxjs';
import type { GuestMemory } from '../host/guest-memory.ts';
import { regionOffset } from '../vfio/regions.ts';
import { VfioError, type VfioDevice } from '../vfio/vfio-device.ts';
import type { IsmDeviceAccess, IsmInterrupt } from './device-access.ts';

const BAR0 = 0;
const BAR2 = 2;

async function errno<T>(p: Promise<T>): Promise<T | number> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof VfioError) return -e.errno;
    throw e;
  }
}

/**
 * A user-space driver's path to its ISM function: everything through the vfio device file.
 * Commands are pwrite/pread on the BAR 2 region, moves are pwrite on the BAR 0 region (the
 * variant driver turns each into exactly one PCISTB), DMA memory is pinned and mapped into the
 * device's IOAS (identity-mapped in this model: IOVA = guest address), MSIs arrive through
 * VFIO_DEVICE_SET_IRQS.
 */
export class VfioIsmAccess implements IsmDeviceAccess {
  readonly kind = 'vfio';
  readonly interrupts$: Observable<IsmInterrupt>;

  constructor(readonly device: VfioDevice) {
    this.interrupts$ = device.enableMsi().pipe(map((e) => ({ vector: e.vector, cycle: e.cycle })));
  }

  get dmaMemory(): GuestMemory {
    return this.device.zdev.memory;
  }

  get maxStoreBlock(): number {
    return this.device.zdev.maxstbl;
  }

  async storeCommand(offset: number, bytes: Uint8Array): Promise<number> {
    const r = await errno(this.device.pwrite(bytes, regionOffset(BAR2) + BigInt(offset)));
    return r < 0 ? r : 0;
  }

  loadCommand8(offset: number): Promise<Uint8Array | number> {
    return errno(this.device.pread(8, regionOffset(BAR2) + BigInt(offset)));
  }

  async storeMove(pciOffset: bigint, address: number, length: number): Promise<number> {
    // pwrite from the process's buffer; the variant driver copies it into its store buffer.
    const bytes = this.dmaMemory.read(address, length);
    const r = await errno(this.device.pwrite(bytes, regionOffset(BAR0) + pciOffset));
    return r < 0 ? r : 0;
  }

  allocateDma(bytes: number): number {
    const iova = this.device.zdev.pages.allocate(bytes);
    this.dmaMemory.fill(iova, Math.ceil(bytes / 4096) * 4096, 0);
    return iova;
  }

  freeDma(iova: number): void {
    this.device.zdev.pages.release(iova);
  }
}
