import type { Observable } from 'rxjs';
import type { GuestMemory } from '../../models/host/guest-memory.ts';
import type { IsmDeviceAccess, IsmInterrupt } from '../../models/ism/device-access.ts';
import { Errno } from '../../models/linux/errno.ts';
import { COMMAND_BY_NAME, decodeHeader, type IsmCmdName } from '../../rtl/ism/commands.ts';

const NAME_BY_CODE = new Map([...COMMAND_BY_NAME.values()].map((c) => [c.code, c.name]));

/**
 * An IsmDeviceAccess that forwards to a real one and lets a test fail one command the way a
 * broken path would: its doorbell store never reaches the device (-EIO), or its response read
 * fails after the device ran it. `beforeDoorbell` runs a test step just before a command's
 * doorbell (to make something happen in a chosen window of a sequence).
 */
export class FaultyAccess implements IsmDeviceAccess {
  readonly kind: string;
  /** Fail this command's doorbell once (the device never sees the command). */
  failDoorbell: IsmCmdName | null = null;
  /** Fail the first response read of this command once (the device did run it). */
  failResponse: IsmCmdName | null = null;
  beforeDoorbell: Partial<Record<IsmCmdName, () => Promise<void>>> = {};
  /** Doorbells the device saw, by command name. */
  readonly doorbells: string[] = [];
  private failNextLoad = false;

  constructor(readonly inner: IsmDeviceAccess) {
    this.kind = `faulty-${inner.kind}`;
  }

  get maxStoreBlock(): number {
    return this.inner.maxStoreBlock;
  }

  get dmaMemory(): GuestMemory {
    return this.inner.dmaMemory;
  }

  get interrupts$(): Observable<IsmInterrupt> {
    return this.inner.interrupts$;
  }

  async storeCommand(offset: number, bytes: Uint8Array): Promise<number> {
    if (offset !== 0) return this.inner.storeCommand(offset, bytes);
    const name = (NAME_BY_CODE.get(decodeHeader(bytes).cmd) ?? '?') as IsmCmdName;
    const hook = this.beforeDoorbell[name];
    if (hook) {
      delete this.beforeDoorbell[name];
      await hook();
    }
    if (this.failDoorbell === name) {
      this.failDoorbell = null;
      return -Errno.EIO;
    }
    if (this.failResponse === name) {
      this.failResponse = null;
      this.failNextLoad = true;
    }
    this.doorbells.push(name);
    return this.inner.storeCommand(offset, bytes);
  }

  loadCommand8(offset: number): Promise<Uint8Array | number> {
    if (this.failNextLoad) {
      this.failNextLoad = false;
      return Promise.resolve(-Errno.EIO);
    }
    return this.inner.loadCommand8(offset);
  }

  storeMove(pciOffset: bigint, address: number, length: number): Promise<number> {
    return this.inner.storeMove(pciOffset, address, length);
  }

  allocateDma(bytes: number): number {
    return this.inner.allocateDma(bytes);
  }

  freeDma(iova: number): void {
    this.inner.freeDma(iova);
  }
}
