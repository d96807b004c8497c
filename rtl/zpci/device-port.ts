import { Component } from '../hdl/component.ts';
import type { Signal } from '../hdl/signal.ts';
import type { Simulator } from '../hdl/simulator.ts';

/** Device verdicts carried on `acc_status`, `blk_status` and `done_status`. */
export const DeviceStatus = {
  /** Accepted / completed. */
  OK: 0,
  /** Cannot take it now: the function unit answers cc 2 and software retries. */
  BUSY: 1,
  /** Refused: the function unit answers cc 1 with `*_code` as the status byte. */
  ERROR: 2,
} as const;
export type DeviceStatus = (typeof DeviceStatus)[keyof typeof DeviceStatus];

/**
 * The link between a PCI function unit (with its store-block engine) and the device behind it.
 * It carries only accesses that already passed the function unit's architectural checks.
 *
 * Single accesses (PCILG/PCISTG): the unit raises `acc_valid` with the request fields and holds
 * them until the device pulses `acc_done` for one cycle with `acc_status` (and `acc_rdata`
 * for a load, `acc_code` for an error). Data is right-aligned in address order: the byte at
 * the lowest offset is the most significant of the `acc_len` bytes, as in the s390 register.
 *
 * Block stores (PCISTB): the unit raises `blk_valid` with space/offset/length and holds it until
 * the device pulses `blk_accept` with `blk_status`. Only after OK do beats flow: `beat_valid`
 * with `beat_data`/`beat_be`/`beat_last`, advancing on each cycle where `beat_ready` is high
 * (the device's back-pressure). Beat k covers PCI offsets [floor(offset/8)*8 + 8k, +8); byte
 * enable bit 7 is the lowest address (lane 0, data bits 63..56). After consuming the last beat
 * and finishing its side effects the device pulses `done_valid` with `done_status`/`done_code`.
 *
 * Config space (space 15) uses the single-access channel too; the device answers with the config
 * bytes in address order (so a little-endian PCI register arrives byte-swapped, as on s390).
 */
export class DevicePort extends Component {
  readonly accValid: Signal<number>;
  readonly accWrite: Signal<number>;
  readonly accSpace: Signal<number>;
  readonly accOffset: Signal<bigint>;
  readonly accLen: Signal<number>;
  readonly accWdata: Signal<bigint>;
  readonly accDone: Signal<number>;
  readonly accStatus: Signal<number>;
  readonly accCode: Signal<number>;
  readonly accRdata: Signal<bigint>;

  readonly blkValid: Signal<number>;
  readonly blkSpace: Signal<number>;
  readonly blkOffset: Signal<bigint>;
  readonly blkLen: Signal<number>;
  readonly blkAccept: Signal<number>;
  readonly blkStatus: Signal<number>;
  readonly blkCode: Signal<number>;

  readonly beatValid: Signal<number>;
  readonly beatReady: Signal<number>;
  /**
   * One 64-bit bus (a bigint signal), as a waveform viewer should show it. Two 32-bit number
   * halves were measured (issue 10): within ±10 ns per beat, about 1% of blockdev either way.
   */
  readonly beatData: Signal<bigint>;
  readonly beatBe: Signal<number>;
  readonly beatLast: Signal<number>;

  readonly doneValid: Signal<number>;
  readonly doneStatus: Signal<number>;
  readonly doneCode: Signal<number>;

  /** One-cycle pulse from the function unit: function-level reset; the device drops its state. */
  readonly reset: Signal<number>;

  constructor(sim: Simulator, name: string, parent?: Component) {
    super(sim, name, parent);
    this.accValid = this.wire('acc_valid', 1);
    this.accWrite = this.wire('acc_write', 1);
    this.accSpace = this.wire('acc_space', 4);
    this.accOffset = this.wideWire('acc_offset', 64);
    this.accLen = this.wire('acc_len', 4);
    this.accWdata = this.wideWire('acc_wdata', 64);
    this.accDone = this.wire('acc_done', 1);
    this.accStatus = this.wire('acc_status', 2);
    this.accCode = this.wire('acc_code', 8);
    this.accRdata = this.wideWire('acc_rdata', 64);

    this.blkValid = this.wire('blk_valid', 1);
    this.blkSpace = this.wire('blk_space', 4);
    this.blkOffset = this.wideWire('blk_offset', 64);
    this.blkLen = this.wire('blk_len', 13);
    this.blkAccept = this.wire('blk_accept', 1);
    this.blkStatus = this.wire('blk_status', 2);
    this.blkCode = this.wire('blk_code', 8);

    this.beatValid = this.wire('beat_valid', 1);
    this.beatReady = this.wire('beat_ready', 1);
    this.beatData = this.wideWire('beat_data', 64);
    this.beatBe = this.wire('beat_be', 8);
    this.beatLast = this.wire('beat_last', 1);

    this.doneValid = this.wire('done_valid', 1);
    this.doneStatus = this.wire('done_status', 2);
    this.doneCode = this.wire('done_code', 8);
    this.reset = this.wire('reset', 1);
  }
}
