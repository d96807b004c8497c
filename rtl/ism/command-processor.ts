import { Component } from '../hdl/component.ts';
import type { Signal } from '../hdl/signal.ts';
import type { Simulator } from '../hdl/simulator.ts';
import { bigEndianToBytes, bytesToBigEndian } from '../bytes.ts';
import type { IsmTiming } from '../timing.ts';
import { DeviceStatus } from '../zpci/device-port.ts';
import type { AccessVerdict, TargetVerdict } from '../zpci/device-port-target.ts';
import {
  COMMAND_BY_CODE,
  decodeHeader,
  encodeHeader,
  Ieq,
  IsmEventType,
  IsmRc,
  IsmStatus,
  readFields,
  Sba,
  writeFields,
  type CommandSpec,
  type FieldValues,
} from './commands.ts';
import type { IsmAdapter } from './adapter.ts';

const OK: TargetVerdict = { status: DeviceStatus.OK, code: 0 };
const BUSY: TargetVerdict = { status: DeviceStatus.BUSY, code: 0 };
const refuse = (code: number): TargetVerdict => ({ status: DeviceStatus.ERROR, code });
const withData = (v: TargetVerdict, rdata = 0n): AccessVerdict => ({ ...v, rdata });

type Response = [number, Partial<Record<string, bigint | number>>];

/**
 * BAR 2 of an ISM function (scope `vmN.ism.cmd`): the command buffer, the doorbell, the
 * `commandCycles` down-counter, command execution and the function's VLAN table. While a
 * command runs (`busy`), every BAR 2 access is answered BUSY.
 */
export class CommandProcessor extends Component {
  readonly busy: Signal<number>;
  /** Edges left until the running command executes. */
  readonly countdown: Signal<number>;
  readonly code: Signal<number>;
  readonly ret: Signal<number>;
  readonly count: Signal<number>;
  readonly vlanCount: Signal<number>;
  readonly vlanRequired: Signal<number>;
  private readonly buffer: Uint8Array;
  /** The VLAN table (a register file of maxVlans ids, in the order added). */
  private vlans: number[] = [];

  constructor(
    sim: Simulator,
    name: string,
    private readonly adapter: IsmAdapter,
    private readonly timing: IsmTiming,
  ) {
    super(sim, name, adapter);
    this.buffer = new Uint8Array(adapter.config.bar2Size);
    this.busy = this.reg('busy', 1);
    this.countdown = this.reg('countdown', 16);
    this.code = this.reg('code', 8);
    this.ret = this.reg('ret', 16);
    this.count = this.reg('count', 32);
    this.vlanCount = this.reg('vlans', 7);
    this.vlanRequired = this.reg('vlan_required', 1);
  }

  /** A command runs (including one started or finished earlier in this edge). */
  get running(): boolean {
    return this.busy.readBack() === 1;
  }
  get vlanIds(): readonly number[] {
    return this.vlans;
  }
  hasVlan(id: number): boolean {
    return this.vlans.includes(id);
  }

  /** The start of the edge: the running command executes when its counter runs out. */
  tick(): void {
    if (this.busy.value === 0) return;
    const left = this.countdown.value;
    this.countdown.set(left - 1);
    if (left === 1) this.execute();
  }

  reset(): void {
    this.busy.set(0);
    this.countdown.set(0);
    this.buffer.fill(0);
    this.vlans = [];
    this.vlanCount.set(0);
    this.vlanRequired.set(0);
  }

  // ------------------------------------------------------------------ BAR 2 accesses

  access(write: boolean, offset: bigint, len: number, wdata: bigint): AccessVerdict {
    if (offset + BigInt(len) > BigInt(this.buffer.length)) return withData(refuse(IsmStatus.BAD_ADDRESS));
    if (this.running) return withData(BUSY);
    const off = Number(offset);
    if (!write) return withData(OK, bytesToBigEndian(this.buffer.subarray(off, off + len)));
    if (off < 8 && off + len < 8) return withData(refuse(IsmStatus.CMD_PARTIAL_HEADER));
    if (off > 0 && off < 8) return withData(refuse(IsmStatus.CMD_PARTIAL_HEADER));
    this.buffer.set(bigEndianToBytes(wdata, len), off);
    if (off === 0) this.start();
    return withData(OK);
  }

