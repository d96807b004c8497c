import { bigEndianToBytes } from '../../rtl/bytes.ts';
import { PAGE_SIZE } from '../host/guest-memory.ts';
import { Errno } from '../linux/errno.ts';
import { createRequest } from '../linux/zpci.ts';
import type { ZpciDev } from '../linux/zpci-dev.ts';
import {
  VFIO_PCI_BAR0_REGION_INDEX,
  VFIO_PCI_BAR5_REGION_INDEX,
  VFIO_PCI_CONFIG_REGION_INDEX,
  VFIO_REGION_INFO_FLAG_READ,
  VFIO_REGION_INFO_FLAG_WRITE,
  regionIndexOf,
  regionOffset,
  regionPosition,
  type RegionInfo,
} from './regions.ts';
import { vfioPciConfigRwSingle, vfioPciCoreCloseDevice, vfioPciCoreEnable } from './pci-core.ts';
import { StoreBlockCache } from './store-block-cache.ts';
import type { UserMemory } from './user-memory.ts';

/**
 * Faults a test can plant in the driver to prove the property tests catch them. Never set
 * outside tests.
 */
export type PlantedFault =
  /** Forget the 4 KiB boundary check on writes. */
  | 'skip-boundary-check'
  /** Issue reads as 8-byte loads even when the offset is not 8-aligned. */
  | 'unaligned-reads';

export interface IsmVfioOptions {
  /** At most this many store-block buffers may exist (memory pressure; -ENOMEM beyond). */
  readonly storeBlockLimit?: number;
  readonly plantedFault?: PlantedFault;
}

/** A read step's size (1, 2, 4 or 8) as the bigint the position advances by, made once. */
const STEPS = [0n, 1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n];

/** A file position that the read/write paths advance, like loff_t *ppos. */
export interface FilePosition {
  value: bigint;
}

/**
 * The vfio-pci variant driver for ISM, ported from drivers/vfio/pci/ism/main.c: its own region
 * layout at bit 48, BAR reads as naturally aligned 8/4/2/1-byte PCILGs, BAR writes as exactly
 * one PCISTB from a page-aligned bounce buffer, config space one access at a time. Returns
 * follow the kernel: a byte count, or a negative errno.
 */
export class IsmVfioPciDevice {
  private cache: StoreBlockCache | null = null;
  private opened = false;

  constructor(
    readonly zdev: ZpciDev,
    private readonly options: IsmVfioOptions = {},
  ) {}

  get storeBlockCache(): StoreBlockCache | null {
    return this.cache;
  }

  /** ism_vfio_pci_init_dev: create the per-device store-block cache; the core init itself cannot fail here. */
  init(): number {
    const name = `ism_sb_fid_${this.zdev.fid.toString(16).padStart(8, '0')}`;
    this.cache = new StoreBlockCache(name, this.zdev.maxstbl, this.zdev.pages, this.options.storeBlockLimit);
    return 0;
  }

  /** ism_vfio_pci_release_dev: destroy the cache, then the core release. */
  release(): void {
    this.cache?.destroy();
    this.cache = null;
  }

  /**
   * ism_vfio_pci_open_device: vfio_pci_core_enable (enable, try a function reset), then
   * finish_enable (mmap/VGA bookkeeping, not modelled).
   */
  open(): number {
    const ret = vfioPciCoreEnable(this.zdev);
    if (ret < 0) return ret;
    this.opened = true;
    return 0;
  }

  /** close_device is the core's: disable and reset, so nothing the user registered survives. */
  close(): void {
    if (this.opened) vfioPciCoreCloseDevice(this.zdev);
    this.opened = false;
  }

  get isOpen(): boolean {
    return this.opened;
  }

  /** ism_vfio_pci_ioctl_get_region_info. */
  getRegionInfo(index: number): { ret: number; info: RegionInfo } {
    if (index === VFIO_PCI_CONFIG_REGION_INDEX) {
      return {
        ret: 0,
        info: { index, offset: regionOffset(index), size: BigInt(this.zdev.cfgSize), flags: VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE },
      };
    }
    if (index >= VFIO_PCI_BAR0_REGION_INDEX && index <= VFIO_PCI_BAR5_REGION_INDEX) {
      const size = this.zdev.barLength(index);
      const flags = size === 0n ? 0 : VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
      return { ret: 0, info: { index, offset: regionOffset(index), size, flags } };
    }
    return { ret: -Errno.EINVAL, info: { index, offset: 0n, size: 0n, flags: 0 } };
  }

  read(user: UserMemory, buf: number, count: number, ppos: FilePosition): Promise<number> {
    return this.rw(user, buf, count, ppos, false);
  }

