/**
 * Per-function parameters of a zPCI function, as firmware would report them through CLP
 * (List PCI / Query PCI Function / Query PCI Function Group; spec §2 and §7).
 */
export interface FunctionConfig {
  /** Static function ID (CLP List PCI). */
  readonly fid: number;
  /**
   * Initial function handle (32 bits). Bit 31 is the enable bit; bits 30..24 the instance,
   * bumped by every enable; bits 23..0 identify the function (QEMU s390-pci-bus.h FH_MASK_*).
   */
  readonly fh: number;
  /** PCI function type (CLP); ISM is 5 (pci_clp.h PCI_FUNC_TYPE_ISM). */
  readonly pft: number;
  /** Maximum PCISTB length in bytes: the 13-bit CLP group field (spec §7). Generic 128, ISM 4096. */
  readonly maxstbl: number;
  /**
   * ISM's relaxed PCISTB rules (spec §10, vfio-ism note): any length 1..maxstbl, any offset and
   * source alignment; the 4 KiB crossing on the PCI side is still a specification exception.
   */
  readonly relaxedAlignment: boolean;
  /** Whether the function supports the MIO instruction forms (ISM: false, spec §8). */
  readonly mioCapable: boolean;
  /** MIO address of BAR 0's window; BAR i starts at mioBase + i * MIO_BAR_STRIDE. */
  readonly mioBase: bigint;
  /** Size of BARs 0..5 in bytes; 0n = not implemented. */
  readonly barSizes: readonly bigint[];
  /** Configuration space size (256 or 4096). */
  readonly configSize: number;
  /**
   * Reject a PCISTB whose source block crosses 4 KiB in guest storage (specification exception,
   * check row 0x12). Off by default for every function kind: Linux issues such stores in normal
   * operation (net/smc/smc_tx.c smcd_tx_rdma_writes moves from sndbuf + src_off to DMB offset
   * +32; drivers/s390/net/ism_drv.c ism_move splits only at target 4 KiB boundaries and stores
   * from the caller's buffer; arch/s390/include/asm/pci_io.h zpci_get_max_io_size bounds only
   * the PCI side) and QEMU's pcistb_service_call (hw/s390x/s390-pci-inst.c) has no such check.
   * Set it to test a driver against the stricter assumption the vfio-ism reviewers made.
   */
  readonly sourceBoundaryCheck: boolean;
}

/** Distance between consecutive BAR windows in the MIO address space (our choice). */
export const MIO_BAR_STRIDE = 1n << 36n;

/** A generic (strict-rules) PCI function: QEMU's default group, maxstbl 128. */
export function genericFunctionConfig(overrides: Partial<FunctionConfig> = {}): FunctionConfig {
  return validate({
    fid: 0x100,
    fh: 0x0001_0100,
    pft: 0,
    maxstbl: 128,
    relaxedAlignment: false,
    mioCapable: false,
    mioBase: 0x4000_0000_0000_0000n,
    barSizes: [1n << 16n, 0n, 1n << 14n, 0n, 0n, 0n],
    configSize: 4096,
    sourceBoundaryCheck: false,
    ...overrides,
  });
}

/** An ISM function: relaxed PCISTB, maxstbl 4096, no MIO. */
export function ismFunctionConfig(overrides: Partial<FunctionConfig> = {}): FunctionConfig {
  return validate({
    fid: 0x200,
    fh: 0x0001_0200,
    pft: 5,
    maxstbl: 4096,
    relaxedAlignment: true,
    mioCapable: false,
    mioBase: 0x4000_0000_0000_0000n,
    barSizes: [1n << 20n, 0n, 1n << 13n, 0n, 0n, 0n],
    configSize: 4096,
    sourceBoundaryCheck: false,
    ...overrides,
  });
}

function validate(c: FunctionConfig): FunctionConfig {
  if (!Number.isInteger(c.maxstbl) || c.maxstbl < 1 || c.maxstbl > 0x1fff) {
    throw new RangeError(`maxstbl ${c.maxstbl} must fit the 13-bit CLP field (1..8191)`);
  }
  if (!Number.isInteger(c.fh) || c.fh < 0 || c.fh > 0xffff_ffff) throw new RangeError(`fh ${c.fh} is not a 32-bit handle`);
  if (c.barSizes.length !== 6) throw new RangeError('barSizes must list BARs 0..5');
  if (c.configSize !== 256 && c.configSize !== 4096) throw new RangeError('configSize must be 256 or 4096');
  return c;
}
