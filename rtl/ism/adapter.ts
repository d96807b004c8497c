import { Component } from '../hdl/component.ts';
import type { Signal } from '../hdl/signal.ts';
import type { Simulator } from '../hdl/simulator.ts';
import type { HostMemory } from '../host-memory.ts';
import { bigEndianToBytes, bytesToBigEndian } from '../bytes.ts';
import { DEFAULT_TIMING, type IsmTiming } from '../timing.ts';
import { DeviceStatus, type DevicePort } from '../zpci/device-port.ts';
import {
  COMMAND_BY_CODE,
  decodeHeader,
  decodeMoveOffset,
  encodeHeader,
  encodeIeqEntry,
  Ieq,
  IsmEventType,
  IsmRc,
  IsmStatus,
  readFields,
  Sba,
  writeFields,
  type CommandSpec,
  type FieldValues,
  type MoveAddress,
} from './commands.ts';
import { ismFunctionAttributes, IsmConfigSpace, ISM_DEFAULT_BAR2_SIZE, type IsmFunctionAttributes } from './config-space.ts';
import type { DmaRegion, DmbRecord, IsmNetwork } from './network.ts';

/** Device choices the sources leave open (documented in rtl/ism/README.md). */
export interface IsmAdapterConfig {
  /** BAR 2 (command window) size in bytes. */
  readonly bar2Size: number;
  /** Largest DMB (spec §5.3: 1 MiB). */
  readonly maxDmbLength: number;
  /** DMBs one function may own (SBA indices 32..1919 → 1888). */
  readonly maxDmbs: number;
  /** VLAN ids one function may add (QUERY_INFO reports at most 64). */
  readonly maxVlans: number;
  /** Bit for DMBE index idx in dmbe_mask: 'msb0' → 0x8000 >> idx, 'lsb0' → 1 << idx. */
  readonly dmbeMaskOrder: 'msb0' | 'lsb0';
  /** false: MSI only when `s` or `e` goes 0→1 (signals merge until the handler clears it). */
  readonly msiEverySignal: boolean;
  /** true: the msi pulse also needs the MSI enable bit in config space. */
  readonly requireMsiEnable: boolean;
  /** ADD_VLAN_ID 0x1FFF succeeds (the SMC-Dv2 probe). */
  readonly supportsV2: boolean;
  /** UNREG_DMB posts a BUF/DMB_UNREGISTERED event to the DMB's writer. */
  readonly notifyWriterOnUnregister: boolean;
  /** QUERY_INFO `version`. */
  readonly queryInfoVersion: number;
}

export const DEFAULT_ISM_CONFIG: IsmAdapterConfig = {
  bar2Size: ISM_DEFAULT_BAR2_SIZE,
  maxDmbLength: 1 << 20,
  maxDmbs: 1888,
  maxVlans: 64,
  dmbeMaskOrder: 'msb0',
  msiEverySignal: false,
  requireMsiEnable: false,
  supportsV2: true,
  notifyWriterOnUnregister: true,
  queryInfoVersion: 1,
};

export interface IsmAdapterOptions {
  readonly port: DevicePort;
  readonly memory: HostMemory;
  readonly network: IsmNetwork;
  readonly timing?: IsmTiming;
  readonly config?: Partial<IsmAdapterConfig>;
  /** zPCI function attributes (default: fid = 0x10 + VM index). */
  readonly attributes?: IsmFunctionAttributes;
}

/** cmd_state values on the waveform. */
export const CmdState = { IDLE: 0, RUNNING: 1 } as const;
/** blk_state values on the waveform. */
export const BlkState = { IDLE: 0, LOOKUP: 1, BEATS: 2, COMMIT: 3 } as const;

const SPACE_MOVE = 0;
const SPACE_CMD = 2;
const SPACE_CONFIG = 15;

interface AccRequest {
  write: boolean;
  space: number;
  offset: bigint;
  len: number;
  wdata: bigint;
  due: number;
}

interface BlkRequest {
  phase: number;
  space: number;
  offset: bigint;
  len: number;
  due: number;
  bytes: Uint8Array;
  got: number;
  move?: { dmb: DmbRecord; addr: MoveAddress };
}

