import type { Simulator } from '../../rtl/hdl/simulator.ts';
import type { CpuPort } from '../../rtl/zpci/cpu-port.ts';
import { OP_NAMES, Op, PIC_NAMES } from '../../rtl/zpci/codes.ts';

/** What an instruction that completed (no program interruption) returns. */
export interface InstructionResult {
  readonly cc: number;
  /** Status byte (meaningful with cc 1). */
  readonly status: number;
  /** PCILG: the loaded bytes right-aligned in address order; otherwise 0n. */
  readonly data: bigint;
}

export interface InstructionOptions {
  /** Issue in PSW problem state (privileged-operation exception). */
  readonly problemState?: boolean;
  /** PCILG/PCISTG: the r2 field names an odd register (specification exception). */
  readonly r2Odd?: boolean;
}

/** A program interruption the instruction raised; it was suppressed. */
export class ProgramException extends Error {
  constructor(
    readonly code: number,
    readonly instruction: string,
    readonly cycle: number,
  ) {
    super(`${instruction}: program interruption 0x${code.toString(16).padStart(2, '0')} (${PIC_NAMES[code] ?? 'unknown'}) at cycle ${cycle}`);
    this.name = 'ProgramException';
  }
}

interface Request {
  op: number;
  fh: number;
  pcias: number;
  len: number;
  offset: bigint;
  data: bigint;
  gaddr: bigint;
  options: InstructionOptions;
}

const U64 = (1n << 64n) - 1n;

/** The options of an instruction given none: shared, not made per call. */
const NO_OPTIONS: InstructionOptions = Object.freeze({});

/** 64-bit register image of a value; the value itself when it already is one (no new bigint). */
function u64(value: bigint): bigint {
  return value >= 0n && value <= U64 ? value : BigInt.asUintN(64, value);
}

// Outcome names, built once rather than per instruction.
const CC_OUTCOMES = ['cc0', 'cc1', 'cc2', 'cc3'];
const STATUS_OUTCOMES = Array.from({ length: 256 }, (_, status) => `cc1/st${status}`);
const PIC_OUTCOMES: string[] = [];

/** The outcome name of an instruction a program interruption suppressed, e.g. "pic06". */
export function picOutcome(pic: number): string {
  return (PIC_OUTCOMES[pic] ??= `pic${pic.toString(16).padStart(2, '0')}`);
}

/** The outcome name of a completed instruction: "cc0", "cc2", "cc3" or with cc 1 its status, "cc1/st16". */
export function ccOutcome(cc: number, status: number): string {
  return cc === 1 ? STATUS_OUTCOMES[status] : CC_OUTCOMES[cc];
}

/**
 * Bus-functional model of the CPU executing the zPCI instructions: the only way firmware
 * reaches the hardware. Each method drives the CpuPort handshake from a testbench process and
 * resolves with {cc, status, data} or rejects with ProgramException. Concurrent callers are
 * serialised first-come first-served: one instruction on the port at a time.
 */
export class Cpu {
  /** Outcome counts per instruction kind, e.g. { PCISTB: { cc0: 10, cc2: 3, pic06: 1 } }. */
  readonly stats: Record<string, Record<string, number>> = {};
  /** Cycles the last instruction took: from the cycle req_valid rose to the cycle rsp_valid was seen. */
  lastCycles = 0;
  /** Cycle in which the last instruction's request was raised. */
  lastIssueCycle = 0;
  /**
   * Verification hook (fault injection): called as each instruction is about to be issued; the
   * options it returns are merged into the instruction's (e.g. problem state: a program check).
   */
  beforeIssue: ((op: number) => InstructionOptions | undefined) | undefined;
  private nextTicket = 0;
  private serving = 0;
  // What every instruction waits for, made once: an instruction allocates as little as it can.
  private readonly readyHigh: () => boolean;
  private readonly responseHigh: () => boolean;
  private readonly readyWait: { readonly timeout: number; readonly what: string };
  private readonly responseWait: { readonly timeout: number; readonly what: string };

  constructor(
    readonly sim: Simulator,
    readonly port: CpuPort,
    /** Give up waiting for a response after this many cycles. */
    readonly timeout = 1_000_000,
  ) {
    this.readyHigh = () => port.reqReady.value === 1;
    this.responseHigh = () => port.rspValid.value === 1;
    this.readyWait = { timeout, what: `${port.path}.req_ready` };
    this.responseWait = { timeout, what: `${port.path}.rsp_valid` };
  }

