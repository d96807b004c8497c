import { Component } from '../hdl/component.ts';
import type { Signal } from '../hdl/signal.ts';
import type { Simulator } from '../hdl/simulator.ts';

/**
 * The CPU's instruction port into one PCI function unit.
 *
 * Request: the CPU raises `req_valid` with the operands and holds them; the instruction is
 * accepted at the rising edge where `req_valid` and `req_ready` are both high (the unit drops
 * `req_ready` until it has answered). Operands, as the instructions carry them (spec §1–§2):
 * `req_op` (codes.ts Op), `req_problem_state` (PSW problem state), `req_r2_odd` (the r2 field
 * of PCILG/PCISTG names an odd register), `req_fh`, `req_pcias`, `req_len` (13 bits; PCILG and
 * PCISTG use only the low 4, as the hardware decodes them), `req_offset` (PCI offset, or the
 * MIO address for the MIO forms), `req_data` (PCISTG register, right-aligned) and `req_gaddr`
 * (PCISTB source in guest storage).
 *
 * Response: the unit pulses `rsp_valid` for one cycle with `rsp_cc`, `rsp_status`, `rsp_data`
 * (PCILG data, right-aligned, bytes in address order) and `rsp_pic` (program-interruption code,
 * 0 = none; when non-zero the instruction was suppressed and cc/status are meaningless).
 */
export class CpuPort extends Component {
  readonly reqValid: Signal<number>;
  readonly reqReady: Signal<number>;
  readonly reqOp: Signal<number>;
  readonly reqProblemState: Signal<number>;
  readonly reqR2Odd: Signal<number>;
  readonly reqFh: Signal<number>;
  readonly reqPcias: Signal<number>;
  readonly reqLen: Signal<number>;
  readonly reqOffset: Signal<bigint>;
  readonly reqData: Signal<bigint>;
  readonly reqGaddr: Signal<bigint>;

  readonly rspValid: Signal<number>;
  readonly rspCc: Signal<number>;
  readonly rspStatus: Signal<number>;
  readonly rspData: Signal<bigint>;
  readonly rspPic: Signal<number>;

  constructor(sim: Simulator, name: string, parent?: Component) {
    super(sim, name, parent);
    this.reqValid = this.wire('req_valid', 1);
    this.reqReady = this.wire('req_ready', 1);
    this.reqOp = this.wire('req_op', 3);
    this.reqProblemState = this.wire('req_problem_state', 1);
    this.reqR2Odd = this.wire('req_r2_odd', 1);
    this.reqFh = this.wire('req_fh', 32);
    this.reqPcias = this.wire('req_pcias', 4);
    this.reqLen = this.wire('req_len', 13);
    this.reqOffset = this.wideWire('req_offset', 64);
    this.reqData = this.wideWire('req_data', 64);
    this.reqGaddr = this.wideWire('req_gaddr', 64);

    this.rspValid = this.wire('rsp_valid', 1);
    this.rspCc = this.wire('rsp_cc', 2);
    this.rspStatus = this.wire('rsp_status', 8);
    this.rspData = this.wideWire('rsp_data', 64);
    this.rspPic = this.wire('rsp_pic', 16);
  }
}
