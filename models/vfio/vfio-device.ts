import { Observable, Subject, filter, map, type Subscription } from 'rxjs';
import { Errno, LinuxError } from '../linux/errno.ts';
import type { ZpciDev } from '../linux/zpci-dev.ts';
import type { VfioIsmFirmware, VfioIsmFirmwareFactory } from './firmware.ts';
import { IsmVfioPciDevice, type IsmVfioOptions } from './ism-vfio-pci.ts';
import { regionOffset, type RegionInfo } from './regions.ts';
import { UserMemory } from './user-memory.ts';

/** An error a vfio call returned; carries the Linux errno. */
export class VfioError extends LinuxError {
  override readonly name = 'VfioError';
}

const typescriptPort: VfioIsmFirmwareFactory = (zdev, options) => new IsmVfioPciDevice(zdev, options);
let defaultFirmware: VfioIsmFirmwareFactory = typescriptPort;

/**
 * Makes `firmware` the driver of every device opened without an explicit one (the command
 * line's `--driver`); `undefined` restores the TypeScript port. Returns the previous default.
 */
export function useDefaultFirmware(firmware: VfioIsmFirmwareFactory | undefined): VfioIsmFirmwareFactory {
  const previous = defaultFirmware;
  defaultFirmware = firmware ?? typescriptPort;
  return previous;
}

/** One MSI delivered to the user program (the eventfd it registered fired). */
export interface MsiEvent {
  readonly vector: number;
  readonly cycle: number;
}

/**
 * The device file a user-space program gets from vfio for an ISM function: region info,
 * pread/pwrite at `regionOffset(index) + position`, device reset, and MSI delivery as an rxjs
 * stream. Calls go through the ISM variant driver; errors come back as VfioError with the
 * errno the kernel would return (the `*Raw` forms return the kernel's ssize_t instead).
 */
export class VfioDevice {
  readonly user: UserMemory;
  private readonly msiSubject = new Subject<MsiEvent>();
  private msiSubscription: Subscription | null = null;
  private closed = false;
  /** Takes the dispose-time close back once the device is closed (see close()). */
  private unregisterDisposeClose: () => void = () => undefined;

  private constructor(
    readonly driver: VfioIsmFirmware,
    user?: UserMemory,
  ) {
    this.user = user ?? new UserMemory();
  }

  /**
   * Bind the variant driver to the function and open the device (init + open_device). The
   * driver is `options.firmware`, else the process default (`useDefaultFirmware`), else the
   * TypeScript port.
   */
  static open(zdev: ZpciDev, options: IsmVfioOptions & { user?: UserMemory; firmware?: VfioIsmFirmwareFactory } = {}): VfioDevice {
    const driver = (options.firmware ?? defaultFirmware)(zdev, options);
    const initRc = driver.init();
    if (initRc < 0) throw new VfioError(-initRc, 'vfio open: init');
    const openRc = driver.open();
    if (openRc < 0) {
      driver.release();
      throw new VfioError(-openRc, 'vfio open: open_device');
    }
    const dev = new VfioDevice(driver, options.user);
    dev.unregisterDisposeClose = zdev.insn.sim.onDispose(() => dev.close());
    return dev;
  }

  get zdev(): ZpciDev {
    return this.driver.zdev;
  }

  private requireOpen(what: string): void {
    if (this.closed) throw new VfioError(Errno.ENODEV, `${what}: device closed`);
  }

  /** A size_t count can be neither negative nor fractional: refuse it before the kernel sees it. */
  private static requireCount(what: string, count: number): void {
    if (!Number.isSafeInteger(count) || count < 0) throw new RangeError(`${what}: count ${count} must be a non-negative integer`);
  }

  /** VFIO_DEVICE_GET_REGION_INFO. */
  regionInfo(index: number): RegionInfo {
    this.requireOpen('region info');
    if (!Number.isInteger(index)) throw new RangeError(`region info: index ${index} must be an integer`);
    const { ret, info } = this.driver.getRegionInfo(index);
    if (ret < 0) throw new VfioError(-ret, `region info ${index}`);
    return info;
  }

