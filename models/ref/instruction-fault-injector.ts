import { CC, Op, Pic, Status } from '../../rtl/zpci/codes.ts';
import type { PciFunctionUnit } from '../../rtl/zpci/pci-function-unit.ts';
import type { ScratchDevice } from '../../rtl/zpci/scratch-device.ts';
import type { Cpu, InstructionOptions } from '../host/cpu.ts';
import type { FailedAnswer } from './vfio-ism-reference.ts';

/**
 * A way one instruction can fail, produced by the real hardware (never by faking an answer):
 * the device answers ERROR with a status, the machine puts the function into the error state or
 * takes it away (its handle goes stale), or the instruction raises a program check.
 */
export type InjectedFault =
  | { readonly kind: 'device-error'; readonly status: number }
  | { readonly kind: 'error-state' }
  | { readonly kind: 'unavailable' }
  | { readonly kind: 'program-check'; readonly via: 'problem-state' | 'odd-r2' };

/** Status codes a device error can carry (pci_insn.h), every one the fuzzer tries. */
export const DEVICE_ERROR_STATUSES: readonly number[] = Object.values(Status).filter((s) => s !== Status.NONE);

export function describeFault(f: InjectedFault): string {
  switch (f.kind) {
    case 'device-error':
      return `device error status ${f.status}`;
    case 'program-check':
      return `program check (${f.via})`;
    default:
      return f.kind;
  }
}

/**
 * How the hardware answers an instruction of kind `op` hit by `fault` (rtl/zpci/README.md check
 * table), or undefined when the fault cannot apply to it: an odd r2 register only exists for
 * PCILG/PCISTG (row 2), so a PCISTB goes through.
 */
export function faultAnswer(fault: InjectedFault, kind: 'PCILG' | 'PCISTG' | 'PCISTB'): FailedAnswer | undefined {
  switch (fault.kind) {
    case 'device-error':
      return { cc: CC.ERROR, status: fault.status };
    case 'error-state':
      return { cc: CC.ERROR, status: Status.BLOCKED }; // row 5, cc 1 status 12 (QEMU's choice)
    case 'unavailable':
      return { cc: CC.INVALID, status: 0 }; // row 4: the handle the driver used is no longer current
    case 'program-check':
      if (fault.via === 'problem-state') return { pic: Pic.PRIVILEGED };
      return kind === 'PCISTB' ? undefined : { pic: Pic.SPECIFICATION };
  }
}

/**
 * Makes the `at`-th instruction of the next call fail with a chosen fault, through the CPU's
 * beforeIssue hook. Instructions the device will answer BUSY are not counted: the driver retries
 * them, so "the n-th instruction" means the n-th distinct one, as the reference counts.
 */
export class InstructionFaultInjector {
  private armed: { at: number; fault: InjectedFault } | undefined;
  private issued = 0;
  /** The fault that fired during the current call, if any. */
  fired: InjectedFault | undefined;

  constructor(
    cpu: Cpu,
    private readonly pfu: PciFunctionUnit,
    private readonly device: ScratchDevice,
  ) {
    cpu.beforeIssue = (op) => this.onIssue(op);
  }

  arm(at: number, fault: InjectedFault): void {
    this.armed = { at, fault };
    this.issued = 0;
    this.fired = undefined;
  }

  /** End of a call: an unfired fault is dropped, and a device error the device never saw is withdrawn. */
  disarm(): void {
    this.armed = undefined;
    this.device.errorNext = 0;
  }

  private onIssue(op: number): InstructionOptions | undefined {
    if (!this.armed || this.device.busyNext > 0) return undefined;
    if (this.issued++ !== this.armed.at) return undefined;
    const { fault } = this.armed;
    this.armed = undefined;
    this.fired = fault;
    switch (fault.kind) {
      case 'device-error':
        this.device.errorCode = fault.status;
        this.device.errorNext = 1;
        return undefined;
      case 'error-state':
        this.pfu.setError();
        return undefined;
      case 'unavailable':
        this.pfu.disable();
        return undefined;
      case 'program-check':
        if (fault.via === 'odd-r2' && op === Op.PCISTB) this.fired = undefined;
        return fault.via === 'problem-state' ? { problemState: true } : { r2Odd: true };
    }
  }
}
