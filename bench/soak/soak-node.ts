/**
 * One VM's ISM stack as the soak runs it: a driver (user space over vfio for the daemon, in-kernel
 * for clients) that can be torn down and brought back — after an error state or a reset (reset,
 * then the old driver's teardown, then a fresh probe: Linux's error recovery order), after its
 * SBA/IEQ were unregistered, or after the VM stopped and came back. Connections (channels) hang
 * off it; recovery aborts them first and waits until nobody is inside the driver.
 */
import type { Simulator } from '../../rtl/hdl/simulator.ts';
import type { IsmVmMachine } from '../../models/host/machine.ts';
import { Channel, StackErrno } from '../../models/ism/channel.ts';
import { IsmChannelPort } from '../../models/ism/channel-port.ts';
import { IsmDriver, type Dmb } from '../../models/ism/ism-driver.ts';
import { KernelIsmAccess } from '../../models/ism/kernel-access.ts';
import { VfioIsmAccess } from '../../models/ism/vfio-access.ts';
import { VfioDevice } from '../../models/vfio/vfio-device.ts';
import { FunctionState } from '../../rtl/zpci/codes.ts';
import { TappedAccess } from './tapped-access.ts';

export type RecoveryReason = 'error' | 'reset' | 'unreg' | 'stop' | 'failure';

/** One channel of a node: our receive DMB, the port and the channel over it. */
export interface Connection {
  readonly service: string;
  readonly peer: number;
  readonly epoch: number;
  readonly generation: number;
  readonly rx: Dmb;
  readonly port: IsmChannelPort;
  channel: Channel | null;
  /** Our receive DMB was unregistered already (a fault did it). */
  rxGone: boolean;
}

export class SoakNode {
  driver: IsmDriver | null = null;
  access: TappedAccess | null = null;
  private vfio: VfioDevice | null = null;
  /** +1 per driver incarnation. */
  generation = 0;
  up = false;
  /** Set by faults and failures; the supervisor acts on it. */
  recoveryRequested: RecoveryReason | null = null;
  /** A stopped VM comes back at this cycle. */
  stoppedUntil = -1;
  /** Processes inside a driver call right now. */
  users = 0;
  readonly connections = new Set<Connection>();
  /** Every DMA allocation of this VM's drivers (the only memory its device may write). */
  readonly owned = new Map<number, number>();
  readonly recoveries: Record<string, number> = {};

  constructor(
    readonly sim: Simulator,
    readonly index: number,
    readonly vm: IsmVmMachine,
    readonly kind: 'vfio' | 'kernel',
    /** A teardown step failed with something other than an errno (a crash or a hang below). */
    private readonly crashed: (what: string, e: unknown) => void,
  ) {}

  get name(): string {
    return `vm${this.index}`;
  }

  /** Open the access path and probe. Throws the probe's LinuxError (the caller retries). */
  async start(): Promise<void> {
    const inner = this.kind === 'vfio' ? new VfioIsmAccess((this.vfio = VfioDevice.open(this.vm.zdev))) : new KernelIsmAccess(this.vm.zdev);
    this.access = new TappedAccess(this.sim, inner, this.owned);
    this.driver = new IsmDriver(this.sim, this.access);
    this.generation++;
    try {
      await this.driver.probe();
    } catch (e) {
      await this.dropDriver();
      throw e;
    }
    this.up = true;
  }

  /** Run `body` as a user of the current driver (recovery waits for users to leave). */
  async use<T>(body: (driver: IsmDriver) => Promise<T>): Promise<T> {
    if (!this.up || !this.driver) throw new ChannelDown(this.name);
    this.users++;
    try {
      return await body(this.driver);
    } finally {
      this.users--;
    }
  }

  requestRecovery(reason: RecoveryReason): void {
    this.recoveryRequested ??= reason;
  }

  /** After a failed call: a function no longer enabled (error state) needs the recovery. */
  recoverIfFunctionFailed(): void {
    if (this.up && this.vm.vm.hw.pfu.currentState !== FunctionState.ENABLED) this.requestRecovery('failure');
  }

