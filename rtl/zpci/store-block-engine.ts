import { Component } from '../hdl/component.ts';
import type { Signal } from '../hdl/signal.ts';
import type { Simulator } from '../hdl/simulator.ts';
import type { HostMemory } from '../host-memory.ts';
import type { ZpciTiming } from '../timing.ts';
import { DeviceStatus, type DevicePort } from './device-port.ts';
import { BOUNDARY } from './codes.ts';
import { joinHalves, newLaneWord, packLanes, unpackLanes } from './byte-lanes.ts';

/**
 * The storage side of the store-block engine: a fetch port into guest storage. A request
 * (`req_valid` pulse with the doubleword-aligned `req_addr` and the count `req_ndw`) is
 * answered after `memoryLatency` cycles by one doubleword per cycle on `rsp_valid` with
 * `rsp_hi`/`rsp_lo` (its two 32-bit halves, bytes in address order, big-endian). The request becomes visible at cycle r; the first
 * doubleword is visible at cycle r + memoryLatency.
 */
export class StorageFetchPort extends Component {
  readonly reqValid: Signal<number>;
  readonly reqAddr: Signal<bigint>;
  readonly reqNdw: Signal<number>;
  readonly rspValid: Signal<number>;
  readonly rspHi: Signal<number>;
  readonly rspLo: Signal<number>;
  private readonly busy: Signal<number>;
  private readonly wait: Signal<number>;
  private readonly idx: Signal<number>;
  private readonly addr: Signal<bigint>;
  private readonly ndw: Signal<number>;

  constructor(sim: Simulator, name: string, parent: Component, memory: HostMemory, latency: number) {
    super(sim, name, parent);
    if (!Number.isInteger(latency) || latency < 1) throw new RangeError(`memoryLatency ${latency} must be >= 1`);
    this.reqValid = this.wire('req_valid', 1);
    this.reqAddr = this.wideWire('req_addr', 64);
    this.reqNdw = this.wire('req_ndw', 11);
    this.rspValid = this.reg('rsp_valid', 1);
    this.rspHi = this.reg('rsp_hi', 32);
    this.rspLo = this.reg('rsp_lo', 32);
    this.busy = this.reg('busy', 1);
    this.wait = this.reg('wait', 16);
    this.idx = this.reg('idx', 11);
    this.addr = this.wideReg('addr', 64);
    this.ndw = this.reg('ndw', 11);

    const word = newLaneWord();
    const line = new Uint8Array(8);
    const emit = (base: bigint, i: number, n: number): void => {
      const a = Number(base) + 8 * i;
      // The message is built only on failure: this runs for every doubleword.
      if (!memory.contains(a, 8)) this.check(false, `doubleword fetch at 0x${a.toString(16)} outside guest storage`, [this.addr, this.idx]);
      memory.readInto(a, line, 0, 8);
      packLanes(line, 0, 0, 8, word);
      this.rspValid.set(1);
      this.rspHi.set(word.hi);
      this.rspLo.set(word.lo);
      if (i + 1 < n) {
        this.busy.set(1);
        this.idx.set(i + 1);
      } else {
        this.busy.set(0);
      }
    };

    // Wake-up lists made once: the kernel copies them, so each idle edge allocates nothing.
    const wakeOnRequest = [this.reqValid];
    this.seq('fetch', () => {
      if (this.busy.value === 0) {
        const rspHigh = this.rspValid.value;
        if (rspHigh) this.rspValid.set(0);
        if (this.reqValid.value === 0) {
          if (rspHigh === 0) this.idle(wakeOnRequest);
          return;
        }
        const base = this.reqAddr.value;
        const n = this.reqNdw.value;
        this.addr.set(base);
        this.ndw.set(n);
        this.idx.set(0);
        if (latency === 1) {
          emit(base, 0, n);
        } else {
          this.busy.set(1);
          this.wait.set(latency - 2);
        }
        return;
      }
      if (this.wait.value > 0) {
        this.wait.set(this.wait.value - 1);
        return;
      }
      emit(this.addr.value, this.idx.value, this.ndw.value);
    });
  }
}

const enum SbeState {
  IDLE = 0,
  HEADER = 1,
  FETCH = 2,
  STREAM = 3,
  DONE_WAIT = 4,
}

