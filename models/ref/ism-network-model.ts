/**
 * Transaction-level reference model of an ISM network: registrations, moves, unregistrations,
 * events, SBA and IEQ contents across VMs, with no timing. Used as the scoreboard for the RTL
 * adapter/network (test/ism). It follows the rules in rtl/ism/README.md, written independently
 * of the RTL: memory layouts come from the spec below, not from rtl/ism's helpers (it shares only
 * the command field tables and the code values). IEQ `time` fields are left zero (the RTL stamps
 * cycles); compare them masked.
 */
import { GuestMemory } from '../host/guest-memory.ts';
import { IsmNetwork } from '../../rtl/ism/network.ts';
import { COMMAND_BY_NAME, IsmEventCode, IsmEventType, IsmRc, IsmStatus, type IsmCmdName } from '../../rtl/ism/commands.ts';
import { DEFAULT_ISM_CONFIG, type IsmAdapterConfig } from '../../rtl/ism/adapter.ts';
import type { DmbRecord } from '../../rtl/ism/network.ts';

/*
 * Layouts written out from /work/shared/spec/ism.md, not taken from the RTL's helpers, so the
 * scoreboard also checks those: SBA (§5.1) — summary `s` 0x80 and event `e` 0x40 in byte 0,
 * DMB bit i at byte 4 + ⌊i/8⌋ mask 0x80 >> (i mod 8), dmbe_mask[i] u16 at 256 + 2i; IEQ (§5.2) —
 * 32-byte header with idx at +0, 15 entries of 32 bytes from +32: type u32, code u32, tok u64,
 * time u64, info u64; move offset (§4) — token bits 32–63, idx bits 24–31, sf bit 23, offset
 * bits 0–22.
 */
const SBA_BYTES = 4096;
const SBA_SUMMARY = 0x80;
const SBA_EVENT = 0x40;
const sbaBitByte = (i: number): number => 4 + Math.floor(i / 8);
const sbaBitMask = (i: number): number => 0x80 >> i % 8;
const sbaMaskAt = (i: number): number => 256 + 2 * i;
const IEQ_ENTRIES = 15;
const ieqEntryAt = (k: number): number => 32 + 32 * k;

function ieqEntryBytes(type: number, code: number, tok: bigint, info: bigint): Uint8Array {
  const b = new Uint8Array(32);
  const v = new DataView(b.buffer);
  v.setUint32(0, type >>> 0); // big-endian by default
  v.setUint32(4, code >>> 0);
  v.setBigUint64(8, BigInt.asUintN(64, tok));
  v.setBigUint64(16, 0n); // time: the RTL stamps cycles; compare masked
  v.setBigUint64(24, BigInt.asUintN(64, info));
  return b;
}

function moveFields(pciOffset: bigint): { token: bigint; idx: number; sf: boolean; offset: number } {
  return {
    token: pciOffset & ~0xffff_ffffn,
    idx: Number((pciOffset >> 24n) & 0xffn),
    sf: ((pciOffset >> 23n) & 1n) === 1n,
    offset: Number(pciOffset & 0x7f_ffffn),
  };
}

/** A registered DMB as the reference keeps it: the same record shape the network keeps. */
export type ModelDmb = DmbRecord;

export class ModelVm {
  sba: number | null = null;
  ieq: number | null = null;
  ieqLen = 0;
  ieqNext = 0;
  vlans: number[] = [];
  vlanRequired = 0;
  /** MSIs the device must have raised so far. */
  msi = 0;
  constructor(
    readonly index: number,
    readonly gid: bigint,
    readonly memory: GuestMemory,
  ) {}
}

export interface ModelResult {
  readonly ret: number;
  readonly fields: Record<string, bigint>;
}

export class IsmNetworkModel {
  readonly vms: ModelVm[] = [];
  readonly dmbs = new Map<bigint, ModelDmb>();
  readonly config: IsmAdapterConfig;
  private nextToken = 1;

  constructor(n: number, options: { networkId?: number; memorySize?: number; config?: Partial<IsmAdapterConfig> } = {}) {
    this.config = { ...DEFAULT_ISM_CONFIG, ...options.config };
    for (let i = 0; i < n; i++) {
      this.vms.push(new ModelVm(i, IsmNetwork.gidFor(options.networkId ?? 1, i), new GuestMemory(options.memorySize ?? 64 << 20)));
    }
  }

  private byGid(gid: bigint): ModelVm | undefined {
    return this.vms.find((v) => v.gid === gid);
  }

  owned(vm: number): ModelDmb[] {
    return [...this.dmbs.values()].filter((d) => d.owner === vm);
  }

