import { Component } from '../hdl/component.ts';
import type { Signal, SignalValue } from '../hdl/signal.ts';
import type { Simulator } from '../hdl/simulator.ts';
import { DeviceStatus, type DevicePort } from './device-port.ts';

/**
 * Protocol assertions on a DevicePort, checked at every rising edge like SVA properties on
 * the interface: both sides of the link (function unit / store-block engine and device) are
 * held to the contract in device-port.ts. A violation stops the simulation naming the cycle,
 * the rule and the signals. It drives nothing and holds no signals of its own.
 *
 * - a request (acc_valid, blk_valid) stays up with stable fields until its answer
 *   (acc_done, blk_accept); an answer is a one-cycle pulse and only comes for a raised request;
 * - beats only after a header was accepted with OK and before done; a beat not taken
 *   (beat_valid && !beat_ready) is offered again unchanged in the next cycle;
 * - a block has exactly ceil((offset % 8 + len) / 8) beats, beat_last on the final one, and its
 *   byte enables cover exactly len bytes, contiguous from the block's first byte;
 * - done_valid pulses once per accepted block, after its last beat.
 */
export class DevicePortChecker extends Component {
  // What the port showed at the previous edge. Fields are kept as plain values (no formatting,
  // no arrays): the checker runs at every edge of every VM.
  private prevAccValid = 0;
  private prevAccDone = 0;
  private prevAccWrite = 0;
  private prevAccSpace = 0;
  private prevAccOffset = 0n;
  private prevAccLen = 0;
  private prevAccWdata = 0n;
  private prevBlkValid = 0;
  private prevBlkAccept = 0;
  private prevBlkSpace = 0;
  private prevBlkOffset = 0n;
  private prevBlkLen = 0;
  private prevBeatPending = false;
  private prevBeatData = 0n;
  private prevBeatBe = 0;
  private prevBeatLast = 0;
  private prevDone = 0;
  /** Block state: beats expected/seen, byte enables seen, whether the last beat went by. */
  private inBlock = false;
  private expectedBeats = 0;
  private beatsSeen = 0;
  private bytesSeen = 0;
  private lastSeen = false;
  private offsetLane = 0;
  private blockLen = 0;
  /** Blocks and beats checked, for tests and summaries. */
  readonly counts = { accesses: 0, blocks: 0, beats: 0 };
  /** The port signals an idle link waits for (made once: the kernel copies the list). */
  private readonly idleLinkWakeOn: readonly Signal<SignalValue>[];

  constructor(
    sim: Simulator,
    name: string,
    parent: Component | undefined,
    private readonly port: DevicePort,
  ) {
    super(sim, name, parent);
    this.idleLinkWakeOn = [port.accValid, port.accDone, port.blkValid, port.blkAccept, port.beatValid, port.doneValid];
    this.seq('check', () => this.checkEdge());
  }

  /** Only on a violation are the message and signal list built: the checker runs every edge. */
  private violation(detail: string, signals: Parameters<Component['sim']['fail']>[2] = []): never {
    return this.sim.fail(this.path, detail, signals);
  }