export interface StoreBlockEngineOptions {
  readonly device: DevicePort;
  readonly memory: HostMemory;
  readonly maxstbl: number;
  readonly timing: ZpciTiming;
}

/**
 * Executes a PCISTB that passed the function unit's checks.
 *
 * Control from the function unit: a `start` pulse with `space`, `offset`, `len`, `gaddr`.
 * Sequence: header on the DevicePort blk channel → on OK, fetch ceil((gaddr%8 + len)/8) source
 * doublewords through `mem` → stream ceil((offset%8 + len)/8) beats honouring `beat_ready` →
 * wait for the device's `done_valid`. The result is a `cpl_valid` pulse with `cpl_status`
 * (DeviceStatus) and `cpl_code`. A header answered BUSY or ERROR completes at once, nothing
 * fetched or written.
 *
 * RTL assertions: a block never exceeds maxstbl, never crosses a 4 KiB PCI boundary, and its
 * beats' byte enables add up to exactly its length in exactly the expected number of beats.
 */
export class StoreBlockEngine extends Component {
  readonly start: Signal<number>;
  readonly space: Signal<number>;
  readonly offset: Signal<bigint>;
  readonly len: Signal<number>;
  readonly gaddr: Signal<bigint>;
  readonly cplValid: Signal<number>;
  readonly cplStatus: Signal<number>;
  readonly cplCode: Signal<number>;
  readonly state: Signal<number>;
  readonly mem: StorageFetchPort;
  private readonly offQ: Signal<bigint>;
  private readonly lenQ: Signal<number>;
  private readonly gaddrQ: Signal<bigint>;
  private readonly fetched: Signal<number>;
  private readonly nFetch: Signal<number>;
  private readonly beat: Signal<number>;
  private readonly nBeats: Signal<number>;
  private readonly beSum: Signal<number>;
  /** offset mod 8 and gaddr mod 8: lane of the first byte on the PCI side and in the line buffer. */
  private readonly off8: Signal<number>;
  private readonly src8: Signal<number>;
  /** The line buffer holding the fetched source doublewords (as many as a maxstbl block spans). */
  private readonly buffer: Uint8Array;