/**
 * The ISM PCI function behind one DevicePort: config space, BAR 2 command window, BAR 0 move
 * window, SBA/IEQ writes and the MSI. Stepped by the network's clocked process (see IsmNetwork).
 */
export class IsmAdapter extends Component {
  readonly index: number;
  readonly gid: bigint;
  readonly memory: HostMemory;
  readonly port: DevicePort;
  readonly network: IsmNetwork;
  readonly timing: IsmTiming;
  readonly config: IsmAdapterConfig;
  readonly attributes: IsmFunctionAttributes;
  readonly configSpace: IsmConfigSpace;

  /** One-cycle pulse: MSI vector 0. */
  readonly msi: Signal<number>;
  readonly msiCountSig: Signal<number>;
  readonly cmdStateSig: Signal<number>;
  readonly cmdBusy: Signal<number>;
  readonly cmdCodeSig: Signal<number>;
  readonly cmdRetSig: Signal<number>;
  readonly cmdCountSig: Signal<number>;
  readonly sbaValid: Signal<number>;
  readonly ieqValid: Signal<number>;
  readonly sbaAddrSig: Signal<bigint>;
  readonly ieqAddrSig: Signal<bigint>;
  readonly gidSig: Signal<bigint>;
  readonly ieqNextSig: Signal<number>;
  readonly dmbsOwned: Signal<number>;
  readonly vlanCount: Signal<number>;
  readonly blkStateSig: Signal<number>;
  readonly movesOut: Signal<number>;
  readonly moveRejectsSig: Signal<number>;
  readonly signalsIn: Signal<number>;
  readonly eventsIn: Signal<number>;

  private readonly cmdBuf: Uint8Array;
  private cmdRunning = false;
  private cmdDue = 0;
  private cmdCode = 0;
  private cmdRet = 0;
  private cmdCount = 0;
  private sba: number | null = null;
  private ieq: number | null = null;
  private ieqLen = 0;
  private ieqNext = 0;
  private vlans: number[] = [];
  private vlanRequired = 0;
  private msiDue: number[] = [];
  private msiCount = 0;
  private acc: AccRequest | null = null;
  private accPulsed = false;
  private blk: BlkRequest | null = null;
  private blkAcceptPulsed = false;
  private moves = 0;
  private moveRejects = 0;
  private signals = 0;
  private events = 0;
  /** Signals/events that arrived with no SBA/IEQ registered (dropped). */
  droppedSignals = 0;
  droppedEvents = 0;

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
    this.cmdBuf = new Uint8Array(this.config.bar2Size);

