/**
 * Architectural constants of the zPCI load/store instructions: operation encodings on the CPU
 * port, condition codes, status codes, program-interruption codes, function-handle bits and
 * function states. Values from arch/s390/include/asm/pci_insn.h (Linux), include/hw/s390x/
 * s390-pci-inst.h and s390-pci-bus.h (QEMU) and target/s390x/cpu.h (QEMU PIC values), as
 * summarised in /work/shared/spec/zpci.md §1–§3.
 */

/** Operation on `req_op`. The MIO forms address the function by MIO address instead of a handle. */
export const Op = {
  PCILG: 0,
  PCISTG: 1,
  PCISTB: 2,
  PCILG_MIO: 3,
  PCISTG_MIO: 4,
  PCISTB_MIO: 5,
} as const;
export type Op = (typeof Op)[keyof typeof Op];

export const OP_NAMES: Record<number, string> = {
  0: 'PCILG',
  1: 'PCISTG',
  2: 'PCISTB',
  3: 'PCILG(MIO)',
  4: 'PCISTG(MIO)',
  5: 'PCISTB(MIO)',
};

export function isMio(op: number): boolean {
  return op >= Op.PCILG_MIO;
}
/** The function-handle form an op is a variant of (MIO forms map to their FH twin). */
export function baseOp(op: number): number {
  return op >= Op.PCILG_MIO ? op - 3 : op;
}

/** Condition codes (pci_insn.h): 0 OK, 1 error with status, 2 busy, 3 invalid handle / not available. */
export const CC = { OK: 0, ERROR: 1, BUSY: 2, INVALID: 3 } as const;

/** Load/store status codes written to bits 24–31 of the request register (pci_insn.h). */
export const Status = {
  NONE: 0,
  FUNC_NOT_ENABLED: 4,
  FUNC_IN_ERR: 8,
  BLOCKED: 12,
  INSUF_RES: 16,
  INVAL_AS: 20,
  FUNC_ALREADY_ENABLED: 24,
  DMA_AS_NOT_ENABLED: 28,
  SECOND_OP_IN_INV_AS: 36,
  FUNC_NOT_AVAIL: 40,
  ALREADY_IN_RQ_STATE: 44,
} as const;

/** Program-interruption codes (QEMU target/s390x/cpu.h). 0 on the port means "no exception". */
export const Pic = {
  NONE: 0x00,
  OPERATION: 0x01,
  PRIVILEGED: 0x02,
  PROTECTION: 0x04,
  ADDRESSING: 0x05,
  SPECIFICATION: 0x06,
  OPERAND: 0x15,
} as const;

export const PIC_NAMES: Record<number, string> = {
  0x01: 'operation',
  0x02: 'privileged-operation',
  0x04: 'protection',
  0x05: 'addressing',
  0x06: 'specification',
  0x15: 'operand',
};

/** Function-handle layout (QEMU include/hw/s390x/s390-pci-bus.h; Linux zdev_enabled tests bit 31). */
export const FH_ENABLE = 0x8000_0000;
export const FH_INSTANCE_MASK = 0x7f00_0000;
export const FH_INSTANCE_SHIFT = 24;
export const FH_LOW_MASK = 0x00ff_ffff;

/** Address spaces: 0..5 are BARs, 15 is configuration space (pci_insn.h ZPCI_PCIAS_*). */
export const PCIAS_BAR_MAX = 5;
export const PCIAS_CONFIG = 15;

/** The PCI-side integral boundary a block may not cross (pci_io.h ZPCI_BOUNDARY_SIZE). */
export const BOUNDARY = 4096;

/** Function states (QEMU s390-pci-bus.h, minus RESERVED/STANDBY which have no handle). */
export const FunctionState = {
  DISABLED: 0,
  ENABLED: 1,
  BLOCKED: 2,
  ERROR: 3,
  PERMANENT_ERROR: 4,
} as const;
export type FunctionState = (typeof FunctionState)[keyof typeof FunctionState];
export const STATE_NAMES: Record<number, string> = {
  0: 'DISABLED',
  1: 'ENABLED',
  2: 'BLOCKED',
  3: 'ERROR',
  4: 'PERMANENT_ERROR',
};

/**
 * Which row of the check table (spec §11) decided an instruction, shown on the waveform as
 * `pfu.chk_row`. Rows 0x10+ are our additions where the spec is open.
 */
export const CheckRow = {
  PASSED: 0,
  PROBLEM_STATE: 1,
  R2_ODD: 2,
  FH_NOT_ENABLED: 3,
  FH_MISMATCH: 4,
  FUNC_ERROR: 5,
  BAD_AS: 6,
  BAR_LEN: 7,
  CFG_LEN: 8,
  CFG_OUT_OF_RANGE: 9,
  STB_OFFSET_ALIGN: 10,
  STB_LENGTH: 11,
  STB_PCI_BOUNDARY: 12,
  STB_SOURCE_ALIGN: 13,
  DEVICE_REGION: 14,
  STORAGE_ACCESS: 15,
  /** Our choice: MIO form issued to a function that does not support MIO. */
  MIO_UNSUPPORTED: 0x10,
  /** Our choice: MIO address outside every BAR window of the function. */
  MIO_NO_FUNCTION: 0x11,
  /** Option (FunctionConfig.sourceBoundaryCheck, off by default): PCISTB source block crosses 4 KiB in guest storage. */
  STB_SOURCE_BOUNDARY: 0x12,
} as const;