  header(offset: bigint, len: number): TargetVerdict {
    if (offset + BigInt(len) > BigInt(this.buffer.length)) return refuse(IsmStatus.BAD_ADDRESS);
    const off = Number(offset);
    if (off > 0 && off < 8) return refuse(IsmStatus.CMD_PARTIAL_HEADER);
    if (off === 0 && len < 8) return refuse(IsmStatus.CMD_PARTIAL_HEADER);
    return this.running ? BUSY : OK;
  }

  /** Body or header (+ body); a write covering the header rings the doorbell. */
  blockDone(offset: bigint, bytes: Uint8Array): TargetVerdict {
    this.buffer.set(bytes, Number(offset));
    if (offset === 0n) this.start();
    return OK;
  }

  private start(): void {
    this.busy.set(1);
    this.countdown.set(this.timing.commandCycles);
    this.code.set(decodeHeader(this.buffer).cmd & 0xff);
  }

  // ------------------------------------------------------------------ execution

  private execute(): void {
    this.busy.set(0);
    this.count.set((this.count.value + 1) >>> 0);
    const hdr = decodeHeader(this.buffer);
    const spec = COMMAND_BY_CODE.get(hdr.cmd);
    let ret: number;
    let values: Partial<Record<string, bigint | number>> = {};
    if (!spec) ret = IsmRc.UNKNOWN_COMMAND;
    else if (hdr.len !== spec.requestLength) ret = IsmRc.BAD_LENGTH;
    else [ret, values] = this.run(spec, readFields(this.buffer, spec.request));
    const len = spec && ret === IsmRc.OK ? spec.responseLength : 8;
    this.buffer.fill(0, 0, len);
    this.buffer.set(encodeHeader(hdr.cmd, ret, len), 0);
    if (spec && ret === IsmRc.OK) writeFields(this.buffer, spec.response, values);
    this.ret.set(ret);
  }