  constructor(sim: Simulator, name: string, parent: Component | undefined, opts: StoreBlockEngineOptions) {
    super(sim, name, parent);
    const dev = opts.device;
    this.start = this.wire('start', 1);
    this.space = this.wire('space', 4);
    this.offset = this.wideWire('offset', 64);
    this.len = this.wire('len', 13);
    this.gaddr = this.wideWire('gaddr', 64);
    this.cplValid = this.reg('cpl_valid', 1);
    this.cplStatus = this.reg('cpl_status', 2);
    this.cplCode = this.reg('cpl_code', 8);
    this.state = this.reg('state', 3);
    this.offQ = this.wideReg('offset_q', 64);
    this.lenQ = this.reg('len_q', 13);
    this.gaddrQ = this.wideReg('gaddr_q', 64);
    this.fetched = this.reg('fetched', 11);
    this.nFetch = this.reg('n_fetch', 11);
    this.beat = this.reg('beat', 11);
    this.nBeats = this.reg('n_beats', 11);
    this.beSum = this.reg('be_sum', 14);
    this.off8 = this.reg('off8', 3);
    this.src8 = this.reg('src8', 3);
    this.mem = new StorageFetchPort(sim, 'mem', this, opts.memory, opts.timing.memoryLatency);
    const mem = this.mem;
    const maxstbl = opts.maxstbl;
    this.buffer = new Uint8Array(8 * Math.ceil((7 + maxstbl) / 8));

    const beatWord = newLaneWord();
    const present = (k: number): void => {
      // Lane j of beat k carries block byte 8k + j - offset mod 8, fetched at gaddr mod 8 + that.
      packLanes(this.buffer, this.src8.value, 8 * k - this.off8.value, this.lenQ.value, beatWord);
      dev.beatValid.set(1);
      dev.beatData.set(joinHalves(beatWord));
      dev.beatBe.set(beatWord.be);
      dev.beatLast.set(k + 1 === this.nBeats.value ? 1 : 0);
      this.beat.set(k);
    };

    const complete = (status: number, code: number): void => {
      this.cplValid.set(1);
      this.cplStatus.set(status);
      this.cplCode.set(code);
      this.state.set(SbeState.IDLE);
    };

    // Wake-up lists made once: the kernel copies them, so each idle edge allocates nothing.
    const wakeOnStart = [this.start];
    const wakeOnAccept = [dev.blkAccept];
    const wakeOnMemory = [mem.rspValid];
    const wakeOnBeatReady = [dev.beatReady];
    const wakeOnDone = [dev.doneValid];
    this.seq('engine', () => {
      const st = this.state.value;
      if (st === SbeState.IDLE) {
        const cplHigh = this.cplValid.value;
        if (cplHigh) this.cplValid.set(0);
        if (this.start.value === 0) {
          if (cplHigh === 0) this.idle(wakeOnStart);
          return;
        }
        const off = this.offset.value;
        const len = this.len.value;
        const g = this.gaddr.value;
        this.check(len >= 1 && len <= maxstbl, `PCISTB block of ${len} bytes outside 1..maxstbl (${maxstbl})`, [this.start, this.len, this.offset]);
        this.check(Number(off & 0xfffn) + len <= BOUNDARY, `PCISTB block [0x${off.toString(16)}, +${len}) crosses a 4 KiB PCI boundary`, [this.start, this.len, this.offset]);
        this.offQ.set(off);
        this.lenQ.set(len);
        this.gaddrQ.set(g);
        const off8 = Number(off & 7n);
        const src8 = Number(g & 7n);
        this.off8.set(off8);
        this.src8.set(src8);
        this.nFetch.set(Math.ceil((src8 + len) / 8));
        this.nBeats.set(Math.ceil((off8 + len) / 8));
        this.beSum.set(0);
        dev.blkValid.set(1);
        dev.blkSpace.set(this.space.value);
        dev.blkOffset.set(off);
        dev.blkLen.set(len);
        this.state.set(SbeState.HEADER);
        return;
      }
      if (st === SbeState.HEADER) {
        if (dev.blkAccept.value === 0) {
          this.idle(wakeOnAccept);
          return;
        }
        dev.blkValid.set(0);
        const status = dev.blkStatus.value;
        if (status !== DeviceStatus.OK) {
          complete(status, dev.blkCode.value);
          return;
        }
        mem.reqValid.set(1);
        mem.reqAddr.set(this.gaddrQ.value & ~7n);
        mem.reqNdw.set(this.nFetch.value);
        this.fetched.set(0);
        this.state.set(SbeState.FETCH);
        return;
      }
      if (st === SbeState.FETCH) {
        const reqHigh = mem.reqValid.value;
        if (reqHigh) mem.reqValid.set(0);
        if (mem.rspValid.value === 0) {
          if (reqHigh === 0) this.idle(wakeOnMemory);
          return;
        }
        const i = this.fetched.value;
        unpackLanes(mem.rspHi.value, mem.rspLo.value, 0xff, this.buffer, 8 * i, 8 * (i + 1));
        this.fetched.set(i + 1);
        if (i + 1 === this.nFetch.value) {
          present(0);
          this.state.set(SbeState.STREAM);
        }
        return;
      }
      if (st === SbeState.STREAM) {
        if (dev.beatReady.value === 0) {
          this.idle(wakeOnBeatReady);
          return;
        }
        const sum = this.beSum.value + enabledLanes(dev.beatBe.value);
        this.beSum.set(sum);
        const k = this.beat.value;
        if (dev.beatLast.value) {
          this.check(k + 1 === this.nBeats.value, `last beat is beat ${k} but the block needs ${this.nBeats.value} beats`, [this.beat, this.nBeats]);
          this.check(sum === this.lenQ.value, `byte enables add up to ${sum}, block length is ${this.lenQ.value}`, [this.beSum, dev.beatBe, this.lenQ]);
          dev.beatValid.set(0);
          dev.beatLast.set(0);
          this.state.set(SbeState.DONE_WAIT);
        } else {
          present(k + 1);
        }
        return;
      }
      // DONE_WAIT
      if (dev.doneValid.value === 0) {
        this.idle(wakeOnDone);
        return;
      }
      complete(dev.doneStatus.value, dev.doneCode.value);
    });
  }
}

/** Number of set bits in a byte-enable mask. */
function enabledLanes(be: number): number {
  let x = be - ((be >>> 1) & 0x55);
  x = (x & 0x33) + ((x >>> 2) & 0x33);
  return (x + (x >>> 4)) & 0x0f;
}
