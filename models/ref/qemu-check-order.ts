/**
 * An independent replay of how QEMU's zPCI load/store service calls decide an instruction
 * (qemu/qemu hw/s390x/s390-pci-inst.c: pcilg_service_call, pcistg_service_call,
 * pcistb_service_call), written as QEMU's control flow runs — one early exit per check, in
 * QEMU's order — rather than as a table, so that it can be held against the function unit's
 * check table (rtl/zpci/README.md) and the table-driven reference (zpci-reference.ts).
 *
 * It replays only what QEMU itself decides. Where QEMU hands the access to its MemoryRegion
 * layer (a BAR the function does not implement, an access past a BAR) the outcome is that
 * layer's, not a rule, and the replay says so ('memory-region'). Where QEMU's behaviour is an
 * accident of its helpers, the replay reproduces the accident so the difference is visible:
 * PCILG/PCISTG of length 3, 5, 6, 7 move `1 << ctz(len)` bytes (size_memop), config offsets
 * are truncated to 32 bits (pci_host_config_read/write_common take a uint32_t address), and a
 * config load past the end yields 0xFFFFFFFF whatever the length (only 2 and 4 are byte-swapped).
 */

/** Program-interruption codes QEMU raises here (target/s390x/cpu.h PGM_*). */
const PGM_PRIVILEGED = 0x02;
const PGM_ADDRESSING = 0x05;
const PGM_SPECIFICATION = 0x06;
const PGM_OPERAND = 0x15;
/** Condition codes and status (include/hw/s390x/s390-pci-inst.h ZPCI_PCI_LS_*, ZPCI_PCI_ST_*). */
const LS_ERR = 1;
const LS_INVAL_HANDLE = 3;
const ST_BLOCKED = 12;
const ST_INVAL_AS = 20;
const FH_MASK_ENABLE = 0x8000_0000;
const IO_BAR_MAX = 5;
const CONFIG_BAR = 15;

export type QemuOp = 'PCILG' | 'PCISTG' | 'PCISTB';

/** The one function QEMU would find, as its S390PCIBusDevice holds it. */
export interface QemuFunctionView {
  readonly fh: number;
  /** In the error state (ZPCI_FS_ERROR or ZPCI_FS_PERMANENT_ERROR); BLOCKED is not. */
  readonly inError: boolean;
  readonly maxstbl: number;
  readonly barSizes: readonly bigint[];
  readonly configSize: number;
}

export interface QemuInstruction {
  readonly op: QemuOp;
  readonly problemState: boolean;
  /** PCILG/PCISTG: the r2 field names an odd register. */
  readonly r2Odd: boolean;
  readonly fh: number;
  readonly pcias: number;
  /** The request word's length field as issued; each call decodes its own width of it. */
  readonly len: number;
  readonly offset: bigint;
  /** PCISTB source address. */
  readonly gaddr: bigint;
}

/** Which check decided (the names of QEMU's early exits). */
export type QemuCheck =
  | 'problem-state'
  | 'r2-odd'
  | 'fh-enable'
  | 'fh-unknown'
  | 'function-error'
  | 'address-space'
  | 'bar-length'
  | 'config-length'
  | 'stb-offset'
  | 'stb-length'
  | 'stb-4k'
  | 'stb-source-align'
  | 'memory-region'
  | 'storage'
  | 'bar-access'
  | 'config-access'
  | 'block-access';

export type QemuDecision =
  | { readonly check: QemuCheck; readonly kind: 'program'; readonly code: number }
  | { readonly check: QemuCheck; readonly kind: 'cc'; readonly cc: number; readonly status: number }
  /** QEMU's MemoryRegion layer decides (no rule to replay). */
  | { readonly check: 'memory-region'; readonly kind: 'memory-region' }
  /** cc 0: `width` bytes at `offset` of BAR `pcias` are read or written. */
  | { readonly check: 'bar-access'; readonly kind: 'bar'; readonly pcias: number; readonly offset: bigint; readonly width: number }
  /**
   * cc 0: config access of `len` bytes at the 32-bit `offset` QEMU uses; past the end a load
   * yields `pastEndValue` and a store is dropped.
   */
  | { readonly check: 'config-access'; readonly kind: 'config'; readonly offset: number; readonly len: number; readonly pastEnd: boolean; readonly pastEndValue: bigint }
  /** cc 0: `len` bytes from guest `gaddr` are stored at `offset` of BAR `pcias`. */
  | { readonly check: 'block-access'; readonly kind: 'block'; readonly pcias: number; readonly offset: bigint; readonly len: number };

