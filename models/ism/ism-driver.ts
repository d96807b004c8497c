import { Subject, type Observable, type Subscription } from 'rxjs';
import {
  COMMAND_BY_NAME,
  IsmRc,
  Ieq,
  Sba,
  decodeHeader,
  decodeIeqEntry,
  encodeHeader,
  moveOffset,
  readFields,
  writeFields,
  type FieldValues,
  type IeqEntry,
  type IsmCmdName,
} from '../../rtl/ism/commands.ts';
import type { Simulator } from '../../rtl/hdl/simulator.ts';
import { SimMutex } from '../host/sim-mutex.ts';
import { Errno, LinuxError } from '../linux/errno.ts';
import type { CallerBuffer, IsmDeviceAccess } from './device-access.ts';
import { MAX_DIBS_CLIENTS, type DibsClient, type DibsDevice } from './dibs.ts';
import { translateIsmEvent, type DibsEvent } from './ism-events.ts';

/** The driver's sentinel for "no response read" (ism.h ISM_ERROR). */
export const ISM_ERROR = 0xffff;
/** DMB bits below this index are never used (ism.h ISM_DMB_BIT_OFFSET). */
export const ISM_DMB_BIT_OFFSET = 32;
/** The IEQ length the Linux driver registers. */
export const ISM_IEQ_LENGTH = 512;
/** Largest DMB (DMA segment size limit set at probe). */
export const ISM_MAX_DMB_LENGTH = 1 << 20;
/** The VLAN id that does not exist; ADD_VLAN_ID of it succeeds only on SMC-Dv2 hardware (include/net/smc.h). */
export const ISM_RESERVED_VLANID = 0x1fff;
const MOVE_BOUNDARY = 4096;

export interface CommandResult {
  /** 0 = OK; a positive device code; ISM_ERROR when no response could be read. */
  readonly ret: number;
  readonly fields: FieldValues;
}

export interface Dmb {
  readonly token: bigint;
  readonly iova: number;
  readonly length: number;
  readonly sbaIndex: number;
  readonly rgid: bigint;
}

/** A signalled move arrived in one of our DMBs: its SBA index and the DMBE mask. */
export interface DmbSignal {
  readonly sbaIndex: number;
  readonly mask: number;
  readonly cycle: number;
}

/**
 * The ISM driver logic of drivers/s390/net/ism_drv.c, in the model's own words, over any
 * IsmDeviceAccess: one command at a time (body PCISTB at +8, header PCISTB at +0 as doorbell,
 * 8-byte PCILG response reads), the probe order (IRQ, REG_SBA, REG_IEQ, QUERY_INFO, READ_GID, with Linux's unwinding), DMB
 * registration, moves split at 4 KiB target boundaries with the signal on the last chunk, and
 * the interrupt handler (summary bit, DMB bits and masks, then the event queue).
 */
export class IsmDriver implements DibsDevice {
  gid = 0n;
  queryInfo: FieldValues = {};
  private sba = -1;
  private ieq = -1;
  private ieqIndex = -1;
  private readonly dmbs = new Map<number, Dmb>();
  /**
   * SBA indices taken, including those of registrations still in flight: like the driver's
   * bitmap (test_and_set_bit in ism_alloc_dmb), an index is claimed before REG_DMB is issued, so
   * concurrent registrations never pick the same one.
   */
  private readonly claimedIndices = new Set<number>();
  private readonly commandLock: SimMutex;
  private readonly signals = new Subject<DmbSignal>();
  private readonly events = new Subject<IeqEntry>();
  private readonly dibsEvents = new Subject<DibsEvent>();
  private irqSubscription: Subscription | null = null;
  /** Forwarding slots by client id (dibs->subs); null = not forwarded. */
  private readonly subs: (DibsClient | null)[] = new Array<DibsClient | null>(MAX_DIBS_CLIENTS).fill(null);
  /** The client id of each DMB by SBA index (sba_client_arr / dmb_clientid_arr). */
  private readonly dmbClient = new Map<number, number>();
  /** ADD_VLAN_ID 0x1FFF succeeded (probeV2): the device is SMC-Dv2 capable. */
  v2Capable = false;
  /** Commands issued, by name; interrupts handled; for summaries. */
  readonly counts = { commands: {} as Record<string, number>, interrupts: 0, moves: 0, moveChunks: 0, moveBytes: 0 };

