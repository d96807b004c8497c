import { Errno } from '../../models/linux/errno.ts';
import type { VfioIsmFirmware, VfioIsmFirmwareFactory } from '../../models/vfio/firmware.ts';
import { IsmVfioPciDevice, type FilePosition } from '../../models/vfio/ism-vfio-pci.ts';
import { regionIndexOf, regionPosition } from '../../models/vfio/regions.ts';
import type { UserMemory } from '../../models/vfio/user-memory.ts';

/**
 * Driver bugs a test plants around the vfio-ism port, to prove the fuzzer's oracle catches each
 * kind. Every one still returns what the reference expects on the happy path; only the
 * instructions issued or the user's buffer after a failure give it away.
 */
export type PlantedDriverBug =
  /** The v5-era bug: a failed load still copies a stale value into the user's buffer. */
  | 'stale-bytes-on-failed-load'
  /** Reads BAR bytes one PCILG at a time (right data, wrong widths). */
  | 'byte-wise-reads'
  /** After a failed read, issues one more load before returning the error. */
  | 'load-after-failure'
  /** Writes a BAR block as two PCISTBs (right bytes, broken doorbell semantics). */
  | 'split-writes';

const isBar = (ppos: FilePosition): boolean => regionIndexOf(ppos.value) <= 5;

class PlantedFirmware implements VfioIsmFirmware {
  constructor(
    private readonly inner: IsmVfioPciDevice,
    private readonly bug: PlantedDriverBug,
  ) {}
  get zdev() {
    return this.inner.zdev;
  }
  get isOpen() {
    return this.inner.isOpen;
  }
  init(): number {
    return this.inner.init();
  }
  release(): void {
    this.inner.release();
  }
  open(): number {
    return this.inner.open();
  }
  close(): void {
    this.inner.close();
  }
  getRegionInfo(index: number) {
    return this.inner.getRegionInfo(index);
  }

  async read(user: UserMemory, buf: number, count: number, ppos: FilePosition): Promise<number> {
    if (this.bug === 'byte-wise-reads' && isBar(ppos) && count > 1) {
      let done = 0;
      while (done < count) {
        const rc = await this.inner.read(user, buf + done, 1, ppos);
        if (rc < 0) return done > 0 && rc === -22 ? done : rc;
        if (rc === 0) break;
        done += rc;
      }
      return done;
    }
    const start = ppos.value;
    const rc = await this.inner.read(user, buf, count, ppos);
    // Only an instruction that failed (-EIO for cc 1/3, -ENXIO for a program check) plants the bug.
    if ((rc !== -Errno.EIO && rc !== -Errno.ENXIO) || !isBar(ppos)) return rc;
    if (this.bug === 'stale-bytes-on-failed-load') user.copyTo(buf + count - 1, Uint8Array.of(0x11));
    if (this.bug === 'load-after-failure') await this.inner.read(user, buf, 1, { value: start });
    return rc;
  }

  async write(user: UserMemory, buf: number, count: number, ppos: FilePosition): Promise<number> {
    if (this.bug !== 'split-writes' || !isBar(ppos)) return this.inner.write(user, buf, count, ppos);
    const end = this.inner.zdev.barLength(regionIndexOf(ppos.value));
    const pos = regionPosition(ppos.value);
    const n = pos < end && BigInt(count) > end - pos ? Number(end - pos) : count;
    if (n < 2) return this.inner.write(user, buf, count, ppos);
    const half = n >> 1;
    const first = await this.inner.write(user, buf, half, ppos);
    if (first < 0) return first;
    const second = await this.inner.write(user, buf + half, n - half, ppos);
    return second < 0 ? second : first + second;
  }
}

export function plantedFirmware(bug: PlantedDriverBug): VfioIsmFirmwareFactory {
  return (zdev, options) => new PlantedFirmware(new IsmVfioPciDevice(zdev, options), bug);
}
