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

/** One instruction the driver is expected to issue for a call (busy retries not counted). */
export interface ExpectedInstruction {
  readonly kind: 'PCILG' | 'PCISTG' | 'PCISTB';
  readonly space: number;
  readonly offset: bigint;
  readonly len: number;
}

/** Largest of 8/4/2/1 that is naturally aligned at `at` and fits `left` (ism_vfio_pci_do_io_r). */
function barReadWidth(at: bigint, left: number): number {
  return naturalWidth(at, left, 8);
}

/** Largest of 4/2/1 that is naturally aligned at `at` and fits `left` (vfio_pci_config_rw_single). */
function configWidth(at: bigint, left: number): number {
  return naturalWidth(at, left, 4);
}

/** Largest power of two up to `widest` that is naturally aligned at `at` and fits `left` (one bigint step, not one per width). */
function naturalWidth(at: bigint, left: number, widest: 8 | 4): number {
  const misalignment = Number(at & 7n);
  for (let w = widest; w > 1; w >>= 1) if (left >= w && misalignment % w === 0) return w;
  return 1;
}

/**
 * The instruction sequence a successful call issues, in order: BAR reads as the naturally
 * aligned PCILG widths of drivers/vfio/pci/ism/main.c ism_vfio_pci_do_io_r; a BAR write as
 * exactly one PCISTB (ism_vfio_pci_do_io_w); config space as one access per
 * vfio_pci_config_rw_single step. A call the driver refuses issues nothing.
 */
export function expectedInstructions(f: VfioFunctionModel, offset: bigint, count: number, isWrite: boolean): ExpectedInstruction[] {
  const access = expectedAccess(f, offset, count, isWrite);
  if (access.ret <= 0) return [];
  const space = access.space!;
  if (isWrite && space !== 15) return [{ kind: 'PCISTB', space, offset: access.position!, len: access.ret }];
  const out: ExpectedInstruction[] = [];
  const kind = isWrite ? 'PCISTG' : 'PCILG';
  for (let at = access.position!, left = access.ret; left > 0; ) {
    const len = space === 15 ? configWidth(at, left) : barReadWidth(at, left);
    out.push({ kind, space, offset: at, len });
    at += BigInt(len);
    left -= len;
  }
  return out;
}

/** How the hardware answers a failing instruction. */
export type FailedAnswer = { readonly cc: 1 | 3; readonly status: number } | { readonly pic: number };

/**
 * The errno a failed instruction becomes: __zpci_load / __zpci_store_block
 * (arch/s390/pci/pci_insn.c) return -EIO for cc 1 and cc 3; a program check lands in the
 * instruction's exception-table fixup, which leaves cc = -ENXIO. Config accesses pass that errno
 * through (pci_user_read_config_* → pcibios_err_to_errno keeps a negative errno).
 */
export function errnoOfFailure(answer: FailedAnswer): number {
  return 'pic' in answer ? -Errno.ENXIO : -Errno.EIO;
}

/** A call whose instruction `at` fails with `answer`: what Linux returns and leaves behind. */
export interface ExpectedFailure {
  readonly ret: number;
  /** The instructions issued: those before the failing one, then the failing one; nothing after. */
  readonly instructions: readonly ExpectedInstruction[];
  /**
   * Bytes completed before the failure (user buffer for reads, device for config writes):
   * each step copies its bytes only after its instruction succeeded, so a failed step leaves
   * the user's buffer untouched from its position on (ISM_READ in main.c returns before
   * copy_to_user; vfio_pci_config_rw_single likewise).
   */
  readonly completed: number;
}

export function expectedFailure(instructions: readonly ExpectedInstruction[], at: number, answer: FailedAnswer): ExpectedFailure {
  const issued = instructions.slice(0, at + 1);
  const completed = issued.slice(0, at).reduce((n, i) => n + i.len, 0);
  return { ret: errnoOfFailure(answer), instructions: issued, completed };
}

/**
 * The instructions a call attempts when the user's buffer is not mapped: a BAR or config read
 * loads once, then copy_to_user fails (ISM_READ / vfio_pci_config_rw_single return -EFAULT); a
 * write copies from the user before any instruction (copy_from_user in ism_vfio_pci_do_io_w and
 * in the config write path), so it issues nothing.
 */
export function attemptedWithBadBuffer(instructions: readonly ExpectedInstruction[], isWrite: boolean): readonly ExpectedInstruction[] {
  return isWrite ? [] : instructions.slice(0, 1);
}