  private checkEdge(): void {
    const p = this.port;
    // Idle link, nothing outstanding: the common case costs a handful of reads.
    if (
      (p.accValid.value | p.accDone.value | p.blkValid.value | p.blkAccept.value | p.beatValid.value | p.doneValid.value) === 0 &&
      !this.prevAccValid &&
      !this.prevBlkValid &&
      !this.prevBeatPending
    ) {
      this.prevAccDone = this.prevBlkAccept = this.prevDone = 0;
      // Until a port signal rises, every edge would find the same idle link.
      this.idle(this.idleLinkWakeOn);
      return;
    }
    // Single accesses.
    const accValid = p.accValid.value;
    const accDone = p.accDone.value;
    if (this.prevAccValid && !this.prevAccDone) {
      if (!(accValid === 1)) this.violation('acc_valid dropped before acc_done', [p.accValid, p.accDone]);
      const same =
        this.prevAccWrite === p.accWrite.value &&
        this.prevAccSpace === p.accSpace.value &&
        this.prevAccOffset === p.accOffset.value &&
        this.prevAccLen === p.accLen.value &&
        this.prevAccWdata === p.accWdata.value;
      if (!(same)) this.violation('access fields changed while waiting for acc_done', [p.accSpace, p.accOffset, p.accLen]);
    }
    if (accDone) {
      if (!(accValid === 1)) this.violation('acc_done without acc_valid', [p.accDone, p.accValid]);
      if (!(!this.prevAccDone)) this.violation('acc_done high for more than one cycle', [p.accDone]);
      this.counts.accesses++;
    }
    this.prevAccValid = accValid;
    this.prevAccDone = accDone;
    if (accValid) {
      this.prevAccWrite = p.accWrite.value;
      this.prevAccSpace = p.accSpace.value;
      this.prevAccOffset = p.accOffset.value;
      this.prevAccLen = p.accLen.value;
      this.prevAccWdata = p.accWdata.value;
    }

    // Block headers.
    const blkValid = p.blkValid.value;
    const blkAccept = p.blkAccept.value;
    if (this.prevBlkValid && !this.prevBlkAccept) {
      if (!(blkValid === 1)) this.violation('blk_valid dropped before blk_accept', [p.blkValid, p.blkAccept]);
      const same = this.prevBlkSpace === p.blkSpace.value && this.prevBlkOffset === p.blkOffset.value && this.prevBlkLen === p.blkLen.value;
      if (!(same)) this.violation('block header changed while waiting for blk_accept', [p.blkSpace, p.blkOffset, p.blkLen]);
    }
    if (blkAccept) {
      if (!(blkValid === 1)) this.violation('blk_accept without blk_valid', [p.blkAccept, p.blkValid]);
      if (!(!this.prevBlkAccept)) this.violation('blk_accept high for more than one cycle', [p.blkAccept]);
      if (!(!this.inBlock)) this.violation('a new block accepted before the previous one was done', [p.blkAccept]);
      if (p.blkStatus.value === DeviceStatus.OK) {
        const len = p.blkLen.value;
        this.offsetLane = Number(p.blkOffset.value & 7n);
        this.blockLen = len;
        this.expectedBeats = Math.ceil((this.offsetLane + len) / 8);
        this.inBlock = true;
        this.beatsSeen = 0;
        this.bytesSeen = 0;
        this.lastSeen = false;
      }
    }
    this.prevBlkValid = blkValid;
    this.prevBlkAccept = blkAccept;
    if (blkValid) {
      this.prevBlkSpace = p.blkSpace.value;
      this.prevBlkOffset = p.blkOffset.value;
      this.prevBlkLen = p.blkLen.value;
    }

    // Beats.
    const beatValid = p.beatValid.value;
    if (this.prevBeatPending) {
      if (!(beatValid === 1)) this.violation('beat withdrawn before beat_ready took it', [p.beatValid, p.beatReady]);
      const same = this.prevBeatData === p.beatData.value && this.prevBeatBe === p.beatBe.value && this.prevBeatLast === p.beatLast.value;
      if (!(same)) this.violation('beat changed while not taken', [p.beatData, p.beatBe, p.beatLast]);
    }
    if (beatValid) {
      if (!(this.inBlock && !this.lastSeen)) this.violation('beat outside an accepted block', [p.beatValid]);
      if (p.beatReady.value) {
        const be = p.beatBe.value;
        const k = this.beatsSeen;
        // Lanes this beat must enable: from the block's first byte to its last, clipped to the doubleword.
        const first = k === 0 ? this.offsetLane : 0;
        const last = Math.min(7, this.offsetLane + this.blockLen - 1 - 8 * k);
        let want = 0;
        for (let lane = first; lane <= last; lane++) want |= 0x80 >> lane;
        if (!(be === want)) this.violation(`beat ${k} enables 0x${be.toString(16)}, the block needs 0x${want.toString(16)}`, [p.beatBe, p.blkOffset, p.blkLen]);
        this.beatsSeen++;
        this.bytesSeen += popcount(be);
        const isLast = this.beatsSeen === this.expectedBeats;
        if (!(p.beatLast.value === (isLast ? 1 : 0))) this.violation(`beat_last on beat ${k} of ${this.expectedBeats}`, [p.beatLast]);
        if (isLast) this.lastSeen = true;
        this.counts.beats++;
      }
    }
    this.prevBeatPending = beatValid === 1 && p.beatReady.value === 0;
    if (this.prevBeatPending) {
      this.prevBeatData = p.beatData.value;
      this.prevBeatBe = p.beatBe.value;
      this.prevBeatLast = p.beatLast.value;
    }

    // Completion.
    const done = p.doneValid.value;
    if (done) {
      if (!(!this.prevDone)) this.violation('done_valid high for more than one cycle', [p.doneValid]);
      if (!(this.inBlock)) this.violation('done_valid without an accepted block', [p.doneValid]);
      if (!(this.lastSeen)) this.violation(`done_valid after ${this.beatsSeen} of ${this.expectedBeats} beats`, [p.doneValid]);
      if (!(this.bytesSeen === this.blockLen)) this.violation(`block carried ${this.bytesSeen} bytes, header said ${this.blockLen}`, [p.doneValid, p.blkLen]);
      this.inBlock = false;
      this.counts.blocks++;
    }
    this.prevDone = done;
  }
}

function popcount(v: number): number {
  let n = 0;
  for (let x = v; x !== 0; x &= x - 1) n++;
  return n;
}
