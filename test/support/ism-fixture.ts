/**
 * N ISM adapters on one network, each with its own GuestMemory and DevicePort driven by a
 * DevicePortDriver: the device half without the zPCI unit.
 */
import { Component, Simulator, type Signal } from '../../rtl/hdl/index.ts';
import { FunctionState } from '../../rtl/zpci/codes.ts';
import { DevicePort, DeviceStatus } from '../../rtl/zpci/device-port.ts';
import { IsmAdapter, type IsmAdapterConfig } from '../../rtl/ism/adapter.ts';
import { IsmNetwork } from '../../rtl/ism/network.ts';
import {
  COMMAND_BY_NAME,
  decodeHeader,
  encodeRequest,
  moveOffset,
  readFields,
  type FieldValues,
  type IsmCmdName,
} from '../../rtl/ism/commands.ts';
import { DEFAULT_TIMING, type IsmTiming } from '../../rtl/timing.ts';
import { GuestMemory } from '../../models/host/guest-memory.ts';
import { bigEndianToBytes } from '../../rtl/bytes.ts';
import { DevicePortDriver, type PortResult } from './device-port-driver.ts';

export interface IsmVm {
  readonly index: number;
  readonly scope: Component;
  readonly memory: GuestMemory;
  readonly port: DevicePort;
  readonly driver: DevicePortDriver;
  readonly adapter: IsmAdapter;
  /** The zPCI function state the adapter sees (a testbench-driven wire, ENABLED at start). */
  readonly fnState: Signal<number>;
}

export interface CommandResult {
  /** `ret` from the response header (0xFFFF if the header load failed, as Linux's sentinel). */
  readonly ret: number;
  readonly len: number;
  readonly cmd: number;
  readonly fields: FieldValues;
  /** Response bytes as read with 8-byte loads (header + body). */
  readonly raw: Uint8Array;
  /** BUSY answers seen on the header PCISTB and the response load. */
  readonly busyRetries: number;
  readonly cycles: number;
}

export interface FixtureOptions {
  readonly memorySize?: number;
  readonly timing?: Partial<IsmTiming>;
  readonly config?: Partial<IsmAdapterConfig>;
  readonly networkId?: number;
}

export class IsmFixture {
  readonly sim = new Simulator();
  readonly net: IsmNetwork;
  readonly vms: IsmVm[] = [];
  readonly timing: IsmTiming;

  constructor(n: number, options: FixtureOptions = {}) {
    this.timing = { ...DEFAULT_TIMING.ism, ...options.timing };
    this.net = new IsmNetwork(this.sim, 'net', { networkId: options.networkId });
    for (let i = 0; i < n; i++) {
      const scope = new Component(this.sim, `vm${i}`);
      const memory = new GuestMemory(options.memorySize ?? 64 << 20);
      const port = new DevicePort(this.sim, 'port', scope);
      const fnState = this.sim.signal(`vm${i}.fn_state`, 3, FunctionState.ENABLED);
      const adapter = new IsmAdapter(this.sim, 'ism', { port, memory, network: this.net, timing: this.timing, config: options.config, functionState: fnState }, scope);
      this.vms.push({ index: i, scope, memory, port, adapter, fnState, driver: new DevicePortDriver(this.sim, port) });
    }
  }

  /** Run `fn` as a testbench process to completion and return its result. */
  async run<T>(fn: () => Promise<T>, maxCycles = 10_000_000): Promise<T> {
    let result!: T;
    this.sim.process('op', async () => {
      result = await fn();
    });
    await this.sim.run({ maxCycles });
    return result;
  }

  /** Let `n` cycles pass. */
  idle(n: number): Promise<void> {
    return this.run(() => this.sim.tick(n));
  }

  /**
   * ism_cmd as Linux does it (spec §2): body PCISTB at +8, header PCISTB at +0 (doorbell), then
   * 8-byte PCILGs of the response; BUSY (cc 2) is retried every cycle.
   */
  async command(vm: number, name: IsmCmdName, values: Partial<Record<string, bigint | number>> = {}, len?: number): Promise<CommandResult> {
    const d = this.vms[vm].driver;
    const start = this.sim.cycle;
    const req = encodeRequest(name, values, len);
    let busy = 0;
    if (req.length > 8) {
      const r = await d.storeBlock(2, 8, req.subarray(8));
      if (r.status !== DeviceStatus.OK) throw new Error(`body store: status ${r.status} code 0x${r.code.toString(16)}`);
    }
    for (;;) {
      const r = await d.storeBlock(2, 0, req.subarray(0, 8));
      if (r.status === DeviceStatus.OK) break;
      if (r.status !== DeviceStatus.BUSY) throw new Error(`header store: status ${r.status} code 0x${r.code.toString(16)}`);
      busy++;
    }
    let hdr: PortResult;
    for (;;) {
      hdr = await d.load(2, 0, 8);
      if (hdr.status !== DeviceStatus.BUSY) break;
      busy++;
    }
    const h = hdr.status === DeviceStatus.OK ? decodeHeader(bigEndianToBytes(hdr.data, 8)) : { cmd: 0, middle: 0xffff, len: 8 };
    const raw = new Uint8Array(Math.max(h.len, 8));
    raw.set(bigEndianToBytes(hdr.data, 8), 0);
    if (h.middle === 0) {
      for (let off = 8; off < h.len; off += 8) {
        const r = await d.load(2, off, 8);
        raw.set(bigEndianToBytes(r.data, 8), off);
      }
    }
    const spec = COMMAND_BY_NAME.get(name)!;
    return {
      ret: h.middle,
      len: h.len,
      cmd: h.cmd,
      fields: h.middle === 0 ? readFields(raw, spec.response) : {},
      raw,
      busyRetries: busy,
      cycles: this.sim.cycle - start,
    };
  }

  /** One PCISTB into BAR 0 (no splitting). */
  moveChunk(vm: number, token: bigint, idx: number, sf: boolean, offset: number, bytes: Uint8Array): Promise<PortResult> {
    return this.vms[vm].driver.storeBlock(0, moveOffset(token, idx, sf, offset), bytes);
  }

  /** ism_move: chunks split at 4 KiB target boundaries, sf on the last; stops at the first error. */
  async move(vm: number, token: bigint, idx: number, sf: boolean, offset: number, bytes: Uint8Array): Promise<PortResult | undefined> {
    let done = 0;
    let last: PortResult | undefined;
    while (done < bytes.length) {
      const o = offset + done;
      const n = Math.min(4096 - (o % 4096), bytes.length - done);
      const final = done + n === bytes.length;
      last = await this.moveChunk(vm, token, idx, sf && final, o, bytes.subarray(done, done + n));
      if (last.status !== DeviceStatus.OK) return last;
      done += n;
    }
    return last;
  }
}
