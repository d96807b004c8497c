import { Component } from '../hdl/component.ts';
import type { Signal } from '../hdl/signal.ts';
import type { Simulator } from '../hdl/simulator.ts';
import { DeviceStatus, type DevicePort } from './device-port.ts';
import { PCIAS_CONFIG } from './codes.ts';

export interface ScratchDeviceOptions {
  /** BAR sizes 0..5 (0n = absent); BARs are sparse RAM. */
  readonly barSizes: readonly bigint[];
  readonly configSize?: number;
  readonly vendorId?: number;
  readonly deviceId?: number;
  /** Cycles from sampling a PCILG to `acc_done` being visible (>= 1). */
  readonly loadLatency?: number;
  /** Cycles from sampling a PCISTG to `acc_done` being visible (>= 1). */
  readonly storeLatency?: number;
  /** Cycles from sampling a block header to `blk_accept` being visible (>= 1). */
  readonly headerLatency?: number;
  /** Cycles from consuming the last beat to `done_valid` being visible (>= 1). */
  readonly doneLatency?: number;
  /**
   * Back-pressure: `beat_ready` in the i-th cycle of a block's beat phase (counting cycles in
   * which beat_valid is high) is readyPattern[i % length]. Default: always ready.
   */
  readonly readyPattern?: readonly boolean[];
  /** Keep every device-side write in `writes` (tests do); turn off for long runs. Default true. */
  readonly logWrites?: boolean;
}

/** One device-side write, as the device performed it (bytes in address order). */
export interface DeviceWrite {
  readonly space: number;
  readonly offset: bigint;
  readonly bytes: Uint8Array;
}

const PAGE = 4096;

/**
 * A RAM-backed PCI device on a DevicePort: BARs of configurable size, a config space (vendor and
 * device ID little-endian at 0 and 2, otherwise RAM), configurable latencies and back-pressure,
 * and knobs to answer BUSY or ERROR to the next accesses. Used by the zPCI tests and benches.
 */
export class ScratchDevice extends Component {
  readonly opts: Required<ScratchDeviceOptions>;
  /** Answer BUSY to the next N accesses or block headers. */
  busyNext = 0;
  /** Answer ERROR with `errorCode` to the next N accesses or block headers. */
  errorNext = 0;
  errorCode = 0x50;
  /** Every write the device performed, in order (cleared by the test as it likes). */
  readonly writes: DeviceWrite[] = [];
  /** Device-side writes performed, logged or not. */
  writeCount = 0;
  /** Counters for summaries. */
  readonly counts = { loads: 0, stores: 0, blocks: 0, beats: 0, stallCycles: 0, busy: 0, errors: 0, resets: 0 };
  readonly beatReadyIndex: Signal<number>;
  private readonly bars: Map<number, Uint8Array>[];
  private readonly config: Uint8Array;
  private accCnt = 0;
  private hdrCnt = 0;
  private doneCnt = 0;
  private inBlock = false;
  private blkBase = 0n;
  private blkOffset = 0n;
  private blkLen = 0;
  private blkSpace = 0;
  private beatIndex = 0;
  private readonly blkBytes = new Uint8Array(8192);

  constructor(sim: Simulator, name: string, parent: Component | undefined, readonly port: DevicePort, options: ScratchDeviceOptions) {
    super(sim, name, parent);
    this.opts = {
      configSize: 4096,
      vendorId: 0x1014,
      deviceId: 0x04ed,
      loadLatency: 4,
      storeLatency: 3,
      headerLatency: 2,
      doneLatency: 3,
      readyPattern: [true],
      logWrites: true,
      ...options,
    };
    for (const k of ['loadLatency', 'storeLatency', 'headerLatency', 'doneLatency'] as const) {
      if (!Number.isInteger(this.opts[k]) || this.opts[k] < 1) throw new RangeError(`${k} must be >= 1`);
    }
    if (this.opts.readyPattern.length === 0 || !this.opts.readyPattern.includes(true)) throw new RangeError('readyPattern needs a true');
    this.bars = this.opts.barSizes.map(() => new Map());
    this.config = new Uint8Array(this.opts.configSize);
    this.initConfig();
    this.beatReadyIndex = this.reg('beat_ready_idx', 16);
    const p = port;
    const pattern = this.opts.readyPattern;
    const alwaysReady = pattern.every((x) => x);
    if (alwaysReady) p.beatReady.set(1);
    else this.comb('ready', [this.beatReadyIndex], () => p.beatReady.set(pattern[this.beatReadyIndex.value % pattern.length] ? 1 : 0));

    this.seq('device', () => this.clock());
  }

