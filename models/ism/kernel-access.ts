import { filter, map, type Observable } from 'rxjs';
import { bigEndianToBytes } from '../../rtl/bytes.ts';
import type { GuestMemory } from '../host/guest-memory.ts';
import { Errno } from '../linux/errno.ts';
import { createRequest } from '../linux/zpci.ts';
import type { ZpciDev } from '../linux/zpci-dev.ts';
import type { IsmDeviceAccess, IsmInterrupt } from './device-access.ts';

/**
 * An in-kernel driver's path to its ISM function (drivers/s390/net/ism.h helpers): the
 * function-handle instructions directly — __zpci_store_block for commands and moves,
 * __zpci_load for responses — never MIO. Requests sit in a page-aligned command buffer; moves
 * store straight from the caller's buffer, as __ism_move (drivers/s390/net/ism_drv.c) does, so a
 * chunk's source may cross a page.
 */
export class KernelIsmAccess implements IsmDeviceAccess {
  readonly kind = 'kernel';
  readonly interrupts$: Observable<IsmInterrupt>;
  private readonly commandBuffer: number;

  constructor(readonly zdev: ZpciDev) {
    const msi = zdev.msi;
    if (!msi) throw new Error('KernelIsmAccess: the function has no MSI line');
    this.commandBuffer = zdev.pages.allocate(4096);
    const sim = zdev.insn.sim;
    this.interrupts$ = msi.changes$.pipe(
      filter((v) => v === 1),
      map(() => ({ vector: 0, cycle: sim.cycle })),
    );
  }

  readonly maxStoreBlock = 4096;

  get dmaMemory(): GuestMemory {
    return this.zdev.memory;
  }

  storeCommand(offset: number, bytes: Uint8Array): Promise<number> {
    this.zdev.memory.write(this.commandBuffer, bytes);
    return this.zdev.insn.storeBlock(this.commandBuffer, createRequest(this.zdev.fh, 2, bytes.length), BigInt(offset));
  }

  async loadCommand8(offset: number): Promise<Uint8Array | number> {
    const r = await this.zdev.insn.load(createRequest(this.zdev.fh, 2, 8), BigInt(offset));
    return r.rc < 0 ? r.rc : bigEndianToBytes(r.data, 8);
  }

  storeMove(pciOffset: bigint, address: number, length: number): Promise<number> {
    if (length > 4096) return Promise.resolve(-Errno.EINVAL);
    return this.zdev.insn.storeBlock(address, createRequest(this.zdev.fh, 0, length), pciOffset);
  }

  allocateDma(bytes: number): number {
    const iova = this.zdev.pages.allocate(bytes);
    this.zdev.memory.fill(iova, Math.ceil(bytes / 4096) * 4096, 0);
    return iova;
  }

  freeDma(iova: number): void {
    this.zdev.pages.release(iova);
  }

  /** The driver is gone: return the access path's own page (the command buffer). */
  close(): void {
    this.zdev.pages.release(this.commandBuffer);
  }
}
