import type { Simulator } from '../../rtl/hdl/simulator.ts';
import { DEFAULT_TIMING } from '../../rtl/timing.ts';
import { ProgramException, type Cpu } from '../host/cpu.ts';
import { Errno } from './errno.ts';

/**
 * The arch/s390 zPCI helpers the firmware is built on, in the model's own words:
 * request word, function-handle-form load / store / store block with the busy retry, and the
 * config-space accessors. Behaviour from arch/s390/pci/pci_insn.c, arch/s390/include/asm/
 * pci_io.h and arch/s390/pci/pci.c (see /work/shared/spec/zpci.md §4, §6).
 */

/** ZPCI_CREATE_REQ: handle << 32 | address space << 16 | length (pci_io.h). */
export function createRequest(fh: number, space: number, len: number): bigint {
  // Drivers issue the same request word again and again: the last one is kept rather than rebuilt
  // from five bigint temporaries.
  const last = lastRequest;
  if (last.fh === fh && last.space === space && last.len === len) return last.req;
  const req = (BigInt(fh >>> 0) << 32n) | (BigInt(space & 0xff) << 16n) | BigInt(len & 0xffff);
  lastRequest = { fh, space, len, req };
  return req;
}

export function decodeRequest(req: bigint): { readonly fh: number; readonly space: number; readonly len: number } {
  if (req === lastDecoded.req) return lastDecoded;
  const fields = { fh: Number((req >> 32n) & 0xffff_ffffn), space: Number((req >> 16n) & 0xffn), len: Number(req & 0xffffn), req };
  lastDecoded = fields;
  return fields;
}

interface RequestFields {
  readonly fh: number;
  readonly space: number;
  readonly len: number;
  readonly req: bigint;
}
let lastRequest: RequestFields = { fh: 0, space: 0, len: 0, req: 0n };
let lastDecoded: RequestFields = { fh: 0, space: 0, len: 0, req: 0n };

/** One line of the s390dbf "zpci error" log the helpers write. */
export interface ZpciLogEntry {
  readonly cycle: number;
  readonly what: 'busy-retry' | 'error';
  readonly instruction: string;
  readonly req: bigint;
  readonly offset: bigint;
  readonly cc: number;
  readonly status: number;
}

/**
 * The CPU a kernel runs on, with its clock: enough to issue an instruction and to udelay().
 */
export class ZpciInstructions {
  readonly log: ZpciLogEntry[] = [];
  /** Busy retries issued (cc 2 answers that were retried). */
  busyRetries = 0;
  constructor(
    readonly sim: Simulator,
    readonly cpu: Cpu,
    /** ZPCI_INSN_BUSY_DELAY (1 µs) in clock cycles: `busyRetryDelay` of the zPCI timing. */
    readonly busyDelayCycles: number = DEFAULT_TIMING.zpci.busyRetryDelay,
    /** Keep at most this many log entries (the debug feature is a ring). */
    private readonly logLimit = 1024,
  ) {
    if (!Number.isInteger(busyDelayCycles) || busyDelayCycles < 1) throw new RangeError(`busyRetryDelay ${busyDelayCycles} must be an integer >= 1`);
  }

  private record(entry: Omit<ZpciLogEntry, 'cycle'>): void {
    if (this.log.length >= this.logLimit) this.log.shift();
    this.log.push({ cycle: this.sim.cycle, ...entry });
  }

  /**
   * Issue until the answer is not busy: cc 2 is retried after 1 µs, without a limit (the
   * Linux loop has none). The first retry and a final error are logged.
   */
  private async retryBusy(
    instruction: string,
    req: bigint,
    offset: bigint,
    issue: () => Promise<{ cc: number; status: number; data: bigint }>,
  ): Promise<{ rc: number; data: bigint }> {
    let retried = false;
    for (;;) {
      let r: { cc: number; status: number; data: bigint };
      try {
        r = await issue();
      } catch (e) {
        // The instruction sits under an exception-table fixup: a program check becomes -ENXIO.
        if (e instanceof ProgramException) {
          this.record({ what: 'error', instruction, req, offset, cc: -1, status: e.code });
          return { rc: -Errno.ENXIO, data: 0n };
        }
        throw e;
      }
      if (r.cc === 2) {
        if (!retried) this.record({ what: 'busy-retry', instruction, req, offset, cc: 2, status: r.status });
        retried = true;
        this.busyRetries++;
        await this.sim.tick(this.busyDelayCycles);
        continue;
      }
      if (r.cc !== 0) {
        this.record({ what: 'error', instruction, req, offset, cc: r.cc, status: r.status });
        return { rc: -Errno.EIO, data: 0n };
      }
      return { rc: 0, data: r.data };
    }
  }

  /** __zpci_load: PCILG; data is the register image (bytes right-aligned in address order). */
  load(req: bigint, offset: bigint): Promise<{ rc: number; data: bigint }> {
    const { fh, space, len } = decodeRequest(req);
    return this.retryBusy('PCILG', req, offset, () => this.cpu.pcilg(fh, space, offset, len));
  }

  /** __zpci_store: PCISTG of the low `len` bytes of data. */
  async store(data: bigint, req: bigint, offset: bigint): Promise<number> {
    const { fh, space, len } = decodeRequest(req);
    return (await this.retryBusy('PCISTG', req, offset, () => this.cpu.pcistg(fh, space, offset, len, data))).rc;
  }

  /** __zpci_store_block: PCISTB from guest storage at `source`. */
  async storeBlock(source: number, req: bigint, offset: bigint): Promise<number> {
    const { fh, space, len } = decodeRequest(req);
    return (await this.retryBusy('PCISTB', req, offset, () => this.cpu.pcistb(fh, space, offset, BigInt(source), len))).rc;
  }

  /**
   * zpci_cfg_load (arch/s390/pci/pci.c): PCILG on space 15. The register holds the bytes in
   * address order; Linux byte-swaps them into the little-endian PCI value. On error the value
   * is all ones.
   */
  async configLoad(fh: number, offset: number, len: 1 | 2 | 4): Promise<{ rc: number; value: number }> {
    if ((fh & 0x8000_0000) === 0) return { rc: -Errno.ENODEV, value: 0xffff_ffff };
    const r = await this.load(createRequest(fh, 15, len), BigInt(offset));
    if (r.rc !== 0) return { rc: r.rc, value: 0xffff_ffff };
    // The low 4 bytes hold the (at most 4) loaded bytes: swapped as a number, not a bigint per byte.
    const word = Number(BigInt.asUintN(32, r.data));
    let value = 0;
    for (let i = 0; i < len; i++) value |= ((word >>> (8 * (len - 1 - i))) & 0xff) << (8 * i);
    return { rc: 0, value: value >>> 0 };
  }

  /** zpci_cfg_store: the little-endian value becomes address-ordered bytes for PCISTG space 15. */
  async configStore(fh: number, offset: number, len: 1 | 2 | 4, value: number): Promise<number> {
    if ((fh & 0x8000_0000) === 0) return -Errno.ENODEV;
    let bytes = 0; // at most 4 bytes: exact as a number, one bigint at the end
    for (let i = 0; i < len; i++) bytes = bytes * 256 + ((value >>> (8 * i)) & 0xff);
    return this.store(BigInt(bytes), createRequest(fh, 15, len), BigInt(offset));
  }
}
