import { Errno } from '../linux/errno.ts';
import {
  VFIO_PCI_BAR5_REGION_INDEX,
  VFIO_PCI_CONFIG_REGION_INDEX,
  VFIO_REGION_INFO_FLAG_READ,
  VFIO_REGION_INFO_FLAG_WRITE,
  regionIndexOf,
  regionOffset,
  regionPosition,
  type RegionInfo,
} from '../vfio/regions.ts';

/** The function as the reference sees it: the limits that decide every vfio-ism call. */
export interface VfioFunctionModel {
  readonly maxstbl: number;
  readonly barSizes: readonly bigint[];
  readonly cfgSize: number;
}

/** What a call should do: its return value, and which device bytes it covers when it succeeds. */
export interface ExpectedAccess {
  /** Bytes transferred, or -errno. */
  readonly ret: number;
  /** Address space (0..5 BAR, 15 config) and position of the bytes moved, when ret > 0. */
  readonly space?: number;
  readonly position?: bigint;
}

const PAGE = 4096n;

/**
 * Transaction-level reference of drivers/vfio/pci/ism/main.c's read/write/region-info
 * decisions, written from the spec's behaviour map (/work/shared/spec/vfio-ism.md), not from
 * the port: the scoreboard of the vfio property tests.
 */
export function expectedAccess(f: VfioFunctionModel, offset: bigint, count: number, isWrite: boolean): ExpectedAccess {
  if (count === 0) return { ret: 0 };
  const index = regionIndexOf(offset);
  const position = regionPosition(offset);
  if (index === VFIO_PCI_CONFIG_REGION_INDEX) {
    if (position + BigInt(count) > BigInt(f.cfgSize)) return { ret: -Errno.EFAULT };
    return { ret: count, space: 15, position };
  }
  if (index > VFIO_PCI_BAR5_REGION_INDEX) return { ret: -Errno.EINVAL };
  const size = f.barSizes[index];
  if (size === 0n || position >= size) return { ret: -Errno.EINVAL };
  const n = Number(BigInt(count) < size - position ? BigInt(count) : size - position);
  if (isWrite) {
    if (n > f.maxstbl) return { ret: -Errno.EINVAL };
    if ((position % PAGE) + BigInt(n) > PAGE) return { ret: -Errno.EINVAL };
  }
  return { ret: n, space: index, position };
}

export function expectedRegionInfo(f: VfioFunctionModel, index: number): { ret: number; info: RegionInfo } {
  const rw = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
  if (index === VFIO_PCI_CONFIG_REGION_INDEX) return { ret: 0, info: { index, offset: regionOffset(index), size: BigInt(f.cfgSize), flags: rw } };
  if (index >= 0 && index <= VFIO_PCI_BAR5_REGION_INDEX) {
    const size = f.barSizes[index];
    return { ret: 0, info: { index, offset: regionOffset(index), size, flags: size === 0n ? 0 : rw } };
  }
  return { ret: -Errno.EINVAL, info: { index, offset: 0n, size: 0n, flags: 0 } };
}
