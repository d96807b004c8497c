import { Errno } from '../../models/linux/errno.ts';
import type { VfioIsmFirmware, VfioIsmFirmwareFactory } from '../../models/vfio/firmware.ts';
import { IsmVfioPciDevice, type FilePosition } from '../../models/vfio/ism-vfio-pci.ts';
import { regionIndexOf, regionPosition } from '../../models/vfio/regions.ts';
import { createRequest } from '../../models/linux/zpci.ts';
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
  | 'split-writes'
  /** Stores from a buffer that starts 8 bytes before a page end (the hardware accepts it by default). */
  | 'store-buffer-crosses-page';

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
    if (!isBar(ppos) || this.bug === 'stale-bytes-on-failed-load' || this.bug === 'byte-wise-reads' || this.bug === 'load-after-failure') {
      return this.inner.write(user, buf, count, ppos);
    }
    const zdev = this.inner.zdev;
    const bar = regionIndexOf(ppos.value);
    const end = zdev.barLength(bar);
    const pos = regionPosition(ppos.value);
    const n = pos < end && BigInt(count) > end - pos ? Number(end - pos) : count;
    if (this.bug === 'store-buffer-crosses-page') {
      // The checks pass through the real driver first (a refused write issues nothing either way).
      if (n <= 8 || n > zdev.maxstbl || Number(pos % 4096n) + n > 4096 || pos >= end) return this.inner.write(user, buf, count, ppos);
      const bytes = user.copyFrom(buf, n);
      if (typeof bytes === 'number') return bytes;
      const pages = zdev.pages.allocate(2 * 4096);
      const source = pages + 4096 - 8;
      zdev.memory.write(source, bytes);
      const rc = await zdev.insn.storeBlock(source, createRequest(zdev.fh, bar, n), pos);
      zdev.pages.release(pages);
      if (rc < 0) return rc;
      ppos.value += BigInt(n);
      return n;
    }
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