    this.msi = this.reg('msi', 1);
    this.msiCountSig = this.reg('msi_count', 32);
    this.cmdStateSig = this.reg('cmd_state', 2);
    this.cmdBusy = this.reg('cmd_busy', 1);
    this.cmdCodeSig = this.reg('cmd_code', 8);
    this.cmdRetSig = this.reg('cmd_ret', 16);
    this.cmdCountSig = this.reg('cmd_count', 32);
    this.sbaValid = this.reg('sba_valid', 1);
    this.ieqValid = this.reg('ieq_valid', 1);
    this.sbaAddrSig = this.wideReg('sba_addr', 64);
    this.ieqAddrSig = this.wideReg('ieq_addr', 64);
    this.gidSig = this.wideReg('gid', 64, gid);
    this.ieqNextSig = this.reg('ieq_next', 4);
    this.dmbsOwned = this.reg('dmbs', 12);
    this.vlanCount = this.reg('vlans', 7);
    this.blkStateSig = this.reg('blk_state', 2);
    this.movesOut = this.reg('moves', 32);
    this.moveRejectsSig = this.reg('move_rejects', 32);
    this.signalsIn = this.reg('signals_in', 32);
    this.eventsIn = this.reg('events_in', 32);
  }

  // ------------------------------------------------------------------ views for tests / network

  get sbaAddress(): number | null {
    return this.sba;
  }
  get ieqAddress(): number | null {
    return this.ieq;
  }
  get commandRunning(): boolean {
    return this.cmdRunning;
  }
  get msiPulses(): number {
    return this.msiCount;
  }
  get vlanIds(): readonly number[] {
    return this.vlans;
  }
  hasVlan(id: number): boolean {
    return this.vlans.includes(id);
  }

  /** Regions of this VM's memory the device may write. */
  dmaRegions(): DmaRegion[] {
    const r: DmaRegion[] = this.network.dmbsOwnedBy(this.index).map((d) => ({ kind: 'dmb', address: d.address, length: d.length }));
    if (this.sba !== null) r.push({ kind: 'sba', address: this.sba, length: Sba.SIZE });
    if (this.ieq !== null) r.push({ kind: 'ieq', address: this.ieq, length: this.ieqLen });
    return r;
  }

  // ------------------------------------------------------------------ clocked behaviour

  /** One rising edge (called by the network's clocked process). */
  step(): void {
    const now = this.sim.cycle;
    const p = this.port;
    let accDone = 0;
    let blkAccept = 0;
    let doneValid = 0;

    if (p.reset.value === 1) {
      this.functionReset();
      this.drive(0, 0, 0);
      p.beatReady.set(0);
      return;
    }

    if (this.cmdRunning && now >= this.cmdDue) this.executeCommand();

    // ---- single accesses (PCILG / PCISTG / config)
    if (this.acc === null && p.accValid.value === 1 && !this.accPulsed) {
      this.acc = {
        write: p.accWrite.value === 1,
        space: p.accSpace.value,
        offset: p.accOffset.value,
        len: p.accLen.value,
        wdata: p.accWdata.value,
        due: now + this.timing.accessCycles - 1,
      };
    }
    this.accPulsed = false;
    if (this.acc !== null && now >= this.acc.due) {
      const r = this.singleAccess(this.acc);
      p.accStatus.set(r.status);
      p.accCode.set(r.code);
      p.accRdata.set(r.rdata);
      accDone = 1;
      this.accPulsed = true;
      this.acc = null;
    }

    // ---- block stores (PCISTB)
    if (this.blk === null && p.blkValid.value === 1 && !this.blkAcceptPulsed) {
      const space = p.blkSpace.value;
      const latency = space === SPACE_MOVE ? this.timing.moveLookupCycles : this.timing.cmdAcceptCycles;
      this.blk = {
        phase: BlkState.LOOKUP,
        space,
        offset: p.blkOffset.value,
        len: p.blkLen.value,
        due: now + latency - 1,
        bytes: new Uint8Array(0),
        got: 0,
      };
    }
    this.blkAcceptPulsed = false;
    const b = this.blk;
    if (b !== null && b.phase === BlkState.LOOKUP && now >= b.due) {
      const v = this.acceptBlock(b);
      p.blkStatus.set(v.status);
      p.blkCode.set(v.code);
      blkAccept = 1;
      this.blkAcceptPulsed = true;
      if (v.status === DeviceStatus.OK) {
        b.phase = BlkState.BEATS;
        b.bytes = new Uint8Array(b.len);
        p.beatReady.set(1);
      } else {
        this.blk = null;
      }
    } else if (b !== null && b.phase === BlkState.BEATS && p.beatReady.value === 1 && p.beatValid.value === 1) {
      // A beat transfers on an edge where beat_valid and beat_ready were both high.
      const data = p.beatData.value;
      const be = p.beatBe.value;
      // Split the 64-bit beat once; lane 0 is the most significant byte.
      const hi = Number(data >> 32n);
      const lo = Number(data & 0xffff_ffffn);
      for (let lane = 0; lane < 8; lane++) {
        if ((be >> (7 - lane)) & 1) {
          if (b.got >= b.len) this.check(false, `beat carries more than blk_len=${b.len} bytes`, [p.beatBe]);
          b.bytes[b.got++] = lane < 4 ? (hi >>> (24 - 8 * lane)) & 0xff : (lo >>> (24 - 8 * (lane - 4))) & 0xff;
        }
      }
      if (p.beatLast.value === 1) {
        if (b.got !== b.len) this.check(false, `last beat after ${b.got} of ${b.len} bytes`, [p.beatLast]);
        p.beatReady.set(0);
        b.phase = BlkState.COMMIT;
        b.due = now + (b.space === SPACE_MOVE ? this.timing.moveCommitCycles : this.timing.cmdCommitCycles);
      }
    }
    if (this.blk !== null && this.blk.phase === BlkState.COMMIT && now >= this.blk.due) {
      const r = this.commitBlock(this.blk);
      p.doneStatus.set(r.status);
      p.doneCode.set(r.code);
      doneValid = 1;
      this.blk = null;
    }

    this.drive(accDone, blkAccept, doneValid);

    // ---- MSI
    let fire = false;
    if (this.msiDue.length > 0) {
      fire = this.msiDue.some((d) => d <= now);
      this.msiDue = this.msiDue.filter((d) => d > now);
    }
    if (fire && this.config.requireMsiEnable && !this.configSpace.msiEnabled) fire = false;
    if (fire) this.msiCount++;
    this.msi.set(fire ? 1 : 0);
  }

  private drive(accDone: number, blkAccept: number, doneValid: number): void {
    this.port.accDone.set(accDone);
    this.port.blkAccept.set(blkAccept);
    this.port.doneValid.set(doneValid);
  }

  private mirroredSba: number | null = null;
  private mirroredIeq: number | null = null;

  /** Waveform mirrors of the internal state (called after every adapter has stepped). */
  mirror(): void {
    this.msiCountSig.set(this.msiCount >>> 0);
    this.cmdStateSig.set(this.cmdRunning ? CmdState.RUNNING : CmdState.IDLE);
    this.cmdBusy.set(this.cmdRunning ? 1 : 0);
    this.cmdCodeSig.set(this.cmdCode & 0xff);
    this.cmdRetSig.set(this.cmdRet);
    this.cmdCountSig.set(this.cmdCount >>> 0);
    this.sbaValid.set(this.sba !== null ? 1 : 0);
    this.ieqValid.set(this.ieq !== null ? 1 : 0);
    // BigInt conversions only when the registration changed: mirror() runs every cycle.
    if (this.sba !== this.mirroredSba) {
      this.mirroredSba = this.sba;
      this.sbaAddrSig.set(BigInt(this.sba ?? 0));
    }
    if (this.ieq !== this.mirroredIeq) {
      this.mirroredIeq = this.ieq;
      this.ieqAddrSig.set(BigInt(this.ieq ?? 0));
    }
    this.ieqNextSig.set(this.ieqNext);
    this.dmbsOwned.set(Math.min(this.network.dmbCountOf(this.index), 4095));
    this.vlanCount.set(this.vlans.length);
    const b = this.blk;
    this.blkStateSig.set(b === null ? BlkState.IDLE : b.phase);
    this.movesOut.set(this.moves >>> 0);
    this.moveRejectsSig.set(this.moveRejects >>> 0);
    this.signalsIn.set(this.signals >>> 0);
    this.eventsIn.set(this.events >>> 0);
  }

  // ------------------------------------------------------------------ single accesses

  private singleAccess(a: AccRequest): { status: number; code: number; rdata: bigint } {
    const err = (code: number) => ({ status: DeviceStatus.ERROR, code, rdata: 0n });
    const off = Number(a.offset);
    if (a.space === SPACE_CONFIG) {
      if (a.offset + BigInt(a.len) > 256n) return err(IsmStatus.BAD_ADDRESS);
      if (a.write) {
        this.configSpace.write(off, bigEndianToBytes(a.wdata, a.len));
        return { status: DeviceStatus.OK, code: 0, rdata: 0n };
      }
      return { status: DeviceStatus.OK, code: 0, rdata: bytesToBigEndian(this.configSpace.read(off, a.len)) };
    }
    if (a.space === SPACE_CMD) {
      if (a.offset + BigInt(a.len) > BigInt(this.config.bar2Size)) return err(IsmStatus.BAD_ADDRESS);
      if (this.cmdRunning) return { status: DeviceStatus.BUSY, code: 0, rdata: 0n };
      if (a.write) {
        if (off < 8 && off + a.len < 8) return err(IsmStatus.CMD_PARTIAL_HEADER);
        if (off > 0 && off < 8) return err(IsmStatus.CMD_PARTIAL_HEADER);
        this.cmdBuf.set(bigEndianToBytes(a.wdata, a.len), off);
        if (off === 0) this.startCommand();
        return { status: DeviceStatus.OK, code: 0, rdata: 0n };
      }
      return { status: DeviceStatus.OK, code: 0, rdata: bytesToBigEndian(this.cmdBuf.subarray(off, off + a.len)) };
    }
    if (a.space === SPACE_MOVE) return err(IsmStatus.MOVE_SINGLE_ACCESS);
    return err(IsmStatus.BAD_ADDRESS);
  }

  // ------------------------------------------------------------------ block stores

  private acceptBlock(b: BlkRequest): { status: number; code: number } {
    if (b.space === SPACE_MOVE) {
      const addr = decodeMoveOffset(b.offset);
      const v = this.network.validateMove(this, addr, b.len);
      if (v.status !== 0) {
        this.moveRejects++;
        return { status: DeviceStatus.ERROR, code: v.status };
      }
      b.move = { dmb: v.dmb!, addr };
      return { status: DeviceStatus.OK, code: 0 };
    }
    if (b.space === SPACE_CMD) {
      if (b.offset + BigInt(b.len) > BigInt(this.config.bar2Size)) return { status: DeviceStatus.ERROR, code: IsmStatus.BAD_ADDRESS };
      const off = Number(b.offset);
      if (off > 0 && off < 8) return { status: DeviceStatus.ERROR, code: IsmStatus.CMD_PARTIAL_HEADER };
      if (off === 0 && b.len < 8) return { status: DeviceStatus.ERROR, code: IsmStatus.CMD_PARTIAL_HEADER };
      if (this.cmdRunning) return { status: DeviceStatus.BUSY, code: 0 };
      return { status: DeviceStatus.OK, code: 0 };
    }
    return { status: DeviceStatus.ERROR, code: IsmStatus.BAD_ADDRESS };
  }

  private commitBlock(b: BlkRequest): { status: number; code: number } {
    if (b.space === SPACE_MOVE) {
      const status = this.network.commitMove(this, b.move!.dmb, b.move!.addr, b.bytes);
      if (status !== 0) {
        this.moveRejects++;
        return { status: DeviceStatus.ERROR, code: status };
      }
      this.moves++;
      return { status: DeviceStatus.OK, code: 0 };
    }
    // BAR 2: body or header (+ body); a write covering the header rings the doorbell.
    this.cmdBuf.set(b.bytes, Number(b.offset));
    if (b.offset === 0n) this.startCommand();
    return { status: DeviceStatus.OK, code: 0 };
  }

  // ------------------------------------------------------------------ commands

  private startCommand(): void {
    this.cmdRunning = true;
    this.cmdDue = this.sim.cycle + this.timing.commandCycles;
    this.cmdCode = decodeHeader(this.cmdBuf).cmd & 0xff;
  }

  private executeCommand(): void {
    this.cmdRunning = false;
    this.cmdCount++;
    const hdr = decodeHeader(this.cmdBuf);
    const spec = COMMAND_BY_CODE.get(hdr.cmd);
    let ret: number;
    let values: Partial<Record<string, bigint | number>> = {};
    if (!spec) ret = IsmRc.UNKNOWN_COMMAND;
    else if (hdr.len !== spec.requestLength) ret = IsmRc.BAD_LENGTH;
    else [ret, values] = this.runCommand(spec, readFields(this.cmdBuf, spec.request));
    const len = spec && ret === IsmRc.OK ? spec.responseLength : 8;
    this.cmdBuf.fill(0, 0, len);
    this.cmdBuf.set(encodeHeader(hdr.cmd, ret, len), 0);
    if (spec && ret === IsmRc.OK) writeFields(this.cmdBuf, spec.response, values);
    this.cmdRet = ret;
  }

  private runCommand(spec: CommandSpec, f: FieldValues): [number, Partial<Record<string, bigint | number>>] {
    const OK: [number, {}] = [IsmRc.OK, {}];
    const fail = (rc: number): [number, {}] => [rc, {}];
    const cfg = this.config;
    switch (spec.name) {
      case 'REG_SBA': {
        if (this.sba !== null) return fail(IsmRc.ALREADY_REGISTERED);
        const a = this.pageAddress(f.sba, Sba.SIZE);
        if (a === null) return fail(IsmRc.BAD_ADDRESS);
        this.sba = a;
        return OK;
      }
      case 'REG_IEQ': {
        if (this.ieq !== null) return fail(IsmRc.ALREADY_REGISTERED);
        const len = f.len;
        if (len < BigInt(Ieq.MIN_LENGTH) || len > 4096n || len % 32n !== 0n) return fail(IsmRc.BAD_IEQ_LENGTH);
        const a = this.pageAddress(f.ieq, Number(len));
        if (a === null) return fail(IsmRc.BAD_ADDRESS);
        this.ieq = a;
        this.ieqLen = Number(len);
        this.ieqNext = 0;
        const hdr = new Uint8Array(Ieq.HEADER_SIZE);
        hdr.set(bigEndianToBytes(len, 8), 8);
        hdr.set(bigEndianToBytes(BigInt(Ieq.ENTRY_SIZE), 8), 16);
        this.network.dma(this, a, hdr);
        return OK;
      }
      case 'READ_GID':
        return [IsmRc.OK, { gid: this.gid }];
      case 'ADD_VLAN_ID': {
        const id = f.vlan_id;
        if (id > 0xfffn && !(id === 0x1fffn && cfg.supportsV2)) return fail(IsmRc.BAD_VLAN_ID);
        if (this.vlans.includes(Number(id))) return OK;
        if (this.vlans.length >= cfg.maxVlans) return fail(IsmRc.VLAN_TABLE_FULL);
        this.vlans.push(Number(id));
        return OK;
      }
      case 'DEL_VLAN_ID': {
        const i = f.vlan_id > 0xffffn ? -1 : this.vlans.indexOf(Number(f.vlan_id));
        if (i < 0) return fail(IsmRc.VLAN_NOT_FOUND);
        this.vlans.splice(i, 1);
        return OK;
      }
      case 'SET_VLAN':
        this.vlanRequired = 1;
        return OK;
      case 'RESET_VLAN':
        this.vlanRequired = 0;
        return OK;
      case 'QUERY_INFO': {
        const v: Record<string, bigint | number> = {
          version: cfg.queryInfoVersion,
          max_len: cfg.maxDmbLength,
          ism_state: (this.sba !== null ? 1 : 0) | (this.ieq !== null ? 2 : 0),
          my_gid: this.gid,
          sba: BigInt(this.sba ?? 0),
          ieq: BigInt(this.ieq ?? 0),
          ieq_len: this.ieqLen,
          dmbs_owned: this.network.dmbsOwnedBy(this.index).length,
          dmbs_used: this.network.dmbsWritableBy(this.gid).length,
          vlan_required: this.vlanRequired,
          vlan_nr_ids: this.vlans.length,
        };
        this.vlans.slice(0, 64).forEach((id, i) => (v[`vlan_id${i}`] = id));
        return [IsmRc.OK, v];
      }
      case 'QUERY_RGID': {
        const target = this.network.byGid(f.rgid);
        if (!target) return fail(IsmRc.GID_UNREACHABLE);
        if (f.vlan_valid !== 0n) {
          const id = Number(f.vlan_id);
          if (!this.hasVlan(id) || !target.hasVlan(id)) return fail(IsmRc.GID_UNREACHABLE);
        }
        return OK;
      }
      case 'REG_DMB': {
        const len = Number(f.dmb_len);
        if (len === 0 || len > cfg.maxDmbLength) return fail(IsmRc.BAD_DMB_LENGTH);
        if (f.dmb > BigInt(Number.MAX_SAFE_INTEGER) || !this.memory.contains(Number(f.dmb), len)) return fail(IsmRc.BAD_ADDRESS);
        const idx = Number(f.sba_idx);
        if (idx < Sba.FIRST_DMB_INDEX || idx > Sba.LAST_DMB_INDEX) return fail(IsmRc.BAD_SBA_INDEX);
        const mine = this.network.dmbsOwnedBy(this.index);
        if (mine.some((d) => d.sbaIdx === idx)) return fail(IsmRc.SBA_INDEX_IN_USE);
        const vlanValid = f.vlan_valid !== 0n;
        if (vlanValid && f.vlan_id > 0xfffn) return fail(IsmRc.BAD_VLAN_ID);
        if (mine.length >= cfg.maxDmbs) return fail(IsmRc.TOO_MANY_DMBS);
        const r = this.network.registerDmb(this, {
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
        return fail(this.network.unregisterDmb(this, f.dmb_tok, cfg.notifyWriterOnUnregister));
      case 'SIGNAL_IEQ': {
        const target = this.network.byGid(f.rgid);
        if (!target) return fail(IsmRc.GID_UNREACHABLE);
        this.network.postEvent(target, { type: IsmEventType.SWR, code: Number(f.event_code), tok: this.gid, info: f.info }, f.trigger_irq !== 0n);
        return OK;
      }
      case 'UNREG_SBA':
        if (this.sba === null) return fail(IsmRc.NOT_REGISTERED);
        this.sba = null;
        return OK;
      case 'UNREG_IEQ':
        if (this.ieq === null) return fail(IsmRc.NOT_REGISTERED);
        this.ieq = null;
        this.ieqLen = 0;
        return OK;
    }
  }

  /** A page-aligned address whose `length` bytes are guest memory, or null. */
  private pageAddress(a: bigint, length: number): number | null {
    if (a > BigInt(Number.MAX_SAFE_INTEGER) || a % 4096n !== 0n) return null;
    return this.memory.contains(Number(a), length) ? Number(a) : null;
  }

  // ------------------------------------------------------------------ receiving side

  /** A signalled move landed in DMB `sbaIdx`: dmbe_mask bit, DMB bit, summary bit, MSI. */
  signalDmb(sbaIdx: number, dmbeIdx: number): void {
    this.signals++;
    if (this.sba === null) {
      this.droppedSignals++;
      return;
    }
    const maskAt = this.sba + Sba.dmbeMaskOffset(sbaIdx);
    const old = this.memory.read(maskAt, 2);
    const bit = this.config.dmbeMaskOrder === 'msb0' ? 0x8000 >> dmbeIdx : 1 << dmbeIdx;
    const mask = ((old[0] << 8) | old[1] | bit) & 0xffff;
    this.network.dma(this, maskAt, Uint8Array.of(mask >> 8, mask & 0xff));
    const bitAt = this.sba + Sba.dmbBitByte(sbaIdx);
    this.network.dma(this, bitAt, Uint8Array.of(this.memory.read(bitAt, 1)[0] | Sba.dmbBitMask(sbaIdx)));
    this.raise(Sba.SUMMARY_MASK);
  }

  /** Set `s` or `e` in SBA byte 0 and schedule the MSI (see IsmAdapterConfig.msiEverySignal). */
  private raise(bitMask: number): void {
    const sba = this.sba!;
    const b0 = this.memory.read(sba, 1)[0];
    this.network.dma(this, sba, Uint8Array.of(b0 | bitMask));
    const wasSet = (b0 & bitMask) !== 0;
    if (this.ieq !== null && (!wasSet || this.config.msiEverySignal)) {
      const due = this.sim.cycle + this.timing.msiLatency;
      if (!this.msiDue.includes(due)) this.msiDue.push(due);
    }
  }

  /** Write an IEQ entry, then header.idx = slot + 1; with trigger also `e` and the MSI. */
  postEvent(e: { type: number; code: number; tok: bigint; info: bigint }, trigger: boolean): void {
    this.events++;
    if (this.ieq === null) {
      this.droppedEvents++;
      return;
    }
    const k = this.ieqNext;
    const entry = encodeIeqEntry({ ...e, time: BigInt(this.sim.cycle) });
    this.network.dma(this, this.ieq + Ieq.entryOffset(k), entry);
    this.network.dma(this, this.ieq, bigEndianToBytes(BigInt(k + 1), 8));
    this.ieqNext = (k + 1) % Ieq.ENTRIES;
    if (trigger && this.sba !== null) this.raise(Sba.EVENT_MASK);
  }

  /** Function-level reset: everything registered goes, the command aborts, config resets. */
  private functionReset(): void {
    // SBA/IEQ go first, so a DMB this function wrote to itself (loopback) posts no event to it.
    this.sba = null;
    this.ieq = null;
    this.network.unregisterAllOf(this, this.config.notifyWriterOnUnregister);
    this.cmdRunning = false;
    this.cmdBuf.fill(0);
    this.ieqLen = 0;
    this.ieqNext = 0;
    this.vlans = [];
    this.vlanRequired = 0;
    this.msiDue = [];
    this.acc = null;
    this.blk = null;
    this.accPulsed = false;
    this.blkAcceptPulsed = false;
    this.configSpace.reset();
    this.msi.set(0);
  }
}