  constructor(
    readonly sim: Simulator,
    readonly access: IsmDeviceAccess,
  ) {
    this.commandLock = new SimMutex(sim, 'ism cmd_lock');
  }

  /** Signalled moves into our DMBs, in the order the handler found them. */
  get dmbSignals$(): Observable<DmbSignal> {
    return this.signals.asObservable();
  }

  /** Events drained from the IEQ. */
  get events$(): Observable<IeqEntry> {
    return this.events.asObservable();
  }

  /** Events drained from the IEQ as clients get them (translated as ism_handle_event does). */
  get dibsEvents$(): Observable<DibsEvent> {
    return this.dibsEvents.asObservable();
  }

  setSubscriber(id: number, client: DibsClient | null): void {
    this.subs[id] = client;
  }

  hasDmbsOf(id: number): boolean {
    return [...this.dmbClient.values()].includes(id);
  }

  get sbaAddress(): number {
    return this.sba;
  }

  /**
   * Issue one command and read its response (ism_cmd). Serialised: the device takes one
   * request-response sequence per function at a time.
   */
  async command(name: IsmCmdName, values: Partial<Record<string, bigint | number>> = {}): Promise<CommandResult> {
    return this.commandLock.with(() => this.commandLocked(name, values));
  }

  private async commandLocked(name: IsmCmdName, values: Partial<Record<string, bigint | number>>): Promise<CommandResult> {
    const spec = COMMAND_BY_NAME.get(name)!;
    this.counts.commands[name] = (this.counts.commands[name] ?? 0) + 1;
    const request = new Uint8Array(spec.requestLength);
    writeFields(request, spec.request, values);
    // The body goes first; the header write is the doorbell.
    if (spec.requestLength > 8) {
      const rc = await this.access.storeCommand(8, request.subarray(8));
      if (rc < 0) return { ret: ISM_ERROR, fields: {} };
    }
    const rcHeader = await this.access.storeCommand(0, encodeHeader(spec.code, 0, spec.requestLength));
    if (rcHeader < 0) return { ret: ISM_ERROR, fields: {} };
    // A failed load leaves the sentinel in place (Linux ignores the load's error).
    const head = await this.access.loadCommand8(0);
    if (typeof head === 'number') return { ret: ISM_ERROR, fields: {} };
    const header = decodeHeader(head);
    if (header.middle !== 0) return { ret: header.middle, fields: {} };
    const response = new Uint8Array(Math.max(header.len, 8));
    response.set(head, 0);
    for (let at = 8; at + 8 <= header.len; at += 8) {
      const chunk = await this.access.loadCommand8(at);
      if (typeof chunk === 'number') return { ret: ISM_ERROR, fields: {} };
      response.set(chunk, at);
    }
    return { ret: 0, fields: readFields(response, spec.response) };
  }

  private async commandOk(name: IsmCmdName, values: Partial<Record<string, bigint | number>> = {}): Promise<FieldValues> {
    const r = await this.command(name, values);
    if (r.ret !== 0) throw new LinuxError(Errno.EIO, `ISM ${name} returned 0x${r.ret.toString(16)}`);
    return r.fields;
  }

