import { Component } from '../hdl/component.ts';
import type { Signal } from '../hdl/signal.ts';
import type { Simulator } from '../hdl/simulator.ts';
import type { IsmAdapter } from './adapter.ts';
import { IsmEventCode, IsmEventType, IsmRc, IsmStatus, type MoveAddress } from './commands.ts';
import type { IsmEvent } from './receive-side.ts';

export type { DmaRegion } from './receive-side.ts';

/** One registered DMB: only its owner's [address, address + length) is reachable by moves. */
export interface DmbRecord {
  /** Bits 32–47 hold the token number; all other bits are zero. */
  readonly token: bigint;
  /** VM index of the owning adapter. */
  readonly owner: number;
  readonly address: number;
  readonly length: number;
  readonly sbaIdx: number;
  readonly vlanValid: boolean;
  readonly vlanId: number;
  /** The only GID allowed to write. */
  readonly rgid: bigint;
}

export interface IsmNetworkOptions {
  /** Part of every GID, so two networks never share GIDs (default 1). */
  readonly networkId?: number;
  /** First token number handed out (default 1); tokens count up, 16 bits, skipping live ones. */
  readonly firstToken?: number;
}

export type MoveVerdict = { status: 0; dmb: DmbRecord } | { status: number; dmb?: undefined };

/**
 * The ISM network (one "fabric" / CHID): joins adapters, hands out GIDs and DMB tokens, resolves
 * moves to the owner's DMB and delivers events. It is the only path between VMs and it checks
 * every DMA against the target's registered regions (a hardware assertion), so no VM can reach
 * memory not registered to it as a DMB (or, for the device's own writes, its SBA/IEQ).
 *
 * Scheduling: the network owns the single clocked process of all attached adapters. Each edge
 * runs the port side of every adapter with work (reset, command, DevicePort: moves and commands
 * act on the DMB table and deliver signals and events) in VM-index order, then the receive side
 * of every adapter with work, which handles what was delivered to it in this edge. Memory writes land in the commit phase
 * (DmaPort), so no clocked process sees another's writes of the same edge; the DMB table and
 * VLAN tables are shared tables updated in VM-index order. Results never depend on the kernel's
 * process order (ARCHITECTURE.md).
 */
export class IsmNetwork extends Component {
  readonly networkId: number;
  readonly adapterCount: Signal<number>;
  readonly dmbCount: Signal<number>;
  readonly lastToken: Signal<number>;
  readonly moveCount: Signal<number>;
  readonly moveRejects: Signal<number>;
  readonly eventCount: Signal<number>;

  private readonly adapters: IsmAdapter[] = [];
  private readonly dmbs = new Map<bigint, DmbRecord>();
  /** Bumped whenever the DMB table changes; keys the per-owner count cache. */
  private dmbVersion = 0;
  private ownedCountsVersion = -1;
  private readonly ownedCounts = new Map<number, number>();
  private nextToken: number;
  /** What ends the network's idleness: every adapter's wake signals (collected once the adapters are known). */
  private wakeSignals: Signal<number>[] = [];

  constructor(sim: Simulator, name = 'net', options: IsmNetworkOptions = {}) {
    super(sim, name);
    this.networkId = options.networkId ?? 1;
    this.nextToken = options.firstToken ?? 1;
    this.adapterCount = this.reg('adapters', 8);
    this.dmbCount = this.reg('dmbs', 17);
    this.lastToken = this.reg('last_token', 16);
    this.moveCount = this.reg('moves', 32);
    this.moveRejects = this.reg('move_rejects', 32);
    this.eventCount = this.reg('events', 32);
    const adapters = this.adapters;
    this.seq('tick', () => {
      // A half with nothing to do would change nothing, so only busy ones run. Whether a port side
      // has work depends on settled signals only; receive sides are asked after every port side,
      // which may have delivered to them.
      let busy = false;
      for (let i = 0; i < adapters.length; i++) {
        if (adapters[i].portWaiting) continue;
        busy = true;
        adapters[i].stepPort();
      }
      for (let i = 0; i < adapters.length; i++) {
        if (adapters[i].rx.waiting) continue;
        busy = true;
        adapters[i].stepReceive();
      }
      if (!busy) {
        // Deliveries only come from moves, moves only from a port request: all quiet until one comes.
        if (this.wakeSignals.length === 0) this.wakeSignals = adapters.flatMap((a) => a.wakeSignals);
        this.idle(this.wakeSignals);
      }
    });
  }

