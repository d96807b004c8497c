import { Component } from '../hdl/component.ts';
import type { Signal } from '../hdl/signal.ts';
import type { Simulator } from '../hdl/simulator.ts';
import type { HostMemory } from '../host-memory.ts';
import { bigEndianToBytes, bytesToBigEndian } from '../bytes.ts';
import { DEFAULT_TIMING, type IsmTiming } from '../timing.ts';
import { DeviceStatus, type DevicePort } from '../zpci/device-port.ts';
import { DevicePortTarget, type AccessVerdict, type DevicePortTargetLogic, type TargetVerdict } from '../zpci/device-port-target.ts';
import { FunctionState } from '../zpci/codes.ts';
import { decodeMoveOffset, IsmStatus, type MoveAddress } from './commands.ts';
import { ismFunctionAttributes, IsmConfigSpace, type IsmFunctionAttributes } from './config-space.ts';
import { DEFAULT_ISM_CONFIG, type IsmAdapterConfig } from './adapter-config.ts';
import { CommandProcessor } from './command-processor.ts';
import { DmaPort } from './dma-port.ts';
import { ReceiveSide, type DmaRegion } from './receive-side.ts';
import type { DmbRecord, IsmNetwork } from './network.ts';

export { DEFAULT_ISM_CONFIG, type IsmAdapterConfig } from './adapter-config.ts';

export interface IsmAdapterOptions {
  readonly port: DevicePort;
  readonly memory: HostMemory;
  readonly network: IsmNetwork;
  readonly timing?: IsmTiming;
  readonly config?: Partial<IsmAdapterConfig>;
  /** zPCI function attributes (default: fid = 0x10 + VM index). */
  readonly attributes?: IsmFunctionAttributes;
  /**
   * The zPCI function's state (codes.ts FunctionState, the unit's `fn_state`): entering an error
   * state or DISABLED is announced to the peers, and DMA into this VM is blocked while the error
   * bit is set. Default: always ENABLED.
   */
  readonly functionState?: Signal<number>;
}

const SPACE_MOVE = 0;
const SPACE_CMD = 2;
const SPACE_CONFIG = 15;

const OK: TargetVerdict = { status: DeviceStatus.OK, code: 0 };
const refuse = (code: number): TargetVerdict => ({ status: DeviceStatus.ERROR, code });

/**
 * The ISM PCI function behind one DevicePort (scope `vmN.ism`): the port (`port`, the shared
 * DevicePort target) dispatching config space, BAR 2 (`cmd`, the command processor) and BAR 0
 * moves; the receive side (`rx`: SBA, IEQ, MSI); the DMA port (`dma`) into its VM's memory.
 * Stepped by the network's clocked process (see IsmNetwork): `stepPort()` for every adapter whose
 * port side has work, then `stepReceive()` for every adapter whose receive side has.
 */
export class IsmAdapter extends Component implements DevicePortTargetLogic {
  readonly index: number;
  readonly gid: bigint;
  readonly memory: HostMemory;
  readonly port: DevicePort;
  readonly network: IsmNetwork;
  readonly timing: IsmTiming;
  readonly config: IsmAdapterConfig;
  readonly attributes: IsmFunctionAttributes;
  readonly configSpace: IsmConfigSpace;
  readonly target: DevicePortTarget;
  readonly cmd: CommandProcessor;
  readonly rx: ReceiveSide;
  readonly dmaPort: DmaPort;

  /** One-cycle pulse: MSI vector 0. */
  readonly msi: Signal<number>;
  readonly gidSig: Signal<bigint>;
  readonly dmbsOwned: Signal<number>;
  readonly movesOut: Signal<number>;
  readonly moveRejectsSig: Signal<number>;
  /** The function state last seen (an edge detector on the unit's fn_state). */
  readonly fnStateSeen: Signal<number>;
  private readonly fnStateIn: Signal<number> | undefined;
  /** Fault injection: per PCI space, the device answers BUSY until this cycle (see busyStorm). */
  private readonly busyUntil = new Map<number, number>();
  /** The DMB and address the accepted move's header resolved to (the lookup result latch). */
  private move: { dmb: DmbRecord; addr: MoveAddress } | null = null;