  /** Fail every connection locally (their owners see `errno` and clean up). */
  abortAll(errno: number): void {
    for (const c of this.connections) c.channel?.abort(errno);
  }

  /** Open a receive DMB for `peer` and a port on it. */
  async listen(service: string, peer: number, peerGid: bigint, length: number, epoch: number): Promise<Connection> {
    return this.use(async (driver) => {
      const rx = await driver.registerDmb({ length, rgid: peerGid });
      const conn: Connection = { service, peer, epoch, generation: this.generation, rx, port: new IsmChannelPort(driver, rx), channel: null, rxGone: false };
      this.connections.add(conn);
      return conn;
    });
  }

  /** Tear a connection down: stop listening and unregister its DMB if this driver still has it. */
  async close(conn: Connection): Promise<void> {
    conn.port.detach();
    this.connections.delete(conn);
    if (conn.rxGone || conn.generation !== this.generation || !this.up || !this.driver) return;
    conn.rxGone = true;
    await this.use((d) => d.unregisterDmb(conn.rx)).catch(() => undefined);
  }

  /**
   * Reset the function and forget the old driver (its teardown runs against the reset device, so
   * its UNREG commands fail and every page comes back), then probe again.
   */
  async recover(reason: RecoveryReason, waitUsers: number): Promise<boolean> {
    this.up = false;
    this.abortAll(StackErrno.ESHUTDOWN);
    await this.sim.until(() => this.users === 0, { timeout: waitUsers, what: `${this.name} recovery: users leave the driver` }).catch(() => undefined);
    const drained = this.users === 0;
    await this.vm.zdev.hotReset(); // VFIO_DEVICE_RESET for the daemon, zpci_hot_reset_device in the kernel
    await this.dropDriver();
    this.recoveries[reason] = (this.recoveries[reason] ?? 0) + 1;
    this.recoveryRequested = null;
    return drained;
  }

  /** The fault: VFIO_DEVICE_RESET by the daemon, a function-level reset under the in-kernel driver. */
  async resetDevice(): Promise<void> {
    if (this.vfio) await this.vfio.reset().catch(() => undefined);
    else this.vm.vm.hw.pfu.functionLevelReset();
  }

  /** The VM stops: its CPU runs nothing more, the hypervisor disables the function. */
  stop(until: number): void {
    this.up = false;
    this.stoppedUntil = until;
    this.abortAll(StackErrno.ESHUTDOWN);
    this.access?.silence();
    this.vm.vm.hw.pfu.disable();
  }

  /** The VM comes back: its old memory is gone (pages freed), the function is enabled again. */
  restart(): void {
    this.access?.close();
    for (const iova of [...this.owned.keys()]) this.vm.zdev.pages.release(iova);
    this.owned.clear();
    this.access = null;
    this.driver = null;
    this.vfio?.close();
    this.vfio = null;
    this.connections.clear();
    this.vm.vm.hw.pfu.enable();
    this.stoppedUntil = -1;
    this.recoveries.stop = (this.recoveries.stop ?? 0) + 1;
    this.recoveryRequested = null;
  }

  /** Orderly end: remove the driver (UNREG_DMB/IEQ/SBA), close the access path. */
  async teardown(): Promise<void> {
    this.up = false;
    await this.dropDriver();
  }

  private async dropDriver(): Promise<void> {
    const driver = this.driver;
    this.driver = null;
    if (driver) await driver.remove().catch((e: unknown) => this.crashed(`${this.name} driver teardown`, e));
    this.connections.clear();
    this.access?.close();
    this.access = null;
    this.vfio?.close();
    this.vfio = null;
  }
}

/** A call on a node whose driver is down (recovering or stopped). */
export class ChannelDown extends Error {
  readonly errno = StackErrno.ESHUTDOWN;
  constructor(node: string) {
    super(`${node}: driver down (recovering)`);
    this.name = 'ChannelDown';
  }
}