  /** Deterministic GID of VM `index`: "ISM" | networkId | index + 1. */
  static gidFor(networkId: number, index: number): bigint {
    return (0x4953_4dn << 40n) | (BigInt(networkId & 0xffff) << 16n) | BigInt(index + 1);
  }

  /** Called by the adapter's constructor. */
  attach(adapter: IsmAdapter): { index: number; gid: bigint } {
    const index = this.adapters.length;
    this.adapters.push(adapter);
    this.wakeSignals = [];
    this.adapterCount.set(Math.min(this.adapters.length, 255));
    return { index, gid: IsmNetwork.gidFor(this.networkId, index) };
  }

  get attached(): readonly IsmAdapter[] {
    return this.adapters;
  }

  byGid(gid: bigint): IsmAdapter | undefined {
    return this.adapters.find((a) => a.gid === gid);
  }

  /** Live DMBs by token (read-only view for tests and scoreboards). */
  get dmbTable(): ReadonlyMap<bigint, DmbRecord> {
    return this.dmbs;
  }

  dmbsOwnedBy(index: number): DmbRecord[] {
    return [...this.dmbs.values()].filter((d) => d.owner === index);
  }

  /** DMBs owned by `index`, counted without building a list. */
  dmbCountOf(index: number): number {
    if (this.ownedCountsVersion !== this.dmbVersion) {
      this.ownedCounts.clear();
      for (const d of this.dmbs.values()) this.ownedCounts.set(d.owner, (this.ownedCounts.get(d.owner) ?? 0) + 1);
      this.ownedCountsVersion = this.dmbVersion;
    }
    return this.ownedCounts.get(index) ?? 0;
  }

  dmbsWritableBy(gid: bigint): DmbRecord[] {
    return [...this.dmbs.values()].filter((d) => d.rgid === gid);
  }

  /** REG_DMB after the owner's own checks: allocates the next free token. */
  registerDmb(owner: IsmAdapter, d: Omit<DmbRecord, 'token' | 'owner'>): { rc: number; token: bigint } {
    if (this.dmbs.size >= 0xffff) return { rc: IsmRc.TOO_MANY_DMBS, token: 0n };
    let n = this.nextToken;
    while (this.dmbs.has(BigInt(n) << 32n)) n = n >= 0xffff ? 1 : n + 1;
    this.nextToken = n >= 0xffff ? 1 : n + 1;
    this.lastToken.set(n);
    const token = BigInt(n) << 32n;
    this.dmbs.set(token, { ...d, token, owner: owner.index });
    this.tableChanged(owner);
    return { rc: IsmRc.OK, token };
  }

  /** UNREG_DMB (or a reset of the owner): the writer gets a BUF / DMB_UNREGISTERED event. */
  unregisterDmb(owner: IsmAdapter, token: bigint, notifyWriter: boolean): number {
    const d = this.dmbs.get(token);
    if (!d || d.owner !== owner.index) return IsmRc.UNKNOWN_TOKEN;
    this.dmbs.delete(token);
    this.tableChanged(owner);
    if (notifyWriter) {
      const writer = this.byGid(d.rgid);
      if (writer) {
        this.postEvent(writer, bufEvent(IsmEventCode.BUF_DMB_UNREGISTERED, token), true);
      }
    }
    return IsmRc.OK;
  }

  private tableChanged(owner: IsmAdapter): void {
    this.dmbVersion++;
    this.dmbCount.set(this.dmbs.size);
    owner.dmbsChanged();
  }

  private static bump(counter: Signal<number>): void {
    counter.set((counter.readBack() + 1) >>> 0);
  }

  /** Function-level reset of `owner`: every DMB it owns goes, in token order. */
  unregisterAllOf(owner: IsmAdapter, notifyWriter: boolean): void {
    for (const d of this.sortedDmbs()) if (d.owner === owner.index) this.unregisterDmb(owner, d.token, notifyWriter);
  }

