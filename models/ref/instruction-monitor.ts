import type { Subscription } from 'rxjs';
import type { Simulator } from '../../rtl/hdl/simulator.ts';
import type { CpuPort } from '../../rtl/zpci/cpu-port.ts';
import { OP_NAMES, Op } from '../../rtl/zpci/codes.ts';

/** One instruction as the hardware saw it on the CPU port, with its answer. */
export interface ObservedInstruction {
  readonly cycle: number;
  readonly op: number;
  readonly kind: string;
  readonly fh: number;
  readonly pcias: number;
  readonly len: number;
  readonly offset: bigint;
  readonly gaddr: bigint;
  cc?: number;
  status?: number;
  pic?: number;
}

/** A promise a driver makes about the instructions it issues, whatever the hardware would accept. */
export interface DriverRule {
  /** Names the rule in a report, e.g. "PCISTB source crosses 4 KiB". */
  readonly name: string;
  /** True if `insn` breaks the rule. */
  broken(insn: ObservedInstruction): boolean;
}

export interface DriverRuleViolation {
  readonly rule: string;
  readonly instruction: ObservedInstruction;
}

const PAGE = 4096n;

/**
 * The vfio-ism variant driver's promises (drivers/vfio/pci/ism/main.c): it stores every BAR
 * write from its store buffer, a page-aligned cache object (made so in the series' v7), so no
 * PCISTB source it issues crosses a 4 KiB page. The hardware accepts such sources by default
 * (Linux's in-kernel ISM and SMC-D paths issue them); this is a driver invariant, checked
 * independently of the function's `sourceBoundaryCheck`.
 */
export const VFIO_ISM_DRIVER_RULES: readonly DriverRule[] = [
  {
    name: 'PCISTB source crosses 4 KiB',
    broken: (i) => (i.op === Op.PCISTB || i.op === Op.PCISTB_MIO) && (i.gaddr % PAGE) + BigInt(i.len) > PAGE,
  },
];

/**
 * A passive monitor on a CPU port: records every accepted request (req_valid and req_ready
 * high at a rising edge) and the response that follows. Verification IP for scoreboards and
 * legality checks; it drives nothing. Given a driver's rules, it records every instruction that
 * breaks one in `violations`, naming the rule.
 */
export class InstructionMonitor {
  readonly seen: ObservedInstruction[] = [];
  /** Instructions that broke one of the driver's rules; kept across `clear()`. */
  readonly violations: DriverRuleViolation[] = [];
  private readonly subscriptions: Subscription[];

  constructor(
    sim: Simulator,
    private readonly port: CpuPort,
    private readonly driverRules: readonly DriverRule[] = [],
  ) {
    // A request is taken at a rising edge: sample what the flops sample, just before the edge.
    // A response is sampled as soon as the hardware settles, before the CPU model reacts to it.
    this.subscriptions = [
      sim.edge$.subscribe((cycle) => this.sampleRequest(cycle - 1)),
      sim.hardwareSettled$.subscribe(() => this.sampleResponse()),
    ];
    sim.onDispose(() => this.stop());
  }

  private sampleResponse(): void {
    const p = this.port;
    if (p.rspValid.value === 1) {
      const last = this.seen[this.seen.length - 1];
      if (last && last.cc === undefined && last.pic === undefined) {
        if (p.rspPic.value !== 0) last.pic = p.rspPic.value;
        else {
          last.cc = p.rspCc.value;
          last.status = p.rspStatus.value;
        }
      }
    }
  }

  private sampleRequest(cycle: number): void {
    const p = this.port;
    if (p.reqValid.value === 1 && p.reqReady.value === 1) {
      const op = p.reqOp.value;
      const insn: ObservedInstruction = {
        cycle,
        op,
        kind: OP_NAMES[op] ?? `op${op}`,
        fh: p.reqFh.value,
        pcias: p.reqPcias.value,
        len: p.reqLen.value,
        offset: p.reqOffset.value,
        gaddr: p.reqGaddr.value,
        // The answer's fields exist from the start: added later, they would grow the object's storage.
        cc: undefined,
        status: undefined,
        pic: undefined,
      };
      this.seen.push(insn);
      for (const rule of this.driverRules) {
        if (rule.broken(insn)) this.violations.push({ rule: rule.name, instruction: insn });
      }
    }
  }

  /** Forget what was recorded (between operations of a test). */
  clear(): void {
    this.seen.length = 0;
  }

  stop(): void {
    for (const s of this.subscriptions) s.unsubscribe();
  }
}