  /**
   * Probe, in the order of ism_dev_init / ism_probe (drivers/s390/net/ism_drv.c): the IRQ is
   * requested first, so an event the device posts right after REG_IEQ already finds its
   * handler; then REG_SBA, REG_IEQ (consumer index -1), QUERY_INFO, READ_GID. Errors unwind as
   * Linux does: query_info always returns 0, so a failed QUERY_INFO is only logged; a failed
   * REG_IEQ unregisters the SBA; a failed READ_GID runs the whole teardown (UNREG_IEQ, UNREG_SBA);
   * the IRQ is freed on every failure. A retried probe therefore starts from a clean device.
   */
  async probe(): Promise<void> {
    this.irqSubscription = this.access.interrupts$.subscribe((irq) => this.handleInterrupt(irq.cycle));
    try {
      await this.registerSba();
      try {
        await this.registerIeq();
      } catch (e) {
        await this.unregisterSba();
        throw e;
      }
      const info = await this.command('QUERY_INFO');
      this.queryInfo = info.ret === 0 ? info.fields : {};
      try {
        this.gid = (await this.commandOk('READ_GID')).gid;
      } catch (e) {
        await this.unregisterIeq();
        await this.unregisterSba();
        throw e;
      }
    } catch (e) {
      this.freeIrq();
      throw e;
    }
  }

  /** register_sba: a zeroed page; freed again if the device refuses it. */
  private async registerSba(): Promise<void> {
    const page = this.access.allocateDma(Sba.SIZE);
    const r = await this.command('REG_SBA', { sba: BigInt(page) });
    if (r.ret !== 0) {
      this.access.freeDma(page);
      throw new LinuxError(Errno.EIO, `ISM REG_SBA returned 0x${r.ret.toString(16)}`);
    }
    this.sba = page;
  }

  /** register_ieq: a zeroed page, registered with length 512; the consumer index starts at -1. */
  private async registerIeq(): Promise<void> {
    const page = this.access.allocateDma(4096);
    const r = await this.command('REG_IEQ', { ieq: BigInt(page), len: BigInt(ISM_IEQ_LENGTH) });
    if (r.ret !== 0) {
      this.access.freeDma(page);
      throw new LinuxError(Errno.EIO, `ISM REG_IEQ returned 0x${r.ret.toString(16)}`);
    }
    this.ieq = page;
    this.ieqIndex = -1;
  }

  /** unregister_sba: nothing registered → nothing to do; ISM_ERROR counts as success; the page is freed. */
  private async unregisterSba(): Promise<void> {
    if (await this.unregisterPage('UNREG_SBA', this.sba)) this.sba = -1;
  }

  /** unregister_ieq: as unregister_sba, for the event queue. */
  private async unregisterIeq(): Promise<void> {
    if (await this.unregisterPage('UNREG_IEQ', this.ieq)) this.ieq = -1;
  }

  /** True when `page` is no longer registered (and freed); another device error keeps it. */
  private async unregisterPage(name: 'UNREG_SBA' | 'UNREG_IEQ', page: number): Promise<boolean> {
    if (page < 0) return false;
    const r = await this.command(name);
    if (r.ret !== 0 && r.ret !== ISM_ERROR) return false;
    this.access.freeDma(page);
    return true;
  }

  private freeIrq(): void {
    this.irqSubscription?.unsubscribe();
    this.irqSubscription = null;
  }

  /**
   * Teardown (ism_dev_exit): DMBs still registered, DEL_VLAN_ID 0x1FFF if the V2 probe added it,
   * UNREG_IEQ, UNREG_SBA (pages freed), then the IRQ. A user of DibsCore removes the device from
   * the core first (dibs_dev_del), so clients are told before the device goes.
   */
  async remove(): Promise<void> {
    // Teardown goes on whatever the device says: after a function reset it has already
    // forgotten the DMBs (UNREG_DMB answers UNKNOWN_TOKEN), and the memory is ours to free.
    for (const dmb of [...this.dmbs.values()]) {
      await this.unregisterDmb(dmb).catch(() => this.forgetDmb(dmb));
    }
    if (this.v2Capable) await this.delVlanId(ISM_RESERVED_VLANID);
    this.v2Capable = false;
    await this.unregisterIeq();
    await this.unregisterSba();
    this.freeIrq();
    this.dibsEvents.complete();
    this.signals.complete();
    this.events.complete();
  }