  /** Execute one command as the device would; `len` overrides hdr.len. */
  command(vm: number, name: IsmCmdName, f: Partial<Record<string, bigint | number>> = {}, len?: number): ModelResult {
    const spec = COMMAND_BY_NAME.get(name)!;
    if (len !== undefined && len !== spec.requestLength) return { ret: IsmRc.BAD_LENGTH, fields: {} };
    const g = (k: string): bigint => BigInt(f[k] ?? 0);
    const v = this.vms[vm];
    const ok = (fields: Record<string, bigint> = {}): ModelResult => ({ ret: IsmRc.OK, fields });
    const fail = (ret: number): ModelResult => ({ ret, fields: {} });
    const page = (a: bigint, n: number): number | null =>
      a % 4096n === 0n && a <= BigInt(Number.MAX_SAFE_INTEGER) && v.memory.contains(Number(a), n) ? Number(a) : null;
    switch (name) {
      case 'REG_SBA': {
        if (v.sba !== null) return fail(IsmRc.ALREADY_REGISTERED);
        const a = page(g('sba'), SBA_BYTES);
        if (a === null) return fail(IsmRc.BAD_ADDRESS);
        v.sba = a;
        return ok();
      }
      case 'REG_IEQ': {
        if (v.ieq !== null) return fail(IsmRc.ALREADY_REGISTERED);
        const n = g('len');
        if (n < 512n || n > 4096n || n % 32n !== 0n) return fail(IsmRc.BAD_IEQ_LENGTH);
        const a = page(g('ieq'), Number(n));
        if (a === null) return fail(IsmRc.BAD_ADDRESS);
        v.ieq = a;
        v.ieqLen = Number(n);
        v.ieqNext = 0;
        v.memory.writeU64(a, 0n);
        v.memory.writeU64(a + 8, n);
        v.memory.writeU64(a + 16, 32n);
        v.memory.writeU64(a + 24, 0n);
        return ok();
      }
      case 'READ_GID':
        return ok({ gid: v.gid });
      case 'ADD_VLAN_ID': {
        const id = g('vlan_id');
        if (id > 0xfffn && !(id === 0x1fffn && this.config.supportsV2)) return fail(IsmRc.BAD_VLAN_ID);
        if (v.vlans.includes(Number(id))) return ok();
        if (v.vlans.length >= this.config.maxVlans) return fail(IsmRc.VLAN_TABLE_FULL);
        v.vlans.push(Number(id));
        return ok();
      }
      case 'DEL_VLAN_ID': {
        const id = g('vlan_id');
        const i = v.vlans.findIndex((x) => BigInt(x) === id);
        if (i < 0) return fail(IsmRc.VLAN_NOT_FOUND);
        v.vlans.splice(i, 1);
        return ok();
      }
      case 'SET_VLAN':
        v.vlanRequired = 1;
        return ok();
      case 'RESET_VLAN':
        v.vlanRequired = 0;
        return ok();
      case 'QUERY_INFO': {
        const r: Record<string, bigint> = {
          version: BigInt(this.config.queryInfoVersion),
          max_len: BigInt(this.config.maxDmbLength),
          ism_state: BigInt((v.sba !== null ? 1 : 0) | (v.ieq !== null ? 2 : 0)),
          my_gid: v.gid,
          sba: BigInt(v.sba ?? 0),
          ieq: BigInt(v.ieq ?? 0),
          ieq_len: BigInt(v.ieqLen),
          dmbs_owned: BigInt(this.owned(vm).length),
          dmbs_used: BigInt([...this.dmbs.values()].filter((d) => d.rgid === v.gid).length),
          vlan_required: BigInt(v.vlanRequired),
          vlan_nr_ids: BigInt(v.vlans.length),
        };
        for (let i = 0; i < 64; i++) r[`vlan_id${i}`] = BigInt(v.vlans[i] ?? 0);
        return ok(r);
      }
      case 'QUERY_RGID': {
        const t = this.byGid(g('rgid'));
        if (!t) return fail(IsmRc.GID_UNREACHABLE);
        if (g('vlan_valid') !== 0n) {
          const id = Number(g('vlan_id'));
          if (!v.vlans.includes(id) || !t.vlans.includes(id)) return fail(IsmRc.GID_UNREACHABLE);
        }
        return ok();
      }
      case 'REG_DMB': {
        const n = Number(g('dmb_len'));
        if (n === 0 || n > this.config.maxDmbLength) return fail(IsmRc.BAD_DMB_LENGTH);
        const a = g('dmb');
        if (a > BigInt(Number.MAX_SAFE_INTEGER) || !v.memory.contains(Number(a), n)) return fail(IsmRc.BAD_ADDRESS);
        const idx = Number(g('sba_idx'));
        if (idx < 32 || idx > 1919) return fail(IsmRc.BAD_SBA_INDEX);
        const mine = this.owned(vm);
        if (mine.some((d) => d.sbaIdx === idx)) return fail(IsmRc.SBA_INDEX_IN_USE);
        const vv = g('vlan_valid') !== 0n;
        if (vv && g('vlan_id') > 0xfffn) return fail(IsmRc.BAD_VLAN_ID);
        if (mine.length >= this.config.maxDmbs) return fail(IsmRc.TOO_MANY_DMBS);
        let t = this.nextToken;
        while (this.dmbs.has(BigInt(t) << 32n)) t = t >= 0xffff ? 1 : t + 1;
        this.nextToken = t >= 0xffff ? 1 : t + 1;
        const token = BigInt(t) << 32n;
        this.dmbs.set(token, {
          token,
          owner: vm,
          address: Number(a),
          length: n,
          sbaIdx: idx,
          vlanValid: vv,
          vlanId: vv ? Number(g('vlan_id')) : 0,
          rgid: g('rgid'),
        });
        return ok({ dmb_tok: token });
      }
      case 'UNREG_DMB':
        return fail(this.unregister(vm, g('dmb_tok')));
      case 'SIGNAL_IEQ': {
        const t = this.byGid(g('rgid'));
        if (!t) return fail(IsmRc.GID_UNREACHABLE);
        this.event(t, IsmEventType.SWR, Number(g('event_code')), v.gid, g('info'), g('trigger_irq') !== 0n);
        return ok();
      }
      case 'UNREG_SBA':
        if (v.sba === null) return fail(IsmRc.NOT_REGISTERED);
        v.sba = null;
        return ok();
      case 'UNREG_IEQ':
        if (v.ieq === null) return fail(IsmRc.NOT_REGISTERED);
        v.ieq = null;
        v.ieqLen = 0;
        return ok();
    }
  }

