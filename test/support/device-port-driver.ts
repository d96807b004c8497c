/**
 * Testbench helper: drives the function-unit side of a DevicePort the way the PCI function unit
 * and store-block engine do (see rtl/zpci/device-port.ts), so device tests need no zPCI unit.
 * Every method must be awaited inside a testbench process; one operation at a time per port.
 */
import type { Simulator } from '../../rtl/hdl/index.ts';
import { DeviceStatus, type DevicePort } from '../../rtl/zpci/device-port.ts';

export interface PortResult {
  readonly status: number;
  readonly code: number;
  /** Load data, right-aligned (lowest address most significant). */
  readonly data: bigint;
  /** Cycles from raising the request to seeing done (inclusive of the device's latency). */
  readonly cycles: number;
  /** For block stores: cycle numbers of the protocol events. */
  readonly trace?: { start: number; accept: number; lastBeat?: number; done?: number };
}

export interface DriverOptions {
  /** Cycles a request may wait for its answer. */
  readonly timeout?: number;
  /** Present a beat only every `beatGap + 1` cycles (default 0: every cycle). */
  readonly beatGap?: number;
}

export class DevicePortDriver {
  constructor(
    readonly sim: Simulator,
    readonly port: DevicePort,
    readonly options: DriverOptions = {},
  ) {}

  private get timeout(): number {
    return this.options.timeout ?? 100_000;
  }

  /** PCILG-like load of 1/2/4/8 bytes. */
  load(space: number, offset: bigint | number, len: number): Promise<PortResult> {
    return this.single(false, space, BigInt(offset), len, 0n);
  }

  /** PCISTG-like store of 1/2/4/8 bytes (data right-aligned). */
  store(space: number, offset: bigint | number, len: number, data: bigint): Promise<PortResult> {
    return this.single(true, space, BigInt(offset), len, data);
  }

  private async single(write: boolean, space: number, offset: bigint, len: number, data: bigint): Promise<PortResult> {
    const p = this.port;
    // A new request starts only after the previous answer's pulse is gone (as the unit does).
    if (p.accDone.value === 1) await this.sim.tick();
    const start = this.sim.cycle;
    p.accWrite.set(write ? 1 : 0);
    p.accSpace.set(space);
    p.accOffset.set(offset);
    p.accLen.set(len & 0xf);
    p.accWdata.set(data);
    p.accValid.set(1);
    await this.sim.until(() => p.accDone.value === 1, { timeout: this.timeout, what: 'acc_done' });
    const r: PortResult = { status: p.accStatus.value, code: p.accCode.value, data: p.accRdata.value, cycles: this.sim.cycle - start };
    p.accValid.set(0);
    return r;
  }

  /**
   * PCISTB-like block store: header, then (on OK) beats covering the PCI doublewords of
   * [offset, offset + bytes.length), then waits for done.
   */
  async storeBlock(space: number, offset: bigint | number, bytes: Uint8Array): Promise<PortResult> {
    const p = this.port;
    const off = BigInt(offset);
    if (p.blkAccept.value === 1 || p.doneValid.value === 1) await this.sim.tick();
    const start = this.sim.cycle;
    p.blkSpace.set(space);
    p.blkOffset.set(off);
    p.blkLen.set(bytes.length);
    p.blkValid.set(1);
    await this.sim.until(() => p.blkAccept.value === 1, { timeout: this.timeout, what: 'blk_accept' });
    const accept = this.sim.cycle;
    p.blkValid.set(0);
    const status = p.blkStatus.value;
    if (status !== DeviceStatus.OK) {
      return { status, code: p.blkCode.value, data: 0n, cycles: accept - start, trace: { start, accept } };
    }
    const lead = Number(off & 7n);
    const beats = Math.ceil((lead + bytes.length) / 8);
    let lastBeat = accept;
    for (let k = 0; k < beats; k++) {
      let data = 0n;
      let be = 0;
      for (let lane = 0; lane < 8; lane++) {
        const i = 8 * k + lane - lead;
        data <<= 8n;
        if (i >= 0 && i < bytes.length) {
          data |= BigInt(bytes[i]);
          be |= 0x80 >> lane;
        }
      }
      p.beatData.set(data);
      p.beatBe.set(be);
      p.beatLast.set(k === beats - 1 ? 1 : 0);
      p.beatValid.set(1);
      // The beat transfers at the next edge where beat_ready (sampled) is high.
      for (;;) {
        const readyNow = p.beatReady.value === 1;
        await this.sim.tick();
        if (readyNow) break;
        if (this.sim.cycle - accept > this.timeout) throw new Error('beat_ready timeout');
      }
      lastBeat = this.sim.cycle;
      if (this.options.beatGap && k < beats - 1) {
        p.beatValid.set(0);
        await this.sim.tick(this.options.beatGap);
      }
    }
    p.beatValid.set(0);
    p.beatLast.set(0);
    await this.sim.until(() => p.doneValid.value === 1, { timeout: this.timeout, what: 'done_valid' });
    const done = this.sim.cycle;
    return {
      status: p.doneStatus.value,
      code: p.doneCode.value,
      data: 0n,
      cycles: done - start,
      trace: { start, accept, lastBeat, done },
    };
  }

  /** One-cycle function-level reset pulse. */
  async reset(): Promise<void> {
    this.port.reset.set(1);
    await this.sim.tick();
    this.port.reset.set(0);
  }
}