  /**
   * Register a DMB that `rgid` may write (ism_register_dmb): contiguous zeroed memory, an SBA
   * index (the one asked for, or the first free from 32), then REG_DMB for the token.
   */
  async registerDmb(options: { length: number; rgid: bigint; sbaIndex?: number; vlanId?: number; clientId?: number }): Promise<Dmb> {
    const { length, rgid } = options;
    if (!Number.isInteger(length) || length <= 0 || length > ISM_MAX_DMB_LENGTH) {
      throw new LinuxError(Errno.EINVAL, `DMB length ${length} (1..${ISM_MAX_DMB_LENGTH})`);
    }
    let index = options.sbaIndex;
    if (index !== undefined) {
      if (index < ISM_DMB_BIT_OFFSET || index > Sba.LAST_DMB_INDEX) throw new LinuxError(Errno.EINVAL, `SBA index ${index}`);
      if (this.claimedIndices.has(index)) throw new LinuxError(Errno.EINVAL, `SBA index ${index} in use`);
    } else {
      index = ISM_DMB_BIT_OFFSET;
      while (index <= Sba.LAST_DMB_INDEX && this.claimedIndices.has(index)) index++;
      if (index > Sba.LAST_DMB_INDEX) throw new LinuxError(Errno.ENOSPC, 'no free SBA index');
    }
    this.claimedIndices.add(index);
    let iova: number;
    try {
      iova = this.access.allocateDma(length);
    } catch (e) {
      this.claimedIndices.delete(index);
      throw e;
    }
    const r = await this.command('REG_DMB', {
      dmb: BigInt(iova),
      dmb_len: BigInt(length),
      sba_idx: BigInt(index),
      vlan_valid: options.vlanId !== undefined ? 1n : 0n,
      vlan_id: BigInt(options.vlanId ?? 0),
      rgid,
    });
    if (r.ret !== 0) {
      this.access.freeDma(iova);
      this.claimedIndices.delete(index);
      throw new LinuxError(r.ret === ISM_ERROR ? Errno.EIO : Errno.EINVAL, `ISM REG_DMB returned 0x${r.ret.toString(16)}`);
    }
    const dmb: Dmb = { token: r.fields.dmb_tok, iova, length, sbaIndex: index, rgid };
    this.dmbs.set(index, dmb);
    // The DMB's signals go to the client that registered it (ism_register_dmb sets sba_client_arr).
    if (options.clientId !== undefined) this.dmbClient.set(index, options.clientId);
    return dmb;
  }

  /**
   * UNREG_DMB; ISM_ERROR counts as done (the memory is freed either way, like Linux). The DMB's
   * signals stop reaching its client before the command (ism_unregister_dmb).
   */
  async unregisterDmb(dmb: Dmb): Promise<void> {
    if (this.dmbs.get(dmb.sbaIndex) === dmb) this.dmbClient.delete(dmb.sbaIndex);
    const r = await this.command('UNREG_DMB', { dmb_tok: dmb.token });
    if (r.ret !== 0 && r.ret !== ISM_ERROR) throw new LinuxError(Errno.EIO, `ISM UNREG_DMB returned 0x${r.ret.toString(16)}`);
    this.forgetDmb(dmb);
  }

  private forgetDmb(dmb: Dmb): void {
    if (this.dmbs.get(dmb.sbaIndex) !== dmb) return;
    this.dmbs.delete(dmb.sbaIndex);
    this.dmbClient.delete(dmb.sbaIndex);
    this.claimedIndices.delete(dmb.sbaIndex);
    this.access.freeDma(dmb.iova);
  }

