import { Component } from '../hdl/component.ts';
import type { Signal } from '../hdl/signal.ts';
import type { Simulator } from '../hdl/simulator.ts';
import { newLaneWord, splitHalves, unpackLanes } from './byte-lanes.ts';
import { DeviceStatus, type DevicePort } from './device-port.ts';

/** A device's answer to a request: DeviceStatus and, for ERROR, the status byte. */
export interface TargetVerdict {
  readonly status: number;
  readonly code: number;
}

export interface AccessVerdict extends TargetVerdict {
  /** Load data, right-aligned in address order (0n for stores and refusals). */
  readonly rdata: bigint;
}

/** What a device decides; the DevicePortTarget does the handshakes and the timing. */
export interface DevicePortTargetLogic {
  /** Edges from first seeing `acc_valid` to the one that raises `acc_done` (>= 1; 1 = the same edge). */
  accessLatency(write: boolean, space: number): number;
  /** The single access, performed on the edge that raises `acc_done`. */
  access(write: boolean, space: number, offset: bigint, len: number, wdata: bigint): AccessVerdict;
  /** Edges from first seeing `blk_valid` to the one that raises `blk_accept` (>= 1). */
  headerLatency(space: number): number;
  /** The header verdict, on the edge that raises `blk_accept`; OK opens the data phase. */
  header(space: number, offset: bigint, len: number): TargetVerdict;
  /** Edges after the one that takes the last beat until the one that raises `done_valid` (>= 0). */
  doneDelay(space: number): number;
  /**
   * The block's bytes in address order, on the edge that raises `done_valid`. The array is the
   * target's buffer: valid until the next beat is taken (so a commit-phase write may keep a view).
   */
  blockDone(space: number, offset: bigint, bytes: Uint8Array): TargetVerdict;
}

/** blk_state values on the waveform. */
export const TargetBlkState = { IDLE: 0, HEADER: 1, BEATS: 2, COMMIT: 3 } as const;

/** Largest block the 13-bit `blk_len` can carry. */
const MAX_BLOCK = 8191;

export interface DevicePortTargetOptions {
  /**
   * Back-pressure: in the i-th cycle of a block's data phase in which `beat_valid` is high,
   * `beat_ready` is readyPattern[i % length]. Default: ready in every cycle of the data phase.
   */
  readonly readyPattern?: readonly boolean[];
}

/**
 * The device side of the DevicePort handshakes (see device-port.ts), shared by every device:
 * single accesses and block headers answered after the device's latencies (down-counters),
 * beats unpacked into a block buffer, `done_valid` after the device's delay. The owner calls
 * `step()` from its clocked process and `reset()` on a function-level reset; the decisions
 * come from its DevicePortTargetLogic.
 */
export class DevicePortTarget extends Component {
  readonly blkState: Signal<number>;
  /** Remaining edges of the access in flight (0: none). */
  readonly accCount: Signal<number>;
  /** Remaining edges of the header lookup or of the commit. */
  readonly blkCount: Signal<number>;
  /** Beats taken in the current block. */
  readonly beat: Signal<number>;
  /** Bytes taken in the current block. */
  readonly got: Signal<number>;
  /** The accepted block's header, latched at blk_accept (the unit may change blk_* afterwards). */
  readonly space: Signal<number>;
  readonly offset: Signal<bigint>;
  readonly len: Signal<number>;
  /** offset mod 8: the lane of the block's first byte. */
  readonly lane0: Signal<number>;
  /** Beats taken and cycles with a beat offered but not taken (statistics). */
  beatsTaken = 0;
  stallCycles = 0;
  private readonly readyIdx: Signal<number> | undefined;
  /** The block buffer, grown to the longest block seen (a machine that stores no block allocates none). */
  private bytes = new Uint8Array(0);
  private readonly word = newLaneWord();

  constructor(
    sim: Simulator,
    name: string,
    parent: Component,
    readonly port: DevicePort,
    private readonly logic: DevicePortTargetLogic,
    options: DevicePortTargetOptions = {},
  ) {
    super(sim, name, parent);
    this.blkState = this.reg('blk_state', 2);
    this.accCount = this.reg('acc_cnt', 16);
    this.blkCount = this.reg('blk_cnt', 16);
    this.beat = this.reg('beat', 11);
    this.got = this.reg('got', 13);
    this.space = this.reg('space', 4);
    this.offset = this.wideReg('offset', 64);
    this.len = this.reg('len', 13);
    this.lane0 = this.reg('lane0', 3);
    const pattern = options.readyPattern ?? [true];
    if (pattern.length === 0 || !pattern.includes(true)) throw new RangeError('readyPattern needs a true');
    if (!pattern.every((x) => x)) {
      const idx = (this.readyIdx = this.reg('ready_idx', 16));
      const state = this.blkState;
      this.comb('ready', [idx, state], () => port.beatReady.set(state.value === TargetBlkState.BEATS && pattern[idx.value % pattern.length] ? 1 : 0));
    }
  }

  /** Function-level reset: drop whatever is in flight, answer nothing in this edge. */
  reset(): void {
    const p = this.port;
    this.blkState.set(TargetBlkState.IDLE);
    this.accCount.set(0);
    this.blkCount.set(0);
    p.accDone.set(0);
    p.blkAccept.set(0);
    p.doneValid.set(0);
    if (this.readyIdx === undefined) p.beatReady.set(0);
  }