  /**
   * Function `x` went into an error state or was disabled: BUF events per DMB it owns or writes,
   * then one DEV event (tok = x's GID) to each function with such a DMB, in VM-index order.
   * Error: writers of x's DMBs get BUF 2, owners of DMBs x writes get BUF 3, then DEV 1.
   * Disabled: owners of DMBs x writes get BUF 8, then DEV 7 (x's own DMBs go with the reset that
   * follows, with BUF 4 to their writers).
   */
  peerStateChanged(x: IsmAdapter, change: 'error' | 'disabled'): void {
    const peers = new Set<IsmAdapter>();
    for (const d of this.sortedDmbs()) {
      const owner = this.adapters[d.owner];
      if (owner === x) {
        const writer = this.byGid(d.rgid);
        if (writer === undefined || writer === x) continue;
        peers.add(writer);
        if (change === 'error') this.postEvent(writer, bufEvent(IsmEventCode.BUF_OWNING_ISM_DEV_IN_ERR_STATE, d.token), true);
      } else if (d.rgid === x.gid) {
        peers.add(owner);
        const code = change === 'error' ? IsmEventCode.BUF_USING_ISM_DEV_IN_ERR_STATE : IsmEventCode.BUF_USING_ISM_DEV_DISABLED;
        this.postEvent(owner, bufEvent(code, d.token), true);
      }
    }
    const code = change === 'error' ? IsmEventCode.DEV_GID_ERR_STATE : IsmEventCode.DEV_GID_DISABLED;
    for (const p of [...peers].sort((a, b) => a.index - b.index)) this.postEvent(p, { type: IsmEventType.DEV, code, tok: x.gid, info: 0n }, true);
  }

  private sortedDmbs(): DmbRecord[] {
    return [...this.dmbs.values()].sort((a, b) => (a.token < b.token ? -1 : a.token > b.token ? 1 : 0));
  }

  /** Validation at the block header (before any beat): token, writer GID, VLAN, DMBE index, bounds. */
  validateMove(writer: IsmAdapter, a: MoveAddress, length: number): MoveVerdict {
    const verdict = this.judge(writer, a, length);
    if (verdict.status !== 0) IsmNetwork.bump(this.moveRejects);
    return verdict;
  }

  private judge(writer: IsmAdapter, a: MoveAddress, length: number): MoveVerdict {
    if (a.token >> 48n !== 0n) return { status: IsmStatus.MOVE_UNKNOWN_TOKEN };
    const dmb = this.dmbs.get(a.token);
    if (!dmb) return { status: IsmStatus.MOVE_UNKNOWN_TOKEN };
    if (writer.gid !== dmb.rgid) return { status: IsmStatus.MOVE_GID_MISMATCH };
    if (dmb.vlanValid && !writer.hasVlan(dmb.vlanId)) return { status: IsmStatus.MOVE_VLAN_MISMATCH };
    if (a.sf && a.idx >= 16) return { status: IsmStatus.MOVE_BAD_DMBE_INDEX };
    if (a.offset + length > dmb.length) return { status: IsmStatus.MOVE_OUT_OF_BOUNDS };
    // The owner's function is in an error state: its DMA is blocked (BUF 2 told the writer).
    if (this.adapters[dmb.owner].dmaBlocked) return { status: IsmStatus.MOVE_TARGET_NOT_READY };
    return { status: 0, dmb };
  }

  /**
   * After the last beat: the DMB must still be the one validated; then one DMA of all bytes into
   * the owner's memory and, with sf, the owner's SBA update and MSI.
   */
  commitMove(writer: IsmAdapter, dmb: DmbRecord, a: MoveAddress, bytes: Uint8Array): number {
    void writer;
    if (this.dmbs.get(dmb.token) !== dmb || this.adapters[dmb.owner].dmaBlocked) {
      IsmNetwork.bump(this.moveRejects);
      return IsmStatus.MOVE_TARGET_NOT_READY;
    }
    const owner = this.adapters[dmb.owner];
    this.dma(owner, dmb.address + a.offset, bytes);
    if (a.sf) owner.rx.deliverSignal(dmb.sbaIdx, a.idx);
    IsmNetwork.bump(this.moveCount);
    return 0;
  }

  /** Deliver an IEQ event to `target` (written and time stamped by its receive side in this edge). */
  postEvent(target: IsmAdapter, e: IsmEvent, trigger: boolean): void {
    IsmNetwork.bump(this.eventCount);
    target.rx.deliverEvent(e, trigger);
  }

  /**
   * The only way device data reaches a VM's memory. Asserts that the write lies inside one region
   * registered to that VM (a DMB it owns, its SBA or its IEQ); the write lands in the commit phase
   * of this edge (`or`: the bytes are ORed into memory).
   */
  dma(target: IsmAdapter, address: number, bytes: Uint8Array, or = false): void {
    const end = address + bytes.length;
    const inside = target.dmaRegions().some((r) => address >= r.address && end <= r.address + r.length);
    if (!inside) this.check(
      false,
      `DMA [0x${address.toString(16)}, +${bytes.length}) into ${target.path} lies outside every DMB/SBA/IEQ registered to it`,
    );
    target.dmaPort.write(address, bytes, or);
  }
}

function bufEvent(code: number, token: bigint): IsmEvent {
  return { type: IsmEventType.BUF, code, tok: token, info: 0n };
}