  write(user: UserMemory, buf: number, count: number, ppos: FilePosition): Promise<number> {
    return this.rw(user, buf, count, ppos, true);
  }

  /** ism_vfio_pci_rw: count 0 does nothing; config index, BAR indices, anything else -EINVAL. */
  private rw(user: UserMemory, buf: number, count: number, ppos: FilePosition, isWrite: boolean): Promise<number> {
    // Not async: the region's promise is returned as it is (no wrapper promise and thenable job per call).
    if (count === 0) return Promise.resolve(0);
    const index = regionIndexOf(ppos.value);
    if (index === VFIO_PCI_CONFIG_REGION_INDEX) return this.configRw(user, buf, count, ppos, isWrite);
    if (index >= VFIO_PCI_BAR0_REGION_INDEX && index <= VFIO_PCI_BAR5_REGION_INDEX) return this.barRw(user, buf, count, ppos, isWrite);
    return Promise.resolve(-Errno.EINVAL);
  }

  /** ism_vfio_pci_bar_rw: BAR present, position inside, count clamped; position advanced on success. */
  private async barRw(user: UserMemory, buf: number, count: number, ppos: FilePosition, isWrite: boolean): Promise<number> {
    const bar = regionIndexOf(ppos.value);
    const pos = regionPosition(ppos.value);
    if (!this.zdev.barPresent(bar)) return -Errno.EINVAL;
    const end = this.zdev.barLength(bar);
    if (pos >= end) return -Errno.EINVAL;
    const clamped = BigInt(count) > end - pos ? Number(end - pos) : count;
    const done = isWrite ? await this.doIoWrite(user, buf, pos, clamped, bar) : await this.doIoRead(user, buf, pos, clamped, bar);
    if (done >= 0) ppos.value += BigInt(done);
    return done;
  }

  /** Largest of 8/4/2/1 that fits what is left and is naturally aligned at `off`. */
  private readSize(off: bigint, left: number): number {
    if (this.options.plantedFault === 'unaligned-reads' && left >= 8) return 8;
    const misalignment = Number(off & 7n);
    for (let size = 8; size > 1; size >>= 1) if (left >= size && misalignment % size === 0) return size;
    return 1;
  }

  /** ism_vfio_pci_do_io_r with ism_read##size: one PCILG per step; the first failure is returned as it is. */
  private async doIoRead(user: UserMemory, buf: number, off: bigint, count: number, bar: number): Promise<number> {
    let done = 0;
    let left = count;
    let at = off;
    while (left > 0) {
      const size = this.readSize(at, left);
      const { rc, data } = await this.zdev.insn.load(createRequest(this.zdev.fh, bar, size), at);
      if (rc !== 0) return rc;
      // The loaded bytes sit right-aligned in the register; the low `size` bytes, big-endian, are the data.
      const bytes = bigEndianToBytes(data, size);
      if (user.copyTo(buf + done, bytes) !== 0) return -Errno.EFAULT;
      left -= size;
      done += size;
      at += STEPS[size];
    }
    return done;
  }

  /** ism_vfio_pci_do_io_w: maxstbl and 4 KiB checks, one cache buffer, exactly one PCISTB. */
  private async doIoWrite(user: UserMemory, buf: number, off: bigint, count: number, bar: number): Promise<number> {
    if (count > this.zdev.maxstbl) return -Errno.EINVAL;
    if (this.options.plantedFault !== 'skip-boundary-check' && Number(off % BigInt(PAGE_SIZE)) + count > PAGE_SIZE) return -Errno.EINVAL;
    const cache = this.cache;
    const block = cache?.allocate() ?? null;
    if (block === null) return -Errno.ENOMEM;
    try {
      const bytes = user.copyFrom(buf, count);
      if (typeof bytes === 'number') return bytes;
      this.zdev.memory.write(block, bytes);
      const rc = await this.zdev.insn.storeBlock(block, createRequest(this.zdev.fh, bar, count), off);
      return rc !== 0 ? rc : count;
    } finally {
      cache!.free(block);
    }
  }

  /**
   * Config space: the position is masked to 48 bits, then the core's single accesses
   * (vfio_pci_config_rw_single) until done.
   */
  private async configRw(user: UserMemory, buf: number, count: number, ppos: FilePosition, isWrite: boolean): Promise<number> {
    let pos = regionPosition(ppos.value);
    let done = 0;
    while (done < count) {
      const ret = await vfioPciConfigRwSingle(this.zdev, user, buf + done, count - done, pos, isWrite);
      if (ret < 0) return ret;
      done += ret;
      pos += BigInt(ret);
    }
    ppos.value += BigInt(done);
    return done;
  }
}
