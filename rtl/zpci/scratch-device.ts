import { Component } from '../hdl/component.ts';
import type { Simulator } from '../hdl/simulator.ts';
import { bigEndianToBytes, bytesToBigEndian } from '../bytes.ts';
import { DeviceStatus, type DevicePort } from './device-port.ts';
import { DevicePortTarget, type AccessVerdict, type DevicePortTargetLogic, type TargetVerdict } from './device-port-target.ts';
import { PCIAS_CONFIG } from './codes.ts';

export interface ScratchDeviceOptions {
  /** BAR sizes 0..5 (0n = absent, at most 2^53); BARs are sparse RAM. */
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

// The verdicts that carry nothing but the outcome, shared rather than made per access.
const OK: TargetVerdict = Object.freeze({ status: DeviceStatus.OK, code: 0 });
const BUSY: TargetVerdict = Object.freeze({ status: DeviceStatus.BUSY, code: 0 });
const STORED: AccessVerdict = Object.freeze({ status: DeviceStatus.OK, code: 0, rdata: 0n });

/**
 * A RAM-backed PCI device on a DevicePort: BARs of configurable size, a config space (vendor and
 * device ID little-endian at 0 and 2, otherwise RAM), configurable latencies and back-pressure,
 * and knobs to answer BUSY or ERROR to the next accesses. Used by the zPCI tests and benches.
 */
export class ScratchDevice extends Component implements DevicePortTargetLogic {
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
  /** The DevicePort handshakes (scope `<name>.port`). */
  readonly target: DevicePortTarget;
  private readonly tally = { loads: 0, stores: 0, blocks: 0, busy: 0, errors: 0, resets: 0 };
  private readonly bars: Map<number, Uint8Array>[];
  private readonly config: Uint8Array;

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
    // Storage is addressed with plain numbers, exact below 2^53.
    if (this.opts.barSizes.some((size) => size > 2n ** 53n)) throw new RangeError('ScratchDevice BARs are at most 2^53 bytes');
    this.bars = this.opts.barSizes.map(() => new Map());
    this.config = new Uint8Array(this.opts.configSize);
    this.initConfig();
    this.target = new DevicePortTarget(sim, 'port', this, port, this, { readyPattern: this.opts.readyPattern });
    const wakeOnRequest = [port.accValid, port.blkValid, port.reset]; // made once: the kernel copies it
    this.seq('device', () => {
      if (port.reset.value) {
        this.tally.resets++;
        for (const m of this.bars) m.clear();
        this.initConfig();
        this.target.reset();
        return;
      }
      if (this.target.waiting) {
        this.idle(wakeOnRequest);
        return;
      }
      this.target.step();
    });
  }

  /** Counters for summaries. */
  get counts(): { loads: number; stores: number; blocks: number; beats: number; stallCycles: number; busy: number; errors: number; resets: number } {
    return { ...this.tally, beats: this.target.beatsTaken, stallCycles: this.target.stallCycles };
  }

  private initConfig(): void {
    this.config.fill(0);
    this.config[0] = this.opts.vendorId & 0xff;
    this.config[1] = this.opts.vendorId >>> 8;
    this.config[2] = this.opts.deviceId & 0xff;
    this.config[3] = this.opts.deviceId >>> 8;
  }

  /** Decide BUSY / ERROR / OK for a new access or header, consuming the knobs. */
  private verdict(): TargetVerdict {
    if (this.busyNext > 0) {
      this.busyNext--;
      this.tally.busy++;
      return BUSY;
    }
    if (this.errorNext > 0) {
      this.errorNext--;
      this.tally.errors++;
      return { status: DeviceStatus.ERROR, code: this.errorCode };
    }
    return OK;
  }

  // ------------------------------------------------------------ DevicePortTargetLogic

  accessLatency(write: boolean): number {
    return write ? this.opts.storeLatency : this.opts.loadLatency;
  }

  access(write: boolean, space: number, offset: bigint, len: number, wdata: bigint): AccessVerdict {
    const v = this.verdict();
    if (v.status !== DeviceStatus.OK) return { status: v.status, code: v.code, rdata: 0n };
    if (write) {
      this.tally.stores++;
      this.store(space, offset, bigEndianToBytes(wdata, len));
      return STORED;
    }
    this.tally.loads++;
    return { status: DeviceStatus.OK, code: 0, rdata: bytesToBigEndian(this.load(space, offset, len)) };
  }

  headerLatency(): number {
    return this.opts.headerLatency;
  }

  header(): TargetVerdict {
    const v = this.verdict();
    if (v.status === DeviceStatus.OK) this.tally.blocks++;
    return v;
  }

  /** doneLatency counts the edge that takes the last beat. */
  doneDelay(): number {
    return this.opts.doneLatency - 1;
  }

  blockDone(space: number, offset: bigint, bytes: Uint8Array): TargetVerdict {
    // Copied only when the write log keeps it: the array is the target's buffer (poke copies the bytes).
    this.store(space, offset, this.opts.logWrites ? bytes.slice() : bytes);
    return OK;
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
    const first = Number(offset);
    for (let i = 0; i < len; i++) {
      const a = first + i;
      const inPage = a % PAGE;
      const page = m?.get((a - inPage) / PAGE);
      out[i] = page ? page[inPage] : 0;
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
    const first = Number(offset);
    for (let i = 0; i < bytes.length; i++) {
      const a = first + i;
      const inPage = a % PAGE;
      const pn = (a - inPage) / PAGE;
      let page = m.get(pn);
      if (!page) m.set(pn, (page = new Uint8Array(PAGE)));
      page[inPage] = bytes[i];
    }
  }

  private store(space: number, offset: bigint, bytes: Uint8Array): void {
    this.writeCount++;
    if (this.opts.logWrites) this.writes.push({ space, offset, bytes });
    this.poke(space, offset, bytes);
  }
}