  private initConfig(): void {
    this.config.fill(0);
    this.config[0] = this.opts.vendorId & 0xff;
    this.config[1] = this.opts.vendorId >>> 8;
    this.config[2] = this.opts.deviceId & 0xff;
    this.config[3] = this.opts.deviceId >>> 8;
  }

  /** Decide BUSY / ERROR / OK for a new access or header, consuming the knobs. */
  private verdict(): number {
    if (this.busyNext > 0) {
      this.busyNext--;
      this.counts.busy++;
      return DeviceStatus.BUSY;
    }
    if (this.errorNext > 0) {
      this.errorNext--;
      this.counts.errors++;
      return DeviceStatus.ERROR;
    }
    return DeviceStatus.OK;
  }

  private clock(): void {
    const p = this.port;
    if (p.reset.value) {
      this.counts.resets++;
      for (const m of this.bars) m.clear();
      this.initConfig();
      this.accCnt = this.hdrCnt = this.doneCnt = 0;
      this.inBlock = false;
      this.beatIndex = 0;
    }
    // Pulses last one cycle.
    if (p.accDone.value) p.accDone.set(0);
    if (p.blkAccept.value) p.blkAccept.set(0);
    if (p.doneValid.value) p.doneValid.set(0);

    // Single accesses.
    if (this.accCnt > 0) {
      if (--this.accCnt === 0) this.finishAccess();
    } else if (p.accValid.value && !p.accDone.value) {
      this.accCnt = p.accWrite.value ? this.opts.storeLatency : this.opts.loadLatency;
      if (--this.accCnt === 0) this.finishAccess();
    }

    // Block header.
    if (this.hdrCnt > 0) {
      if (--this.hdrCnt === 0) this.finishHeader();
    } else if (p.blkValid.value && !p.blkAccept.value && !this.inBlock) {
      this.hdrCnt = this.opts.headerLatency;
      if (--this.hdrCnt === 0) this.finishHeader();
    }

    // Completion.
    if (this.doneCnt > 0 && --this.doneCnt === 0) {
      p.doneValid.set(1);
      p.doneStatus.set(DeviceStatus.OK);
      p.doneCode.set(0);
    }

    // Beats.
    if (this.inBlock && p.beatValid.value) {
      this.beatReadyIndex.set((this.beatReadyIndex.value + 1) & 0xffff);
      if (p.beatReady.value) {
        this.takeBeat();
      } else {
        this.counts.stallCycles++;
      }
    }
  }

  private finishAccess(): void {
    const p = this.port;
    const v = this.verdict();
    p.accDone.set(1);
    p.accStatus.set(v);
    p.accCode.set(v === DeviceStatus.ERROR ? this.errorCode : 0);
    if (v !== DeviceStatus.OK) return;
    const space = p.accSpace.value;
    const off = p.accOffset.value;
    const len = p.accLen.value;
    if (p.accWrite.value) {
      this.counts.stores++;
      const bytes = new Uint8Array(len);
      let d = p.accWdata.value;
      for (let i = len - 1; i >= 0; i--) {
        bytes[i] = Number(d & 0xffn);
        d >>= 8n;
      }
      this.store(space, off, bytes);
    } else {
      this.counts.loads++;
      const bytes = this.load(space, off, len);
      let v2 = 0n;
      for (const b of bytes) v2 = (v2 << 8n) | BigInt(b);
      p.accRdata.set(v2);
    }
  }

