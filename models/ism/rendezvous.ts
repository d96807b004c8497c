/**
 * Bootstrapping (PROTOCOL.md §5). GIDs and DMB tokens travel out of band, the way SMC-D learns
 * them over its TCP CLC handshake: here an in-simulation directory that every node publishes to.
 * Both ends of a service do the same steps: learn the peer's GID, register a receive DMB that only
 * that GID may write, start listening on it, publish {gid, token, length}, wait for the peer's
 * entry, then run the channel.
 */
import type { Simulator } from '../../rtl/hdl/simulator.ts';
import { VfioDevice } from '../vfio/vfio-device.ts';
import type { IsmVmMachine } from '../host/machine.ts';
import { Channel } from './channel.ts';
import { IsmChannelPort, type PeerDmb } from './channel-port.ts';
import { IsmDriver } from './ism-driver.ts';
import { KernelIsmAccess } from './kernel-access.ts';
import { VfioIsmAccess } from './vfio-access.ts';

export class Directory {
  private readonly hosts = new Map<string, bigint>();
  private readonly offers = new Map<string, PeerDmb>();

  registerHost(name: string, gid: bigint): void {
    this.hosts.set(name, gid);
  }

  hostGid(name: string): bigint | undefined {
    return this.hosts.get(name);
  }

  offer(service: string, from: string, to: string, dmb: PeerDmb): void {
    this.offers.set(`${service}:${from}->${to}`, dmb);
  }

  lookup(service: string, from: string, to: string): PeerDmb | undefined {
    return this.offers.get(`${service}:${from}->${to}`);
  }

  withdraw(service: string, from: string, to: string): void {
    this.offers.delete(`${service}:${from}->${to}`);
  }
}

export type AccessKind = 'vfio' | 'kernel';

/** One VM's ISM stack: its driver (user space over vfio, or in-kernel) and its name. */
export class IsmNode {
  /** Every channel this node opened. */
  readonly channels: Channel[] = [];
  private constructor(
    readonly name: string,
    readonly vm: IsmVmMachine,
    readonly driver: IsmDriver,
    readonly directory: Directory,
  ) {}

  get sim(): Simulator {
    return this.driver.sim;
  }

  /** Open the access path, probe the function, publish our GID. Call from a simulation process. */
  static async start(name: string, vm: IsmVmMachine, kind: AccessKind, directory: Directory): Promise<IsmNode> {
    const access = kind === 'vfio' ? new VfioIsmAccess(VfioDevice.open(vm.zdev)) : new KernelIsmAccess(vm.zdev);
    const driver = new IsmDriver(vm.sim, access);
    await driver.probe();
    directory.registerHost(name, driver.gid);
    return new IsmNode(name, vm, driver, directory);
  }

  /** Open `service` with host `peer`; our receive DMB is `dmbLength` bytes (header + ring). */
  async open(service: string, peer: string, dmbLength: number, timeout = 5_000_000): Promise<{ channel: Channel; port: IsmChannelPort }> {
    const sim = this.sim;
    await sim.until(() => this.directory.hostGid(peer) !== undefined, { timeout, what: `${this.name}: GID of ${peer}` });
    const peerGid = this.directory.hostGid(peer)!;
    const rx = await this.driver.registerDmb({ length: dmbLength, rgid: peerGid });
    const port = new IsmChannelPort(this.driver, rx);
    this.directory.offer(service, this.name, peer, { gid: this.driver.gid, token: rx.token, length: rx.length });
    await sim.until(() => this.directory.lookup(service, peer, this.name) !== undefined, { timeout, what: `${this.name}: ${service} offer from ${peer}` });
    const offer = this.directory.lookup(service, peer, this.name)!;
    if (offer.gid !== peerGid) throw new Error(`${this.name}: ${service} offer from GID 0x${offer.gid.toString(16)}, expected 0x${peerGid.toString(16)}`);
    port.connect(offer);
    const channel = new Channel(port, `${this.name}:${service}`);
    this.channels.push(channel);
    return { channel, port };
  }
}