  constructor(sim: Simulator, name: string, options: IsmAdapterOptions, parent?: Component) {
    super(sim, name, parent);
    this.port = options.port;
    this.memory = options.memory;
    this.network = options.network;
    this.timing = options.timing ?? DEFAULT_TIMING.ism;
    this.config = { ...DEFAULT_ISM_CONFIG, ...options.config };
    const t = this.timing;
    if (t.accessCycles < 1 || t.cmdAcceptCycles < 1 || t.moveLookupCycles < 1 || t.msiLatency < 1 || t.commandCycles < 1) {
      throw new RangeError('ISM timing: accessCycles, cmdAcceptCycles, moveLookupCycles, commandCycles and msiLatency must be >= 1');
    }
    if (this.config.bar2Size < 256 || this.config.bar2Size % 8 !== 0) throw new RangeError('bar2Size must be a multiple of 8, >= 256');
    const { index, gid } = this.network.attach(this);
    this.index = index;
    this.gid = gid;
    this.attributes = options.attributes ?? ismFunctionAttributes({ fid: 0x10 + index, bar2Size: this.config.bar2Size });
    this.configSpace = new IsmConfigSpace(this.attributes);

    this.msi = this.reg('msi', 1);
    this.gidSig = this.wideReg('gid', 64, gid);
    this.dmbsOwned = this.reg('dmbs', 12);
    this.movesOut = this.reg('moves', 32);
    this.moveRejectsSig = this.reg('move_rejects', 32);
    this.fnStateIn = options.functionState;
    this.fnStateSeen = this.reg('fn_state', 3, this.fnStateIn?.value ?? FunctionState.ENABLED);
    this.target = new DevicePortTarget(sim, 'port', this, this.port, this);
    this.cmd = new CommandProcessor(sim, 'cmd', this, t);
    this.dmaPort = new DmaPort(sim, 'dma', this, this.memory);
    const dma = (address: number, bytes: Uint8Array, or: boolean): void => this.network.dma(this, address, bytes, or);
    this.rx = new ReceiveSide(sim, 'rx', this, this.msi, this.memory, dma, this.config, t, () => this.configSpace.msiEnabled, () => this.dmaBlocked);
  }

  // ------------------------------------------------------------------ views for tests / network

  get sbaAddress(): number | null {
    return this.rx.sbaAddress;
  }
  get ieqAddress(): number | null {
    return this.rx.ieqAddress;
  }
  get commandRunning(): boolean {
    return this.cmd.running;
  }
  /** 1 while a command runs. */
  get cmdBusy(): Signal<number> {
    return this.cmd.busy;
  }
  /** Signals (moves with sf) delivered to this function. */
  get signalsIn(): Signal<number> {
    return this.rx.signalsIn;
  }
  get msiPulses(): number {
    return this.rx.msiCount.value;
  }
  get droppedSignals(): number {
    return this.rx.droppedSignals.value;
  }
  get droppedEvents(): number {
    return this.rx.droppedEvents.value;
  }
  get vlanIds(): readonly number[] {
    return this.cmd.vlanIds;
  }
  hasVlan(id: number): boolean {
    return this.cmd.hasVlan(id);
  }

  /**
   * Fault injection (the soak's BUSY storms): every access and block store to `space` (0 move
   * window, 2 command window) is answered BUSY for the next `cycles` cycles; software retries.
   */
  busyStorm(space: number, cycles: number): void {
    this.busyUntil.set(space, Math.max(this.busyUntil.get(space) ?? 0, this.sim.cycle + cycles));
  }

  private stormBusy(space: number): boolean {
    return (this.busyUntil.get(space) ?? 0) > this.sim.cycle;
  }

  /** Regions of this VM's memory the device may write (as registered after this edge's command). */
  dmaRegions(): DmaRegion[] {
    const r: DmaRegion[] = this.network.dmbsOwnedBy(this.index).map((d) => ({ kind: 'dmb', address: d.address, length: d.length }));
    this.rx.regions(r);
    return r;
  }

  /** The DMB table changed for this function: the `dmbs` register follows. */
  dmbsChanged(): void {
    this.dmbsOwned.set(Math.min(this.network.dmbCountOf(this.index), 4095));
  }

  // ------------------------------------------------------------------ clocked behaviour

  /**
   * DMA into this VM is blocked (with `blockDmaInErrorState`): the function is in ERROR, BLOCKED
   * (Linux `zpci_reset_load_store_blocked`: load/store again, DMA still blocked) or PERMANENT_ERROR.
   */
  get dmaBlocked(): boolean {
    if (!this.config.blockDmaInErrorState) return false;
    const s = this.fnStateSeen.value;
    return s === FunctionState.ERROR || s === FunctionState.BLOCKED || s === FunctionState.PERMANENT_ERROR;
  }

  /**
   * No function state change, reset, command or DevicePort handshake: stepPort() would change
   * nothing until one of `wakeSignals` changes. With `rx.waiting` too, the adapter is idle (when
   * every adapter is, the network declares its edge idle).
   */
  get portWaiting(): boolean {
    return (
      (this.fnStateIn === undefined || this.fnStateIn.value === this.fnStateSeen.value) &&
      this.port.reset.value === 0 &&
      this.cmd.busy.value === 0 &&
      this.target.waiting
    );
  }