  private unregister(vm: number, token: bigint): number {
    const d = this.dmbs.get(token);
    if (!d || d.owner !== vm) return IsmRc.UNKNOWN_TOKEN;
    this.dmbs.delete(token);
    const w = this.config.notifyWriterOnUnregister ? this.byGid(d.rgid) : undefined;
    if (w) this.event(w, IsmEventType.BUF, IsmEventCode.BUF_DMB_UNREGISTERED, token, 0n, true);
    return IsmRc.OK;
  }

  private event(t: ModelVm, type: number, code: number, tok: bigint, info: bigint, trigger: boolean): void {
    if (t.ieq === null) return;
    const k = t.ieqNext;
    t.memory.write(t.ieq + ieqEntryAt(k), ieqEntryBytes(type, code, tok, info));
    t.memory.writeU64(t.ieq, BigInt(k + 1));
    t.ieqNext = (k + 1) % IEQ_ENTRIES;
    if (trigger && t.sba !== null) this.raise(t, SBA_EVENT);
  }

  private raise(t: ModelVm, mask: number): void {
    const b0 = t.memory.readU8(t.sba!);
    t.memory.writeU8(t.sba!, b0 | mask);
    if (t.ieq !== null && ((b0 & mask) === 0 || this.config.msiEverySignal)) t.msi++;
  }

  /** One PCISTB to BAR 0 of `bytes` at `pciOffset` by VM `vm`: 0 or the device status code. */
  move(vm: number, pciOffset: bigint, bytes: Uint8Array): number {
    const a = moveFields(pciOffset);
    const w = this.vms[vm];
    if (a.token >> 48n !== 0n) return IsmStatus.MOVE_UNKNOWN_TOKEN;
    const d = this.dmbs.get(a.token);
    if (!d) return IsmStatus.MOVE_UNKNOWN_TOKEN;
    if (d.rgid !== w.gid) return IsmStatus.MOVE_GID_MISMATCH;
    if (d.vlanValid && !w.vlans.includes(d.vlanId)) return IsmStatus.MOVE_VLAN_MISMATCH;
    if (a.sf && a.idx >= 16) return IsmStatus.MOVE_BAD_DMBE_INDEX;
    if (a.offset + bytes.length > d.length) return IsmStatus.MOVE_OUT_OF_BOUNDS;
    const o = this.vms[d.owner];
    o.memory.write(d.address + a.offset, bytes);
    if (a.sf && o.sba !== null) {
      const at = o.sba + sbaMaskAt(d.sbaIdx);
      const bit = this.config.dmbeMaskOrder === 'msb0' ? 0x8000 >> a.idx : 1 << a.idx;
      o.memory.writeU16(at, o.memory.readU16(at) | bit);
      const bAt = o.sba + sbaBitByte(d.sbaIdx);
      o.memory.writeU8(bAt, o.memory.readU8(bAt) | sbaBitMask(d.sbaIdx));
      this.raise(o, SBA_SUMMARY);
    }
    return 0;
  }

  /** Function-level reset of `vm`: DMBs (token order, writers notified), SBA, IEQ, VLANs go. */
  reset(vm: number): void {
    this.vms[vm].sba = null;
    this.vms[vm].ieq = null;
    const toks = this.owned(vm)
      .map((d) => d.token)
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const t of toks) this.unregister(vm, t);
    const v = this.vms[vm];
    v.sba = null;
    v.ieq = null;
    v.ieqLen = 0;
    v.ieqNext = 0;
    v.vlans = [];
    v.vlanRequired = 0;
  }
}
