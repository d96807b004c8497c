import { Component } from '../hdl/component.ts';
import type { Signal } from '../hdl/signal.ts';
import type { ClockedProcess, Simulator } from '../hdl/simulator.ts';
import type { HostMemory } from '../host-memory.ts';
import type { ZpciTiming } from '../timing.ts';
import {
  BOUNDARY,
  CC,
  CheckRow,
  FH_ENABLE,
  FH_INSTANCE_MASK,
  FH_INSTANCE_SHIFT,
  FH_LOW_MASK,
  FunctionState,
  Op,
  PCIAS_BAR_MAX,
  PCIAS_CONFIG,
  Pic,
  Status,
  baseOp,
  isMio,
} from './codes.ts';
import { DeviceStatus, type DevicePort } from './device-port.ts';
import type { CpuPort } from './cpu-port.ts';
import { MIO_BAR_STRIDE, type FunctionConfig } from './function-config.ts';
import type { StoreBlockEngine } from './store-block-engine.ts';

/** All-ones masks of 0..15 bytes (a 4-bit length), made once rather than per instruction. */
const ONES = Array.from({ length: 16 }, (_, len) => (1n << BigInt(8 * len)) - 1n);

const enum Fsm {
  IDLE = 0,
  CHECK = 1,
  ACCESS = 2,
  BLOCK = 3,
}

export interface PciFunctionUnitOptions {
  readonly config: FunctionConfig;
  readonly cpu: CpuPort;
  readonly device: DevicePort;
  readonly sbe: StoreBlockEngine;
  readonly memory: HostMemory;
  readonly timing: ZpciTiming;
}

/**
 * One PCI function as the CPU sees it: the function handle and state, and the checks of
 * PCILG / PCISTG / PCISTB in the order of spec §9/§11 (QEMU hw/s390x/s390-pci-inst.c service
 * calls), with ISM's relaxed PCISTB rules when the function has `relaxedAlignment`.
 *
 * Pipeline: accept (req_valid & req_ready) → `checkCycles` cycles of checking, the verdict in
 * the last one (`chk_row` names the deciding table row, 0 = all passed) → either an immediate
 * response, or a single access on the DevicePort acc channel, or a block handed to the
 * store-block engine → `rsp_valid` pulse.
 *
 * Service-element methods (enable, disable, setError, resetBlock, resetError,
 * setPermanentError, functionLevelReset) change the function's handle and state; call them
 * from a testbench process (the change is visible after the process next waits).
 */
export class PciFunctionUnit extends Component {
  readonly config: FunctionConfig;
  /** Current function handle. */
  readonly fh: Signal<number>;
  /** Function state (codes.ts FunctionState). */
  readonly fnState: Signal<number>;
  /** Instruction pipeline state: 0 idle, 1 checking, 2 single access, 3 block store. */
  readonly fsm: Signal<number>;
  /** Table row that decided the last instruction (codes.ts CheckRow), valid once the checks ran. */
  readonly chkRow: Signal<number>;
  /** High for the cycle in which the verdict is taken. */
  readonly chkDone: Signal<number>;
  private readonly cnt: Signal<number>;
  private readonly opQ: Signal<number>;
  private readonly fhQ: Signal<number>;
  private readonly pciasQ: Signal<number>;
  private readonly lenQ: Signal<number>;
  private readonly offsetQ: Signal<bigint>;
  private readonly dataQ: Signal<bigint>;
  private readonly gaddrQ: Signal<bigint>;
  private readonly psQ: Signal<number>;
  private readonly r2Q: Signal<number>;
  private flrPending = false;
  private readonly unit: ClockedProcess;
  // The service element's own view of handle and state: a change it makes in this cycle is
  // already the truth for software, while the registers show it from the next settle on.
  private handleNow: number;
  private stateNow: number;