  /** Nothing in flight, no answer to drop, no request: step() would change nothing until acc_valid or blk_valid rises. */
  get waiting(): boolean {
    const p = this.port;
    return (
      (p.accDone.value | p.blkAccept.value | p.doneValid.value | p.accValid.value | p.blkValid.value | this.accCount.value) === 0 &&
      this.blkState.value === TargetBlkState.IDLE
    );
  }

  /** One rising edge. */
  step(): void {
    const p = this.port;
    // Answers are one-cycle pulses.
    if (p.accDone.value) p.accDone.set(0);
    if (p.blkAccept.value) p.blkAccept.set(0);
    if (p.doneValid.value) p.doneValid.set(0);

    const accLeft = this.accCount.value;
    if (accLeft > 0) {
      this.accCount.set(accLeft - 1);
      if (accLeft === 1) this.finishAccess();
    } else if (p.accValid.value && !p.accDone.value) {
      const latency = this.logic.accessLatency(p.accWrite.value === 1, p.accSpace.value);
      this.accCount.set(latency - 1);
      if (latency === 1) this.finishAccess();
    }

    switch (this.blkState.value) {
      case TargetBlkState.IDLE:
        if (p.blkValid.value && !p.blkAccept.value) {
          const latency = this.logic.headerLatency(p.blkSpace.value);
          if (latency === 1) this.finishHeader();
          else {
            this.blkState.set(TargetBlkState.HEADER);
            this.blkCount.set(latency - 1);
          }
        }
        return;
      case TargetBlkState.HEADER: {
        const left = this.blkCount.value - 1;
        this.blkCount.set(left);
        if (left === 0) this.finishHeader();
        return;
      }
      case TargetBlkState.BEATS:
        if (p.beatValid.value) this.offered();
        return;
      default: {
        const left = this.blkCount.value - 1;
        this.blkCount.set(left);
        if (left === 0) this.finishBlock();
      }
    }
  }

  private finishAccess(): void {
    const p = this.port;
    const v = this.logic.access(p.accWrite.value === 1, p.accSpace.value, p.accOffset.value, p.accLen.value, p.accWdata.value);
    p.accDone.set(1);
    p.accStatus.set(v.status);
    p.accCode.set(v.code);
    p.accRdata.set(v.rdata);
  }

  private finishHeader(): void {
    const p = this.port;
    const v = this.logic.header(p.blkSpace.value, p.blkOffset.value, p.blkLen.value);
    p.blkAccept.set(1);
    p.blkStatus.set(v.status);
    p.blkCode.set(v.code);
    if (v.status !== DeviceStatus.OK) {
      this.blkState.set(TargetBlkState.IDLE);
      return;
    }
    this.blkState.set(TargetBlkState.BEATS);
    this.space.set(p.blkSpace.value);
    this.offset.set(p.blkOffset.value);
    const len = p.blkLen.value;
    this.len.set(len);
    if (len > this.bytes.length) this.bytes = new Uint8Array(Math.min(MAX_BLOCK, Math.max(len, 2 * this.bytes.length)));
    this.lane0.set(Number(p.blkOffset.value & 7n));
    this.beat.set(0);
    this.got.set(0);
    if (this.readyIdx !== undefined) this.readyIdx.set(0);
    else p.beatReady.set(1);
  }

  /** A beat is offered: it is taken on an edge where beat_valid and beat_ready are both high. */
  private offered(): void {
    const p = this.port;
    if (this.readyIdx !== undefined) this.readyIdx.set((this.readyIdx.value + 1) & 0xffff);
    if (!p.beatReady.value) {
      this.stallCycles++;
      return;
    }
    this.beatsTaken++;
    const len = this.len.value;
    const k = this.beat.value;
    const w = this.word;
    splitHalves(p.beatData.value, w);
    // Beat k covers PCI offsets [floor(offset/8)*8 + 8k, +8): block byte i sits in lane (offset mod 8 + i) mod 8.
    const base = 8 * k - this.lane0.value;
    const got = this.got.value + unpackLanes(w.hi, w.lo, p.beatBe.value, this.bytes, base, len);
    // Messages are built only on failure: this runs for every beat.
    if (got > len) this.check(false, `beat carries more than blk_len=${len} bytes`, [p.beatBe]);
    this.beat.set(k + 1);
    this.got.set(got);
    if (!p.beatLast.value) return;
    if (got !== len) this.check(false, `last beat after ${got} of ${len} bytes`, [p.beatLast]);
    if (this.readyIdx === undefined) p.beatReady.set(0);
    const delay = this.logic.doneDelay(this.space.value);
    if (delay === 0) this.finishBlock();
    else {
      this.blkState.set(TargetBlkState.COMMIT);
      this.blkCount.set(delay);
    }
  }

  private finishBlock(): void {
    const p = this.port;
    const v = this.logic.blockDone(this.space.value, this.offset.value, this.bytes.subarray(0, this.len.value));
    p.doneValid.set(1);
    p.doneStatus.set(v.status);
    p.doneCode.set(v.code);
    this.blkState.set(TargetBlkState.IDLE);
  }
}