  private run(spec: CommandSpec, f: FieldValues): Response {
    const ok: Response = [IsmRc.OK, {}];
    const fail = (rc: number): Response => [rc, {}];
    const ad = this.adapter;
    const rx = ad.rx;
    const net = ad.network;
    const cfg = ad.config;
    switch (spec.name) {
      case 'REG_SBA': {
        if (rx.sbaAddress !== null) return fail(IsmRc.ALREADY_REGISTERED);
        const a = this.pageAddress(f.sba, Sba.SIZE);
        if (a === null) return fail(IsmRc.BAD_ADDRESS);
        rx.registerSba(a);
        return ok;
      }
      case 'REG_IEQ': {
        if (rx.ieqAddress !== null) return fail(IsmRc.ALREADY_REGISTERED);
        const len = f.len;
        if (len < BigInt(Ieq.MIN_LENGTH) || len > 4096n || len % 32n !== 0n) return fail(IsmRc.BAD_IEQ_LENGTH);
        const a = this.pageAddress(f.ieq, Number(len));
        if (a === null) return fail(IsmRc.BAD_ADDRESS);
        rx.registerIeq(a, Number(len));
        return ok;
      }
      case 'READ_GID':
        return [IsmRc.OK, { gid: ad.gid }];
      case 'ADD_VLAN_ID': {
        const id = f.vlan_id;
        if (id > 0xfffn && !(id === 0x1fffn && cfg.supportsV2)) return fail(IsmRc.BAD_VLAN_ID);
        if (this.vlans.includes(Number(id))) return ok;
        if (this.vlans.length >= cfg.maxVlans) return fail(IsmRc.VLAN_TABLE_FULL);
        this.vlans.push(Number(id));
        this.vlanCount.set(Math.min(this.vlans.length, 127));
        return ok;
      }
      case 'DEL_VLAN_ID': {
        const i = f.vlan_id > 0xffffn ? -1 : this.vlans.indexOf(Number(f.vlan_id));
        if (i < 0) return fail(IsmRc.VLAN_NOT_FOUND);
        this.vlans.splice(i, 1);
        this.vlanCount.set(Math.min(this.vlans.length, 127));
        return ok;
      }
      case 'SET_VLAN':
        this.vlanRequired.set(1);
        return ok;
      case 'RESET_VLAN':
        this.vlanRequired.set(0);
        return ok;
      case 'QUERY_INFO': {
        const v: Record<string, bigint | number> = {
          version: cfg.queryInfoVersion,
          max_len: cfg.maxDmbLength,
          ism_state: (rx.sbaAddress !== null ? 1 : 0) | (rx.ieqAddress !== null ? 2 : 0),
          my_gid: ad.gid,
          sba: BigInt(rx.sbaAddress ?? 0),
          ieq: BigInt(rx.ieqAddress ?? 0),
          ieq_len: rx.ieqLength,
          dmbs_owned: net.dmbsOwnedBy(ad.index).length,
          dmbs_used: net.dmbsWritableBy(ad.gid).length,
          vlan_required: this.vlanRequired.value,
          vlan_nr_ids: this.vlans.length,
        };
        this.vlans.slice(0, 64).forEach((id, i) => (v[`vlan_id${i}`] = id));
        return [IsmRc.OK, v];
      }
      case 'QUERY_RGID': {
        const target = net.byGid(f.rgid);
        if (!target) return fail(IsmRc.GID_UNREACHABLE);
        if (f.vlan_valid !== 0n) {
          const id = Number(f.vlan_id);
          if (!this.hasVlan(id) || !target.hasVlan(id)) return fail(IsmRc.GID_UNREACHABLE);
        }
        return ok;
      }
      case 'REG_DMB': {
        const len = Number(f.dmb_len);
        if (len === 0 || len > cfg.maxDmbLength) return fail(IsmRc.BAD_DMB_LENGTH);
        if (f.dmb > BigInt(Number.MAX_SAFE_INTEGER) || !ad.memory.contains(Number(f.dmb), len)) return fail(IsmRc.BAD_ADDRESS);
        const idx = Number(f.sba_idx);
        if (idx < Sba.FIRST_DMB_INDEX || idx > Sba.LAST_DMB_INDEX) return fail(IsmRc.BAD_SBA_INDEX);
        const mine = net.dmbsOwnedBy(ad.index);
        if (mine.some((d) => d.sbaIdx === idx)) return fail(IsmRc.SBA_INDEX_IN_USE);
        const vlanValid = f.vlan_valid !== 0n;
        if (vlanValid && f.vlan_id > 0xfffn) return fail(IsmRc.BAD_VLAN_ID);
        if (mine.length >= cfg.maxDmbs) return fail(IsmRc.TOO_MANY_DMBS);
        const r = net.registerDmb(ad, {
          address: Number(f.dmb),
          length: len,
          sbaIdx: idx,
          vlanValid,
          vlanId: vlanValid ? Number(f.vlan_id) : 0,
          rgid: f.rgid,
        });
        return r.rc === IsmRc.OK ? [IsmRc.OK, { dmb_tok: r.token }] : fail(r.rc);
      }
      case 'UNREG_DMB':
        return fail(net.unregisterDmb(ad, f.dmb_tok, cfg.notifyWriterOnUnregister));
      case 'SIGNAL_IEQ': {
        const target = net.byGid(f.rgid);
        if (!target) return fail(IsmRc.GID_UNREACHABLE);
        net.postEvent(target, { type: IsmEventType.SWR, code: Number(f.event_code), tok: ad.gid, info: f.info }, f.trigger_irq !== 0n);
        return ok;
      }
      case 'UNREG_SBA':
        if (rx.sbaAddress === null) return fail(IsmRc.NOT_REGISTERED);
        rx.unregisterSba();
        return ok;
      case 'UNREG_IEQ':
        if (rx.ieqAddress === null) return fail(IsmRc.NOT_REGISTERED);
        rx.unregisterIeq();
        return ok;
    }
  }

  /** A page-aligned address whose `length` bytes are guest memory, or null. */
  private pageAddress(a: bigint, length: number): number | null {
    if (a > BigInt(Number.MAX_SAFE_INTEGER) || a % 4096n !== 0n) return null;
    return this.adapter.memory.contains(Number(a), length) ? Number(a) : null;
  }
}
