import type { ZpciDev } from '../linux/zpci-dev.ts';
import type { FilePosition, IsmVfioOptions } from './ism-vfio-pci.ts';
import type { RegionInfo } from './regions.ts';
import type { UserMemory } from './user-memory.ts';

/**
 * What the vfio device file needs from the variant driver bound to an ISM function: the
 * vfio_device_ops it calls. The TypeScript port (IsmVfioPciDevice) is the default; a C driver
 * compiled to WebAssembly (models/cosim) is the other. Returns follow the kernel: a byte count,
 * or a negative errno.
 */
export interface VfioIsmFirmware {
  readonly zdev: ZpciDev;
  readonly isOpen: boolean;
  /** Probe and ops->init. */
  init(): number;
  /** ops->release and remove. */
  release(): void;
  open(): number;
  close(): void;
  getRegionInfo(index: number): { ret: number; info: RegionInfo };
  read(user: UserMemory, buf: number, count: number, ppos: FilePosition): Promise<number>;
  write(user: UserMemory, buf: number, count: number, ppos: FilePosition): Promise<number>;
}

/** Binds a firmware to a function (one instance per opened device). */
export type VfioIsmFirmwareFactory = (zdev: ZpciDev, options: IsmVfioOptions) => VfioIsmFirmware;