const program = (check: QemuCheck, code: number): QemuDecision => ({ check, kind: 'program', code });
const cc = (check: QemuCheck, value: number, status = 0): QemuDecision => ({ check, kind: 'cc', cc: value, status });

/** size_memop(len): the MemOp of the largest power of two dividing len, as a byte count. */
function memopBytes(len: number): number {
  return len & -len;
}

/** The handle and state checks every call makes after decoding (enable bit, lookup, error state). */
function handleChecks(fn: QemuFunctionView, fh: number): QemuDecision | null {
  if ((fh & FH_MASK_ENABLE) === 0) return cc('fh-enable', LS_INVAL_HANDLE);
  if (fh >>> 0 !== fn.fh >>> 0) return cc('fh-unknown', LS_INVAL_HANDLE);
  if (fn.inError) return cc('function-error', LS_ERR, ST_BLOCKED);
  return null;
}

/** pcilg_service_call / pcistg_service_call: the same order, the load or store at the end. */
function loadOrStore(fn: QemuFunctionView, insn: QemuInstruction): QemuDecision {
  if (insn.problemState) return program('problem-state', PGM_PRIVILEGED);
  if (insn.r2Odd) return program('r2-odd', PGM_SPECIFICATION);
  const len = insn.len & 0xf;
  const offset = BigInt.asUintN(64, insn.offset);
  const handle = handleChecks(fn, insn.fh);
  if (handle) return handle;
  if (insn.pcias <= IO_BAR_MAX) {
    if (len === 0 || len > 8 - Number(offset & 7n)) return program('bar-length', PGM_OPERAND);
    const size = fn.barSizes[insn.pcias] ?? 0n;
    if (size === 0n || offset + BigInt(len) > size) return { check: 'memory-region', kind: 'memory-region' };
    return { check: 'bar-access', kind: 'bar', pcias: insn.pcias, offset, width: memopBytes(len) };
  }
  if (insn.pcias === CONFIG_BAR) {
    if (len === 0 || len > 4 - Number(offset & 3n) || len === 3) return program('config-length', PGM_OPERAND);
    const at = Number(offset & 0xffff_ffffn);
    // pci_host_config_read_common answers ~0 (32 bits) past the limit; only lengths 2 and 4 are swapped (and so cut).
    const pastEndValue = len === 2 ? 0xffffn : 0xffff_ffffn;
    return { check: 'config-access', kind: 'config', offset: at, len, pastEnd: at >= fn.configSize, pastEndValue };
  }
  return cc('address-space', LS_ERR, ST_INVAL_AS);
}

/** pcistb_service_call: no register-pair check; BARs only; the strict length and alignment rules. */
function storeBlock(fn: QemuFunctionView, insn: QemuInstruction, storageSize: number): QemuDecision {
  if (insn.problemState) return program('problem-state', PGM_PRIVILEGED);
  const len = insn.len & 0x1fff;
  const offset = BigInt.asUintN(64, insn.offset);
  const handle = handleChecks(fn, insn.fh);
  if (handle) return handle;
  if (insn.pcias > IO_BAR_MAX) return cc('address-space', LS_ERR, ST_INVAL_AS);
  if (offset % 8n !== 0n) return program('stb-offset', PGM_SPECIFICATION);
  if (len <= 8 || len % 8 !== 0 || len > fn.maxstbl) return program('stb-length', PGM_SPECIFICATION);
  if (Number(offset & 0xfffn) + len > 0x1000) return program('stb-4k', PGM_SPECIFICATION);
  if ((insn.gaddr & 7n) !== 0n) return program('stb-source-align', PGM_SPECIFICATION);
  const size = fn.barSizes[insn.pcias] ?? 0n;
  if (size === 0n || offset + BigInt(len) > size) return { check: 'memory-region', kind: 'memory-region' };
  if (insn.gaddr < 0n || insn.gaddr + BigInt(len) > BigInt(storageSize)) return program('storage', PGM_ADDRESSING);
  return { check: 'block-access', kind: 'block', pcias: insn.pcias, offset, len };
}

/** What QEMU decides for `insn` on `fn`, with `storageSize` bytes of guest storage. */
export function qemuDecide(fn: QemuFunctionView, insn: QemuInstruction, storageSize: number): QemuDecision {
  return insn.op === 'PCISTB' ? storeBlock(fn, insn, storageSize) : loadOrStore(fn, insn);
}