  constructor(sim: Simulator, name: string, parent: Component | undefined, opts: PciFunctionUnitOptions) {
    super(sim, name, parent);
    const { config, cpu, device: dev, sbe, memory, timing } = opts;
    if (!Number.isInteger(timing.checkCycles) || timing.checkCycles < 1) throw new RangeError('checkCycles must be >= 1');
    this.config = config;
    this.fh = this.reg('fh', 32, config.fh >>> 0);
    this.fnState = this.reg('fn_state', 3, config.fh & FH_ENABLE ? FunctionState.ENABLED : FunctionState.DISABLED);
    this.handleNow = this.fh.value;
    this.stateNow = this.fnState.value;
    this.fsm = this.reg('fsm', 2);
    this.chkRow = this.reg('chk_row', 5);
    this.chkDone = this.reg('chk_done', 1);
    this.cnt = this.reg('chk_cnt', 8);
    this.opQ = this.reg('op_q', 3);
    this.fhQ = this.reg('fh_q', 32);
    this.pciasQ = this.reg('pcias_q', 4);
    this.lenQ = this.reg('len_q', 13);
    this.offsetQ = this.wideReg('offset_q', 64);
    this.dataQ = this.wideReg('data_q', 64);
    this.gaddrQ = this.wideReg('gaddr_q', 64);
    this.psQ = this.reg('ps_q', 1);
    this.r2Q = this.reg('r2_q', 1);
    cpu.reqReady.set(1);

    const respond = (cc: number, status: number, data: bigint, pic: number): void => {
      cpu.rspValid.set(1);
      cpu.rspCc.set(cc);
      cpu.rspStatus.set(status);
      cpu.rspData.set(data);
      cpu.rspPic.set(pic);
      cpu.reqReady.set(1);
      this.fsm.set(Fsm.IDLE);
    };
    const reject = (row: number, cc: number, status: number, pic: number): void => {
      this.chkRow.set(row);
      respond(cc, status, 0n, pic);
    };
    const ones = (len: number): bigint => ONES[len];

    /** The checks, in table order; ends by responding or by starting the device side. */
    const verdict = (): void => {
      const op = this.opQ.value;
      const base = baseOp(op);
      const isBlock = base === Op.PCISTB;
      const isStore = base === Op.PCISTG;
      // Row 1: problem state → privileged operation.
      if (this.psQ.value) return reject(CheckRow.PROBLEM_STATE, 0, 0, Pic.PRIVILEGED);
      // Row 2: PCILG/PCISTG with an odd r2 field → specification. (PCISTB has no pair.)
      if (!isBlock && this.r2Q.value) return reject(CheckRow.R2_ODD, 0, 0, Pic.SPECIFICATION);
      const fnState = this.fnState.value;
      let pcias = this.pciasQ.value;
      let offset = this.offsetQ.value;
      if (isMio(op)) {
        // Our choice: MIO forms on a function without MIO support → operand exception.
        if (!config.mioCapable) return reject(CheckRow.MIO_UNSUPPORTED, 0, 0, Pic.OPERAND);
        let bar = -1;
        for (let i = 0; i <= PCIAS_BAR_MAX; i++) {
          const size = config.barSizes[i];
          const win = config.mioBase + BigInt(i) * MIO_BAR_STRIDE;
          if (size > 0n && offset >= win && offset < win + size) {
            bar = i;
            break;
          }
        }
        if (bar < 0) return reject(CheckRow.MIO_NO_FUNCTION, CC.INVALID, 0, 0);
        if (fnState === FunctionState.DISABLED) return reject(CheckRow.FH_NOT_ENABLED, CC.INVALID, 0, 0);
        pcias = bar;
        offset -= config.mioBase + BigInt(bar) * MIO_BAR_STRIDE;
      } else {
        const fh = this.fhQ.value;
        // Row 3: enable bit clear; row 4: not this function's current handle.
        if ((fh & FH_ENABLE) === 0) return reject(CheckRow.FH_NOT_ENABLED, CC.INVALID, 0, 0);
        if (fh !== this.fh.value) return reject(CheckRow.FH_MISMATCH, CC.INVALID, 0, 0);
      }
      // Row 5: error or permanent error → cc 1 status 12 (QEMU's choice; spec open question 5).
      if (fnState === FunctionState.ERROR || fnState === FunctionState.PERMANENT_ERROR) {
        return reject(CheckRow.FUNC_ERROR, CC.ERROR, Status.BLOCKED, 0);
      }
      const isBar = pcias <= PCIAS_BAR_MAX;
      // Row 6: address space.
      if (isBlock ? !isBar : !isBar && pcias !== PCIAS_CONFIG) {
        return reject(CheckRow.BAD_AS, CC.ERROR, Status.INVAL_AS, 0);
      }
      const off7 = Number(offset & 7n);
      if (!isBlock) {
        const len = this.lenQ.value & 0xf;
        if (isBar) {
          // Row 7: empty or crossing a doubleword.
          if (len === 0 || off7 + len > 8) return reject(CheckRow.BAR_LEN, 0, 0, Pic.OPERAND);
          // Row 14 (our choice): unimplemented BAR or beyond its end → operand.
          if (offset + BigInt(len) > config.barSizes[pcias]) return reject(CheckRow.DEVICE_REGION, 0, 0, Pic.OPERAND);
        } else {
          // Row 8: config length 1, 2 or 4 within a word.
          if ((len !== 1 && len !== 2 && len !== 4) || Number(offset & 3n) + len > 4) {
            return reject(CheckRow.CFG_LEN, 0, 0, Pic.OPERAND);
          }
          // Row 9: beyond config space → cc 0, all-ones (load) or dropped (store).
          if (offset >= BigInt(config.configSize)) {
            this.chkRow.set(CheckRow.CFG_OUT_OF_RANGE);
            return respond(CC.OK, 0, isStore ? 0n : ones(len), 0);
          }
        }
        this.chkRow.set(CheckRow.PASSED);
        dev.accValid.set(1);
        dev.accWrite.set(isStore ? 1 : 0);
        dev.accSpace.set(pcias);
        dev.accOffset.set(offset);
        dev.accLen.set(len);
        dev.accWdata.set(isStore ? this.dataQ.value & ones(len) : 0n);
        this.fsm.set(Fsm.ACCESS);
        return;
      }
      // PCISTB.
      const len = this.lenQ.value;
      const strict = !config.relaxedAlignment;
      // Row 10: PCI offset doubleword alignment (strict functions only).
      if (strict && off7 !== 0) return reject(CheckRow.STB_OFFSET_ALIGN, 0, 0, Pic.SPECIFICATION);
      // Row 11: length rules.
      if (strict ? len <= 8 || len % 8 !== 0 || len > config.maxstbl : len === 0 || len > config.maxstbl) {
        return reject(CheckRow.STB_LENGTH, 0, 0, Pic.SPECIFICATION);
      }
      // Row 12: the 4 KiB integral boundary on the PCI side (all functions).
      if (Number(offset & 0xfffn) + len > BOUNDARY) return reject(CheckRow.STB_PCI_BOUNDARY, 0, 0, Pic.SPECIFICATION);
      const gaddr = this.gaddrQ.value;
      // Row 13: source doubleword alignment (strict functions only).
      if (strict && (gaddr & 7n) !== 0n) return reject(CheckRow.STB_SOURCE_ALIGN, 0, 0, Pic.SPECIFICATION);
      // Row 0x12, an option (off by default: Linux and QEMU have no such check): source crossing 4 KiB → specification.
      if (config.sourceBoundaryCheck && Number(gaddr & 0xfffn) + len > BOUNDARY) {
        return reject(CheckRow.STB_SOURCE_BOUNDARY, 0, 0, Pic.SPECIFICATION);
      }
      // Row 14 (our choice): unimplemented BAR or beyond its end → operand.
      if (offset + BigInt(len) > config.barSizes[pcias]) return reject(CheckRow.DEVICE_REGION, 0, 0, Pic.OPERAND);
      // Row 15: source outside guest storage → addressing.
      if (gaddr > BigInt(memory.size) || !memory.contains(Number(gaddr), len)) {
        return reject(CheckRow.STORAGE_ACCESS, 0, 0, Pic.ADDRESSING);
      }
      this.chkRow.set(CheckRow.PASSED);
      sbe.start.set(1);
      sbe.space.set(pcias);
      sbe.offset.set(offset);
      sbe.len.set(len);
      sbe.gaddr.set(gaddr);
      this.fsm.set(Fsm.BLOCK);
    };

    // Wake-up lists made once: the kernel copies them, so each idle edge allocates nothing.
    const wakeOnRequest = [cpu.reqValid, cpu.reqReady];
    const wakeOnAccessDone = [dev.accDone];
    const wakeOnCompletion = [sbe.cplValid];
    this.unit = this.seq('unit', () => {
      const fsm = this.fsm.value;
      // No pulse to drop in this edge: waiting, the unit may declare itself idle.
      const quiet = (dev.reset.value | this.chkDone.value) === 0;
      if (dev.reset.value) dev.reset.set(0);
      if (fsm === Fsm.IDLE) {
        const idleNow = quiet && cpu.rspValid.value === 0 && !this.flrPending;
        if (cpu.rspValid.value) cpu.rspValid.set(0);
        if (this.chkDone.value) this.chkDone.set(0);
        if (this.flrPending) {
          // The pulse may coincide with accepting an instruction (req_ready is already high, so
          // the CPU counts on this edge): the instruction checks for checkCycles ≥ 1 before the
          // device sees it, so the reset is always over first.
          this.flrPending = false;
          dev.reset.set(1);
        }
        if (cpu.reqValid.value === 0 || cpu.reqReady.value === 0) {
          if (idleNow) this.idle(wakeOnRequest);
          return;
        }
        cpu.reqReady.set(0);
        this.opQ.set(cpu.reqOp.value);
        this.psQ.set(cpu.reqProblemState.value);
        this.r2Q.set(cpu.reqR2Odd.value);
        this.fhQ.set(cpu.reqFh.value);
        this.pciasQ.set(cpu.reqPcias.value);
        this.lenQ.set(cpu.reqLen.value);
        this.offsetQ.set(cpu.reqOffset.value);
        this.dataQ.set(cpu.reqData.value);
        this.gaddrQ.set(cpu.reqGaddr.value);
        this.cnt.set(timing.checkCycles);
        this.fsm.set(Fsm.CHECK);
        return;
      }
      if (fsm === Fsm.CHECK) {
        const c = this.cnt.value;
        this.cnt.set(c - 1);
        if (c > 1) return;
        this.chkDone.set(1);
        verdict();
        return;
      }
      if (this.chkDone.value) this.chkDone.set(0);
      if (fsm === Fsm.ACCESS) {
        if (dev.accDone.value === 0) {
          if (quiet) this.idle(wakeOnAccessDone);
          return;
        }
        dev.accValid.set(0);
        const st = dev.accStatus.value;
        if (st === DeviceStatus.OK) {
          respond(CC.OK, 0, dev.accWrite.value ? 0n : dev.accRdata.value & ones(dev.accLen.value), 0);
        } else if (st === DeviceStatus.BUSY) {
          respond(CC.BUSY, 0, 0n, 0);
        } else {
          respond(CC.ERROR, dev.accCode.value, 0n, 0);
        }
        return;
      }
      // BLOCK
      const startHigh = sbe.start.value;
      if (startHigh) sbe.start.set(0);
      if (sbe.cplValid.value === 0) {
        if (quiet && startHigh === 0) this.idle(wakeOnCompletion);
        return;
      }
      const st = sbe.cplStatus.value;
      if (st === DeviceStatus.OK) respond(CC.OK, 0, 0n, 0);
      else if (st === DeviceStatus.BUSY) respond(CC.BUSY, 0, 0n, 0);
      else respond(CC.ERROR, sbe.cplCode.value, 0n, 0);
    });
  }

