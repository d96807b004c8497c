import { Errno, LinuxError } from '../linux/errno.ts';
import type { DibsEvent } from './ism-events.ts';

/** What a device driver offers the client layer: forwarding slots per client id. */
export interface DibsDevice {
  /** Start (client) or stop (null) forwarding interrupts and events to client `id`. */
  setSubscriber(id: number, client: DibsClient | null): void;
  /** Whether client `id` still owns DMBs on this device. */
  hasDmbsOf(id: number): boolean;
}

/**
 * A client of ISM devices (SMC-D is Linux's; include/linux/dibs.h struct dibs_client_ops, and
 * before it include/linux/ism.h struct ism_client): told of devices coming and going, handed
 * the signals of its own DMBs and every event.
 */
export interface DibsClient {
  readonly name: string;
  addDevice?(device: DibsDevice): void;
  removeDevice?(device: DibsDevice): void;
  handleIrq?(device: DibsDevice, sbaIndex: number, dmbeMask: number): void;
  handleEvent?(device: DibsDevice, event: DibsEvent): void;
}

/** include/linux/dibs.h MAX_DIBS_CLIENTS. */
export const MAX_DIBS_CLIENTS = 8;

/**
 * The client layer between ISM drivers and their users (drivers/dibs/dibs_main.c; in older
 * kernels ism_register_client / ism_unregister_client in drivers/s390/net/ism_drv.c): a table of
 * at most eight clients, each with the id of its slot, and the list of devices. Registering a
 * client tells it of every device; adding a device tells every client of it.
 */
export class DibsCore {
  private readonly clients: (DibsClient | null)[] = new Array<DibsClient | null>(MAX_DIBS_CLIENTS).fill(null);
  private readonly devices: DibsDevice[] = [];

  /** dibs_register_client: the first free slot is the client's id; -ENOSPC when all are taken. */
  registerClient(client: DibsClient): number {
    if (this.clients.includes(client)) throw new LinuxError(Errno.EINVAL, `client ${client.name} already registered`);
    const id = this.clients.indexOf(null);
    if (id < 0) throw new LinuxError(Errno.ENOSPC, `no client slot for ${client.name} (${MAX_DIBS_CLIENTS} in use)`);
    this.clients[id] = client;
    for (const device of this.devices) {
      client.addDevice?.(device);
      device.setSubscriber(id, client);
    }
    return id;
  }

  /**
   * dibs_unregister_client: refused with -EBUSY while the client still owns DMBs on any device;
   * otherwise forwarding stops and the client is told each device is gone.
   */
  unregisterClient(client: DibsClient): void {
    const id = this.idOf(client);
    if (this.devices.some((d) => d.hasDmbsOf(id))) throw new LinuxError(Errno.EBUSY, `client ${client.name} still has registered DMBs`);
    for (const device of this.devices) {
      device.setSubscriber(id, null);
      client.removeDevice?.(device);
    }
    this.clients[id] = null;
  }

  /** The id a registered client was given; -EINVAL for a stranger. */
  idOf(client: DibsClient): number {
    const id = this.clients.indexOf(client);
    if (id < 0) throw new LinuxError(Errno.EINVAL, `client ${client.name} is not registered`);
    return id;
  }

  /** dibs_dev_add (end of a successful probe): every client is told and subscribed. */
  addDevice(device: DibsDevice): void {
    this.devices.push(device);
    this.clients.forEach((client, id) => {
      if (!client) return;
      client.addDevice?.(device);
      device.setSubscriber(id, client);
    });
  }

  /** dibs_dev_del (start of ism_dev_exit): forwarding stops, then every client is told. */
  removeDevice(device: DibsDevice): void {
    const at = this.devices.indexOf(device);
    if (at < 0) return;
    this.devices.splice(at, 1);
    this.clients.forEach((_, id) => device.setSubscriber(id, null));
    for (const client of this.clients) client?.removeDevice?.(device);
  }
}
