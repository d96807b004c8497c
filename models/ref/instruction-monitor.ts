import type { Subscription } from 'rxjs';
import type { Simulator } from '../../rtl/hdl/simulator.ts';
import type { CpuPort } from '../../rtl/zpci/cpu-port.ts';
import { OP_NAMES } from '../../rtl/zpci/codes.ts';

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

/**
 * A passive monitor on a CPU port: records every accepted request (req_valid and req_ready
 * high at a rising edge) and the response that follows. Verification IP for scoreboards and
 * legality checks; it drives nothing.
 */
export class InstructionMonitor {
  readonly seen: ObservedInstruction[] = [];
  private readonly subscriptions: Subscription[];

  constructor(
    sim: Simulator,
    private readonly port: CpuPort,
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
      this.seen.push({
        cycle,
        op,
        kind: OP_NAMES[op] ?? `op${op}`,
        fh: p.reqFh.value,
        pcias: p.reqPcias.value,
        len: p.reqLen.value,
        offset: p.reqOffset.value,
        gaddr: p.reqGaddr.value,
      });
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