  private finishHeader(): void {
    const p = this.port;
    const v = this.verdict();
    p.blkAccept.set(1);
    p.blkStatus.set(v);
    p.blkCode.set(v === DeviceStatus.ERROR ? this.errorCode : 0);
    if (v !== DeviceStatus.OK) return;
    this.counts.blocks++;
    this.inBlock = true;
    this.blkOffset = p.blkOffset.value;
    this.blkBase = p.blkOffset.value & ~7n;
    this.blkLen = p.blkLen.value;
    this.beatReadyIndex.set(0);
    this.blkSpace = p.blkSpace.value;
  }

  private takeBeat(): void {
    const p = this.port;
    this.counts.beats++;
    const be = p.beatBe.value;
    const d = p.beatData.value;
    const hi = Number(d >> 32n);
    const lo = Number(d & 0xffff_ffffn);
    // Beat k covers PCI offsets [base + 8k, +8); block byte i sits at PCI offset blkOffset + i.
    const start = Number(this.blkBase - this.blkOffset); // -(offset mod 8)
    const k = this.beatIndex++;
    for (let j = 0; j < 8; j++) {
      if ((be & (0x80 >>> j)) === 0) continue;
      const byte = j < 4 ? (hi >>> (8 * (3 - j))) & 0xff : (lo >>> (8 * (7 - j))) & 0xff;
      const at = start + 8 * k + j;
      if (at >= 0 && at < this.blkLen) this.blkBytes[at] = byte;
    }
    if (p.beatLast.value) {
      this.beatIndex = 0;
      this.inBlock = false;
      this.store(this.blkSpace, this.blkOffset, this.blkBytes.slice(0, this.blkLen));
      this.doneCnt = this.opts.doneLatency;
      if (--this.doneCnt === 0) {
        p.doneValid.set(1);
        p.doneStatus.set(DeviceStatus.OK);
        p.doneCode.set(0);
      }
    }
  }

  // ------------------------------------------------------------ storage

  /** Bytes of a BAR or config space in address order (what a load returns). */
  load(space: number, offset: bigint, len: number): Uint8Array {
    const out = new Uint8Array(len);
    if (space === PCIAS_CONFIG) {
      for (let i = 0; i < len; i++) {
        const a = Number(offset) + i;
        out[i] = a < this.config.length ? this.config[a] : 0xff;
      }
      return out;
    }
    const m = this.bars[space];
    for (let i = 0; i < len; i++) {
      const a = offset + BigInt(i);
      const page = m?.get(Number(a / BigInt(PAGE)));
      out[i] = page ? page[Number(a % BigInt(PAGE))] : 0;
    }
    return out;
  }

  /** Store bytes (used by the device itself and by tests to preload). Does not log. */
  poke(space: number, offset: bigint, bytes: Uint8Array): void {
    if (space === PCIAS_CONFIG) {
      for (let i = 0; i < bytes.length; i++) {
        const a = Number(offset) + i;
        if (a < this.config.length) this.config[a] = bytes[i];
      }
      return;
    }
    const m = this.bars[space];
    for (let i = 0; i < bytes.length; i++) {
      const a = offset + BigInt(i);
      const pn = Number(a / BigInt(PAGE));
      let page = m.get(pn);
      if (!page) m.set(pn, (page = new Uint8Array(PAGE)));
      page[Number(a % BigInt(PAGE))] = bytes[i];
    }
  }

  private store(space: number, offset: bigint, bytes: Uint8Array): void {
    this.writeCount++;
    if (this.opts.logWrites) this.writes.push({ space, offset, bytes });
    this.poke(space, offset, bytes);
  }
}
