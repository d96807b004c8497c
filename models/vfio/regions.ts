/**
 * vfio-pci region indices (include/uapi/linux/vfio.h) and the ISM variant driver's own region
 * layout: index << 48, because BAR 0 of an ISM function is 2^48 bytes and does not fit the
 * core's 40-bit spacing (drivers/vfio/pci/ism/main.c).
 */
export const VFIO_PCI_BAR0_REGION_INDEX = 0;
export const VFIO_PCI_BAR5_REGION_INDEX = 5;
export const VFIO_PCI_ROM_REGION_INDEX = 6;
export const VFIO_PCI_CONFIG_REGION_INDEX = 7;
export const VFIO_PCI_VGA_REGION_INDEX = 8;

export const VFIO_REGION_INFO_FLAG_READ = 1 << 0;
export const VFIO_REGION_INFO_FLAG_WRITE = 1 << 1;
export const VFIO_REGION_INFO_FLAG_MMAP = 1 << 2;

export const ISM_REGION_SHIFT = 48n;
export const ISM_REGION_MASK = (1n << ISM_REGION_SHIFT) - 1n;

/** The file offset where region `index` starts. */
export function regionOffset(index: number): bigint {
  return BigInt(index) << ISM_REGION_SHIFT;
}

/** Region index of a file offset (the bits above 48). */
export function regionIndexOf(offset: bigint): number {
  return Number(offset >> ISM_REGION_SHIFT);
}

/** Position inside the region. */
export function regionPosition(offset: bigint): bigint {
  return offset & ISM_REGION_MASK;
}

export interface RegionInfo {
  readonly index: number;
  readonly offset: bigint;
  readonly size: bigint;
  readonly flags: number;
}