  /**
   * Move data into the peer DMB `token` at `offset` (ism_move): chunks never cross a 4 KiB
   * boundary of the target offset (nor exceed the path's largest store block, which is 4 KiB
   * for a real ISM function), each chunk is one PCISTB stored from the caller's buffer at the
   * matching position (__ism_move: nothing aligns the source), the signal flag rides on the last
   * chunk only. `data` is either a buffer in the driver's own memory (a kernel pointer) or bytes,
   * which are first put into a page-aligned buffer of the move's length, as a caller's kmalloc
   * buffer would hold them. A zero-length move issues nothing. The first failing chunk ends the
   * move (-EIO).
   */
  async move(token: bigint, dmbeIndex: number, signal: boolean, offset: number, data: Uint8Array | CallerBuffer): Promise<number> {
    if (!(data instanceof Uint8Array)) return this.moveFrom(token, dmbeIndex, signal, offset, data);
    if (data.length === 0) return this.moveFrom(token, dmbeIndex, signal, offset, { address: 0, length: 0 });
    const address = this.access.allocateDma(data.length);
    try {
      this.access.dmaMemory.write(address, data);
      return await this.moveFrom(token, dmbeIndex, signal, offset, { address, length: data.length });
    } finally {
      this.access.freeDma(address);
    }
  }

  private async moveFrom(token: bigint, dmbeIndex: number, signal: boolean, offset: number, source: CallerBuffer): Promise<number> {
    this.counts.moves++;
    let done = 0;
    while (done < source.length) {
      const at = offset + done;
      const chunk = Math.min(MOVE_BOUNDARY - (at % MOVE_BOUNDARY), source.length - done, this.access.maxStoreBlock);
      const last = done + chunk === source.length;
      const rc = await this.access.storeMove(moveOffset(token, dmbeIndex, signal && last, at), source.address + done, chunk);
      if (rc < 0) return -Errno.EIO;
      this.counts.moveChunks++;
      this.counts.moveBytes += chunk;
      done += chunk;
    }
    return 0;
  }

  /** SIGNAL_IEQ to a peer (ism_signal_ieq); returns the device's ret. */
  async signalEvent(rgid: bigint, eventCode: number, info: bigint, triggerIrq = true): Promise<number> {
    const r = await this.command('SIGNAL_IEQ', { rgid, trigger_irq: triggerIrq ? 1n : 0n, event_code: BigInt(eventCode), info });
    return r.ret;
  }

  /**
   * QUERY_RGID (ism_query_rgid; SMC's cantalk check before a connection): 0 when `rgid` is
   * reachable (on `vlanId`, if given); otherwise the device's ret.
   */
  async queryRemoteGid(rgid: bigint, vlanId?: number): Promise<number> {
    const r = await this.command('QUERY_RGID', { rgid, vlan_valid: vlanId !== undefined ? 1n : 0n, vlan_id: BigInt(vlanId ?? 0) });
    return r.ret;
  }

  /** ADD_VLAN_ID (ism_add_vlan_id): the device's ret. */
  async addVlanId(vlanId: number): Promise<number> {
    return (await this.command('ADD_VLAN_ID', { vlan_id: BigInt(vlanId) })).ret;
  }

  /** DEL_VLAN_ID (ism_del_vlan_id): the device's ret. */
  async delVlanId(vlanId: number): Promise<number> {
    return (await this.command('DEL_VLAN_ID', { vlan_id: BigInt(vlanId) })).ret;
  }

  /** SET_VLAN (ism_set_vlan_required): the device's ret. */
  async setVlanRequired(): Promise<number> {
    return (await this.command('SET_VLAN')).ret;
  }

  /** RESET_VLAN (ism_reset_vlan_required): the device's ret. */
  async resetVlanRequired(): Promise<number> {
    return (await this.command('RESET_VLAN')).ret;
  }

  /**
   * The SMC-Dv2 probe: ADD_VLAN_ID of the reserved id 0x1FFF succeeds only on V2 hardware (the
   * SMC-era ism_dev_init did it after READ_GID; since DIBS, SMC does it when the device is
   * added). remove() deletes the id again when it was added (ism_dev_exit).
   */
  async probeV2(): Promise<boolean> {
    this.v2Capable = (await this.addVlanId(ISM_RESERVED_VLANID)) === 0;
    return this.v2Capable;
  }