  pcilg(fh: number, pcias: number, offset: bigint, len: number, options: InstructionOptions = NO_OPTIONS): Promise<InstructionResult> {
    return this.issue({ op: Op.PCILG, fh, pcias, len, offset, data: 0n, gaddr: 0n, options });
  }

  pcistg(fh: number, pcias: number, offset: bigint, len: number, data: bigint, options: InstructionOptions = NO_OPTIONS): Promise<InstructionResult> {
    return this.issue({ op: Op.PCISTG, fh, pcias, len, offset, data, gaddr: 0n, options });
  }

  pcistb(fh: number, pcias: number, offset: bigint, gaddr: bigint, len: number, options: InstructionOptions = NO_OPTIONS): Promise<InstructionResult> {
    return this.issue({ op: Op.PCISTB, fh, pcias, len, offset, data: 0n, gaddr, options });
  }

  /** MIO PCILG: the function and BAR are chosen by the MIO address. */
  pcilgMio(address: bigint, len: number, options: InstructionOptions = NO_OPTIONS): Promise<InstructionResult> {
    return this.issue({ op: Op.PCILG_MIO, fh: 0, pcias: 0, len, offset: address, data: 0n, gaddr: 0n, options });
  }

  pcistgMio(address: bigint, len: number, data: bigint, options: InstructionOptions = NO_OPTIONS): Promise<InstructionResult> {
    return this.issue({ op: Op.PCISTG_MIO, fh: 0, pcias: 0, len, offset: address, data, gaddr: 0n, options });
  }

  pcistbMio(address: bigint, gaddr: bigint, len: number, options: InstructionOptions = NO_OPTIONS): Promise<InstructionResult> {
    return this.issue({ op: Op.PCISTB_MIO, fh: 0, pcias: 0, len, offset: address, data: 0n, gaddr, options });
  }

  private count(kind: string, outcome: string): void {
    const k = (this.stats[kind] ??= {});
    k[outcome] = (k[outcome] ?? 0) + 1;
  }

  private issue(r: Request): Promise<InstructionResult> {
    // A ticket lock waited on with sim.until: a testbench process may only block on the
    // simulator (awaiting a plain promise would stall the kernel). The uncontended path adds
    // no async frame of its own: one fewer promise per instruction.
    const ticket = this.nextTicket++;
    return this.serving === ticket ? this.execute(r) : this.executeInTurn(r, ticket);
  }

  private async executeInTurn(r: Request, ticket: number): Promise<InstructionResult> {
    await this.sim.until(() => this.serving === ticket, { timeout: this.timeout, what: `${this.port.path} ticket ${ticket}` });
    return this.execute(r);
  }

  /** Drives one instruction through the port; the next ticket is served when it ends, however it ends. */
  private async execute(r: Request): Promise<InstructionResult> {
    try {
      const { sim, port } = this;
      const kind = OP_NAMES[r.op];
      // The request word's length field is 16 bits wide; the hardware decodes 13 (PCISTB) or 4 (PCILG/PCISTG).
      if (!Number.isInteger(r.len) || r.len < 0 || r.len > 0xffff) throw new RangeError(`${kind}: length ${r.len} does not fit the request word`);
      if (!this.readyHigh()) await sim.until(this.readyHigh, this.readyWait);
      const injected = this.beforeIssue?.(r.op);
      if (injected) r = { ...r, options: { ...r.options, ...injected } };
      port.reqOp.set(r.op);
      port.reqFh.set(r.fh >>> 0);
      port.reqPcias.set(r.pcias & 0xf);
      port.reqLen.set(r.len & 0x1fff);
      port.reqOffset.set(u64(r.offset));
      port.reqData.set(u64(r.data));
      port.reqGaddr.set(u64(r.gaddr));
      port.reqProblemState.set(r.options.problemState ? 1 : 0);
      port.reqR2Odd.set(r.options.r2Odd ? 1 : 0);
      port.reqValid.set(1);
      const t0 = sim.cycle;
      this.lastIssueCycle = t0;
      await sim.tick(); // accepted at this edge: req_ready was high and req_valid is now high
      port.reqValid.set(0);
      await sim.until(this.responseHigh, this.responseWait);
      this.lastCycles = sim.cycle - t0;
      const pic = port.rspPic.value;
      if (pic !== 0) {
        this.count(kind, picOutcome(pic));
        throw new ProgramException(pic, kind, sim.cycle);
      }
      const cc = port.rspCc.value;
      const status = port.rspStatus.value;
      this.count(kind, ccOutcome(cc, status));
      return { cc, status, data: port.rspData.value };
    } finally {
      this.serving++;
    }
  }
}