  /**
   * pread(2) into a user buffer at `userAddress`: bytes read or -errno. Not async: the driver's
   * promise is returned as it is (an async wrapper would add a promise and a thenable job per
   * call); a refusal still rejects.
   */
  preadRaw(userAddress: number, count: number, offset: bigint): Promise<number> {
    try {
      this.requireOpen('pread');
      VfioDevice.requireCount('pread', count);
      return this.driver.read(this.user, userAddress, count, { value: offset });
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** pwrite(2) from a user buffer at `userAddress`: bytes written or -errno (not async, as preadRaw). */
  pwriteRaw(userAddress: number, count: number, offset: bigint): Promise<number> {
    try {
      this.requireOpen('pwrite');
      VfioDevice.requireCount('pwrite', count);
      return this.driver.write(this.user, userAddress, count, { value: offset });
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Read up to `count` bytes at file offset `offset`; fewer at the end of a region. */
  async pread(count: number, offset: bigint): Promise<Uint8Array> {
    this.requireOpen('pread');
    VfioDevice.requireCount('pread', count);
    const buf = this.user.allocate(count);
    const n = await this.preadRaw(buf, count, offset);
    if (n < 0) throw new VfioError(-n, `pread(${count} @ 0x${offset.toString(16)})`);
    const bytes = this.user.copyFrom(buf, n);
    return bytes as Uint8Array;
  }

  /** Write `bytes` at file offset `offset`; returns the count written. */
  async pwrite(bytes: Uint8Array, offset: bigint): Promise<number> {
    this.requireOpen('pwrite');
    const buf = this.user.allocate(bytes.length);
    this.user.copyTo(buf, bytes);
    const n = await this.pwriteRaw(buf, bytes.length, offset);
    if (n < 0) throw new VfioError(-n, `pwrite(${bytes.length} @ 0x${offset.toString(16)})`);
    return n;
  }

  /** Convenience: read from region `index` at `position`. */
  readRegion(index: number, position: bigint, count: number): Promise<Uint8Array> {
    return this.pread(count, regionOffset(index) + position);
  }

  /** Convenience: write to region `index` at `position`. */
  writeRegion(index: number, position: bigint, bytes: Uint8Array): Promise<number> {
    return this.pwrite(bytes, regionOffset(index) + position);
  }

  /** VFIO_DEVICE_RESET: a hot reset of the zPCI function (new handle, device state dropped). */
  async reset(): Promise<void> {
    this.requireOpen('reset');
    await this.zdev.hotReset();
  }

  /**
   * VFIO_DEVICE_SET_IRQS for the single MSI vector: from now on every MSI the function raises
   * is delivered on `interrupts$`.
   */
  enableMsi(): Observable<MsiEvent> {
    this.requireOpen('set irqs');
    const msi = this.zdev.msi;
    if (!msi) throw new VfioError(Errno.EINVAL, 'set irqs: function has no MSI');
    if (!this.msiSubscription) {
      const sim = this.zdev.insn.sim;
      this.msiSubscription = msi.changes$
        .pipe(
          filter((v) => v === 1),
          map(() => ({ vector: 0, cycle: sim.cycle })),
        )
        .subscribe((e) => this.msiSubject.next(e));
    }
    return this.interrupts$;
  }

  get interrupts$(): Observable<MsiEvent> {
    return this.msiSubject.asObservable();
  }

  /** close(2): the driver's close and release; interrupt delivery ends. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    // Without this the simulator's teardown list keeps every closed device, its driver and its
    // user memory alive until the run ends: a soak reopening the device after each fault grew
    // by ~3 MiB of ArrayBuffers per 25k operations (issue 13).
    this.unregisterDisposeClose();
    this.msiSubscription?.unsubscribe();
    this.msiSubscription = null;
    this.msiSubject.complete();
    this.driver.close();
    this.driver.release();
  }
}