  // ------------------------------------------------------------ service-element methods

  /** The handle software must use now (including a change made in this cycle). */
  get currentFh(): number {
    return this.handleNow;
  }

  get currentState(): number {
    return this.stateNow;
  }

  /** CLP Set PCI Function "enable": new instance, enable bit set, state ENABLED. Returns the new fh. */
  enable(): number {
    if (this.stateNow !== FunctionState.DISABLED) throw new Error(`${this.path}: function already enabled`);
    const old = this.handleNow;
    const instance = (((old & FH_INSTANCE_MASK) >>> FH_INSTANCE_SHIFT) + 1) & 0x7f;
    const fh = (FH_ENABLE | (instance << FH_INSTANCE_SHIFT) | (old & FH_LOW_MASK)) >>> 0;
    this.setHandle(fh);
    this.setState(FunctionState.ENABLED);
    return fh;
  }

  /** CLP Set PCI Function "disable": enable bit cleared, state DISABLED, device reset. Returns the new fh. */
  disable(): number {
    const fh = (this.handleNow & ~FH_ENABLE) >>> 0;
    this.setHandle(fh);
    this.setState(FunctionState.DISABLED);
    this.flrPending = true;
    this.unit.wake();
    return fh;
  }

  /** The machine puts the function into the error state (e.g. after an I/O error). */
  setError(): void {
    const s = this.stateNow;
    if (s === FunctionState.ENABLED || s === FunctionState.BLOCKED) this.setState(FunctionState.ERROR);
  }

  setPermanentError(): void {
    if (this.stateNow !== FunctionState.DISABLED) this.setState(FunctionState.PERMANENT_ERROR);
  }

  /** MPCIFC reset-block (op 9): ERROR → BLOCKED, load/store allowed again (spec §3). */
  resetBlock(): boolean {
    if (this.stateNow !== FunctionState.ERROR) return false;
    this.setState(FunctionState.BLOCKED);
    return true;
  }

  /** MPCIFC reset-error (op 7): BLOCKED or ERROR → ENABLED (spec §3). */
  resetError(): boolean {
    const s = this.stateNow;
    if (s !== FunctionState.ERROR && s !== FunctionState.BLOCKED) return false;
    this.setState(FunctionState.ENABLED);
    return true;
  }

  private setHandle(fh: number): void {
    this.handleNow = fh;
    this.fh.set(fh);
  }

  private setState(state: number): void {
    this.stateNow = state;
    this.fnState.set(state);
  }

  /** Pulse DevicePort.reset for one cycle (once no instruction is in flight). */
  functionLevelReset(): void {
    this.flrPending = true;
    this.unit.wake();
  }
}