  /** The DMB registered at `sbaIndex`, if any. */
  dmbAt(sbaIndex: number): Dmb | undefined {
    return this.dmbs.get(sbaIndex);
  }

  /**
   * The interrupt handler (ism_handle_irq): clear the summary bit; for each set DMB bit from
   * index 32, clear it, read and zero its DMBE mask, hand (index, mask) on; then, if the event
   * bit is set, clear it and drain the IEQ.
   */
  private handleInterrupt(cycle: number): void {
    if (this.sba < 0) return;
    this.counts.interrupts++;
    const mem = this.access.dmaMemory;
    const s = this.sba;
    const flags = mem.readU8(s + Sba.SUMMARY_BYTE);
    mem.writeU8(s + Sba.SUMMARY_BYTE, flags & ~Sba.SUMMARY_MASK);
    // find_next_bit over the bitmap: one read of it finds the bytes with a bit set (a poll finds none).
    const firstByte = Sba.dmbBitByte(ISM_DMB_BIT_OFFSET);
    const bitmap = mem.read(s + firstByte, Sba.dmbBitByte(Sba.LAST_DMB_INDEX) - firstByte + 1);
    for (let i = ISM_DMB_BIT_OFFSET; i <= Sba.LAST_DMB_INDEX; i++) {
      if (bitmap[Sba.dmbBitByte(i) - firstByte] === 0) {
        i |= 7; // skip the rest of an empty byte
        continue;
      }
      const byteAt = s + Sba.dmbBitByte(i);
      const bit = Sba.dmbBitMask(i);
      const b = mem.readU8(byteAt);
      if ((b & bit) === 0) continue;
      mem.writeU8(byteAt, b & ~bit);
      const maskAt = s + Sba.dmbeMaskOffset(i);
      const mask = mem.readU16(maskAt);
      mem.writeU16(maskAt, 0);
      if (this.dmbs.has(i)) this.signals.next({ sbaIndex: i, mask, cycle });
      // Routed to the DMB's client; a bit with no (subscribed) client is dropped (ism_handle_irq).
      const clientId = this.dmbClient.get(i);
      if (clientId !== undefined) this.subs[clientId]?.handleIrq?.(this, i, mask);
    }
    const after = mem.readU8(s + Sba.SUMMARY_BYTE);
    if (after & Sba.EVENT_MASK) {
      mem.writeU8(s + Sba.SUMMARY_BYTE, after & ~Sba.EVENT_MASK);
      this.drainEvents();
    }
  }

  /**
   * Run the interrupt handler without an interrupt (a waiter that has heard nothing for a while
   * looks for itself). The handler clears the summary and scans every bit, so whatever a lost or
   * late MSI would have reported is found; with no MSI since probe, nothing is.
   */
  poll(): void {
    if (this.irqSubscription) this.handleInterrupt(this.sim.cycle);
  }

  /** Consume IEQ entries while our index + 1 differs from the device's header index (wraps at 15). */
  private drainEvents(): void {
    // No IEQ (before REG_IEQ, or after UNREG_IEQ in a teardown whose UNREG_SBA failed): the device
    // posts no event without one, and there is no queue to read (ism_handle_event reads ism->ieq).
    if (this.ieq < 0) return;
    const mem = this.access.dmaMemory;
    for (let guard = 0; guard < Ieq.ENTRIES * 2; guard++) {
      const deviceIndex = Number(mem.readU64(this.ieq));
      if (this.ieqIndex + 1 === deviceIndex) return;
      this.ieqIndex = (this.ieqIndex + 1) % Ieq.ENTRIES;
      const entry = decodeIeqEntry(mem.read(this.ieq + Ieq.entryOffset(this.ieqIndex), Ieq.ENTRY_SIZE));
      this.events.next(entry);
      // Every subscribed client gets every event (ism_handle_event).
      const event = translateIsmEvent(entry);
      this.dibsEvents.next(event);
      for (const client of this.subs) client?.handleEvent?.(this, event);
    }
  }
}

/** The ret code meaning success. */
export const ISM_OK = IsmRc.OK;