  /** What ends a waiting adapter's idleness: a request on its port, a reset, a function state change. */
  get wakeSignals(): Signal<number>[] {
    const s = [this.port.accValid, this.port.blkValid, this.port.reset];
    if (this.fnStateIn !== undefined) s.push(this.fnStateIn);
    return s;
  }

  /** First half of the network's edge: function state changes, reset, the command counter, the DevicePort handshakes. */
  stepPort(): void {
    if (this.fnStateIn !== undefined && this.fnStateIn.value !== this.fnStateSeen.value) this.functionStateChanged(this.fnStateIn.value);
    if (this.port.reset.value === 1) {
      this.functionReset();
      return;
    }
    this.cmd.tick();
    this.target.step();
  }

  /** Second half: signals and events delivered in this edge, the MSI. */
  stepReceive(): void {
    this.rx.step();
  }

  // ------------------------------------------------------------------ DevicePortTargetLogic

  accessLatency(): number {
    return this.timing.accessCycles;
  }

  access(write: boolean, space: number, offset: bigint, len: number, wdata: bigint): AccessVerdict {
    if (this.stormBusy(space)) return { status: DeviceStatus.BUSY, code: 0, rdata: 0n };
    if (space === SPACE_CONFIG) {
      if (offset + BigInt(len) > 256n) return { ...refuse(IsmStatus.BAD_ADDRESS), rdata: 0n };
      if (write) {
        this.configSpace.write(Number(offset), bigEndianToBytes(wdata, len));
        return { ...OK, rdata: 0n };
      }
      return { ...OK, rdata: bytesToBigEndian(this.configSpace.read(Number(offset), len)) };
    }
    if (space === SPACE_CMD) return this.cmd.access(write, offset, len, wdata);
    return { ...refuse(space === SPACE_MOVE ? IsmStatus.MOVE_SINGLE_ACCESS : IsmStatus.BAD_ADDRESS), rdata: 0n };
  }

  headerLatency(space: number): number {
    return space === SPACE_MOVE ? this.timing.moveLookupCycles : this.timing.cmdAcceptCycles;
  }

  header(space: number, offset: bigint, len: number): TargetVerdict {
    if (this.stormBusy(space)) return { status: DeviceStatus.BUSY, code: 0 };
    if (space === SPACE_CMD) return this.cmd.header(offset, len);
    if (space !== SPACE_MOVE) return refuse(IsmStatus.BAD_ADDRESS);
    // All validation happens here, before any beat, so a refused move writes nothing.
    const addr = decodeMoveOffset(offset);
    const v = this.network.validateMove(this, addr, len);
    if (v.dmb === undefined) {
      this.bump(this.moveRejectsSig);
      return refuse(v.status);
    }
    this.move = { dmb: v.dmb, addr };
    return OK;
  }

  doneDelay(space: number): number {
    return space === SPACE_MOVE ? this.timing.moveCommitCycles : this.timing.cmdCommitCycles;
  }

  blockDone(space: number, offset: bigint, bytes: Uint8Array): TargetVerdict {
    if (space === SPACE_CMD) return this.cmd.blockDone(offset, bytes);
    const m = this.move!;
    this.move = null;
    const status = this.network.commitMove(this, m.dmb, m.addr, bytes);
    if (status !== 0) {
      this.bump(this.moveRejectsSig);
      return refuse(status);
    }
    this.bump(this.movesOut);
    return OK;
  }

  private bump(counter: Signal<number>): void {
    counter.set((counter.readBack() + 1) >>> 0);
  }

  /** Tell the peers what the new state implies (rtl/ism/README.md "Peer state events"). */
  private functionStateChanged(now: number): void {
    const was = this.fnStateSeen.value;
    this.fnStateSeen.set(now);
    const healthy = was === FunctionState.ENABLED;
    if (now === FunctionState.DISABLED) {
      if (was !== FunctionState.DISABLED) this.network.peerStateChanged(this, 'disabled');
    } else if ((now === FunctionState.ERROR || now === FunctionState.PERMANENT_ERROR) && healthy) {
      this.network.peerStateChanged(this, 'error');
    }
  }

  /** Function-level reset: everything registered goes, the command aborts, config resets. Counters are kept. */
  private functionReset(): void {
    // SBA/IEQ go first, so a DMB this function wrote to itself (loopback) posts no event to it.
    this.rx.reset();
    this.network.unregisterAllOf(this, this.config.notifyWriterOnUnregister);
    this.cmd.reset();
    this.target.reset();
    this.move = null;
    this.configSpace.reset();
  }
}
