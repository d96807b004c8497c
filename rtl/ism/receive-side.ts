import { Component } from '../hdl/component.ts';
import type { Signal } from '../hdl/signal.ts';
import type { Simulator } from '../hdl/simulator.ts';
import type { HostMemory } from '../host-memory.ts';
import { bigEndianToBytes } from '../bytes.ts';
import type { IsmTiming } from '../timing.ts';
import type { IsmAdapterConfig } from './adapter-config.ts';
import { encodeIeqEntry, Ieq, Sba } from './commands.ts';

/** An IEQ event as the device posts it (time is stamped on delivery). */
export interface IsmEvent {
  readonly type: number;
  readonly code: number;
  readonly tok: bigint;
  readonly info: bigint;
}

/** A region of a VM's memory the device may write: a DMB, the SBA or the IEQ of that VM. */
export interface DmaRegion {
  readonly kind: 'dmb' | 'sba' | 'ieq';
  readonly address: number;
  readonly length: number;
}

/** How the receive side writes its VM's memory: through the network's checked DMA path. */
export type ReceiveDma = (address: number, bytes: Uint8Array, or: boolean) => void;

type Delivery = { kind: 'signal'; sbaIdx: number; dmbeIdx: number } | { kind: 'event'; event: IsmEvent; trigger: boolean };

/** Most stages the MSI delay line has (msiLatency ≤ 32: one 32-bit register). */
export const MAX_MSI_LATENCY = 32;

/**
 * The receiving half of an ISM function (scope `vmN.ism.rx`): the registered SBA and IEQ, the
 * IEQ producer slot, the interrupt. Signals (moves with sf) and events arrive from any adapter
 * during the first half of the network's clock edge and are queued; `step()` handles them in the
 * second half in arrival order, so the SBA/IEQ registrations it sees are those this function's
 * own command and reset decided in the same edge, whatever the VM indices. Memory writes go
 * through the commit-phase DMA port; the MSI is a `msiLatency`-stage delay line.
 */
export class ReceiveSide extends Component {
  readonly sbaValid: Signal<number>;
  readonly sbaAddr: Signal<bigint>;
  readonly ieqValid: Signal<number>;
  readonly ieqAddr: Signal<bigint>;
  readonly ieqLen: Signal<number>;
  /** IEQ slot the next event goes to (0..14). */
  readonly ieqNext: Signal<number>;
  /** Bit i: an MSI is due i + 1 edges from now. */
  readonly msiPipe: Signal<number>;
  readonly msiCount: Signal<number>;
  readonly signalsIn: Signal<number>;
  readonly eventsIn: Signal<number>;
  readonly droppedSignals: Signal<number>;
  readonly droppedEvents: Signal<number>;
  private readonly inbox: Delivery[] = [];
  private resetInEdge = false;
  private readonly msiStage: number;

  constructor(
    sim: Simulator,
    name: string,
    parent: Component,
    /** One-cycle pulse: MSI vector 0 (a signal of the adapter's scope). */
    readonly msi: Signal<number>,
    private readonly memory: HostMemory,
    private readonly dma: ReceiveDma,
    private readonly config: IsmAdapterConfig,
    timing: IsmTiming,
    private readonly msiEnabled: () => boolean,
    /** The function's DMA is blocked (error state): deliveries are dropped. */
    private readonly dmaBlocked: () => boolean,
  ) {
    super(sim, name, parent);
    if (!Number.isInteger(timing.msiLatency) || timing.msiLatency < 1 || timing.msiLatency > MAX_MSI_LATENCY) {
      throw new RangeError(`ISM timing: msiLatency ${timing.msiLatency} must be 1..${MAX_MSI_LATENCY}`);
    }
    this.msiStage = (1 << (timing.msiLatency - 1)) >>> 0;
    this.sbaValid = this.reg('sba_valid', 1);
    this.sbaAddr = this.wideReg('sba_addr', 64);
    this.ieqValid = this.reg('ieq_valid', 1);
    this.ieqAddr = this.wideReg('ieq_addr', 64);
    this.ieqLen = this.reg('ieq_len', 13);
    this.ieqNext = this.reg('ieq_next', 4);
    this.msiPipe = this.reg('msi_pipe', timing.msiLatency);
    this.msiCount = this.reg('msi_count', 32);
    this.signalsIn = this.reg('signals_in', 32);
    this.eventsIn = this.reg('events_in', 32);
    this.droppedSignals = this.reg('dropped_signals', 32);
    this.droppedEvents = this.reg('dropped_events', 32);
  }

  // ------------------------------------------------------------------ registration (this edge's decision)

  /** The SBA registered after this edge's command (null: none). */
  get sbaAddress(): number | null {
    return this.sbaValid.readBack() === 1 ? Number(this.sbaAddr.readBack()) : null;
  }
  get ieqAddress(): number | null {
    return this.ieqValid.readBack() === 1 ? Number(this.ieqAddr.readBack()) : null;
  }
  get ieqLength(): number {
    return this.ieqLen.readBack();
  }

  registerSba(address: number): void {
    this.sbaValid.set(1);
    this.sbaAddr.set(BigInt(address));
  }
  unregisterSba(): void {
    this.sbaValid.set(0);
    this.sbaAddr.set(0n);
  }
  /** REG_IEQ: producer slot 0; the device writes the IEQ header (idx 0, ieq_len, entry_len 32). */
  registerIeq(address: number, length: number): void {
    this.ieqValid.set(1);
    this.ieqAddr.set(BigInt(address));
    this.ieqLen.set(length);
    this.ieqNext.set(0);
    const hdr = new Uint8Array(Ieq.HEADER_SIZE);
    hdr.set(bigEndianToBytes(BigInt(length), 8), 8);
    hdr.set(bigEndianToBytes(BigInt(Ieq.ENTRY_SIZE), 8), 16);
    this.dma(address, hdr, false);
  }
  unregisterIeq(): void {
    this.ieqValid.set(0);
    this.ieqAddr.set(0n);
    this.ieqLen.set(0);
  }

  /** Regions of this VM's memory the receive side may write. */
  regions(out: DmaRegion[]): void {
    const sba = this.sbaAddress;
    if (sba !== null) out.push({ kind: 'sba', address: sba, length: Sba.SIZE });
    const ieq = this.ieqAddress;
    if (ieq !== null) out.push({ kind: 'ieq', address: ieq, length: this.ieqLength });
  }

  /** Function-level reset: registrations, the producer slot and pending MSIs go; deliveries of this edge are dropped. */
  reset(): void {
    this.unregisterSba();
    this.unregisterIeq();
    this.ieqNext.set(0);
    this.msiPipe.set(0);
    this.msi.set(0);
    this.resetInEdge = true;
  }

  // ------------------------------------------------------------------ deliveries (first half of the edge)

  /** A signalled move landed in DMB `sbaIdx` (its data is already queued on the DMA port). */
  deliverSignal(sbaIdx: number, dmbeIdx: number): void {
    this.inbox.push({ kind: 'signal', sbaIdx, dmbeIdx });
  }

  deliverEvent(event: IsmEvent, trigger: boolean): void {
    this.inbox.push({ kind: 'event', event, trigger });
  }

  // ------------------------------------------------------------------ second half of the edge

  /** No delivery queued, no MSI in the delay line or on the wire. */
  get waiting(): boolean {
    return this.inbox.length === 0 && !this.resetInEdge && (this.msiPipe.value | this.msi.value) === 0;
  }

  step(): void {
    if (this.resetInEdge) {
      this.resetInEdge = false;
      this.inbox.length = 0;
      return;
    }
    const pipe = this.msiPipe.value;
    let request = false;
    if (this.inbox.length > 0) request = this.drainInbox();
    let fire = (pipe & 1) === 1;
    if (fire && this.config.requireMsiEnable && !this.msiEnabled()) fire = false;
    if (fire) this.msiCount.set((this.msiCount.value + 1) >>> 0);
    if (fire !== (this.msi.value === 1)) this.msi.set(fire ? 1 : 0);
    if (pipe !== 0 || request) this.msiPipe.set(((pipe >>> 1) | (request ? this.msiStage : 0)) >>> 0);
  }

  /** Handle this edge's deliveries in arrival order; true if one of them requests an MSI. */
  private drainInbox(): boolean {
    const blocked = this.dmaBlocked();
    const sba = blocked ? null : this.sbaAddress;
    const ieq = blocked ? null : this.ieqAddress;
    const interrupts = ieq !== null;
    // SBA byte 0 as it will be after this edge's earlier deliveries (memory holds the value before the edge).
    let byte0 = sba !== null ? this.memory.read(sba, 1)[0] : 0;
    let request = false;
    let signals = 0;
    let events = 0;
    let droppedSignals = 0;
    let droppedEvents = 0;
    let slot = this.ieqNext.readBack();
    // `s` / `e` go 0→1: MSI (or every time with msiEverySignal), while SBA and IEQ are registered.
    const raise = (mask: number): void => {
      const wasSet = (byte0 & mask) !== 0;
      byte0 |= mask;
      this.dma(sba!, Uint8Array.of(mask), true);
      if (interrupts && (!wasSet || this.config.msiEverySignal)) request = true;
    };
    for (const d of this.inbox) {
      if (d.kind === 'signal') {
        signals++;
        if (sba === null) {
          droppedSignals++;
          continue;
        }
        // Spec §6 handler order: dmbe_mask bit, DMB bit, summary bit.
        const bit = this.config.dmbeMaskOrder === 'msb0' ? 0x8000 >> d.dmbeIdx : 1 << d.dmbeIdx;
        this.dma(sba + Sba.dmbeMaskOffset(d.sbaIdx), Uint8Array.of(bit >> 8, bit & 0xff), true);
        this.dma(sba + Sba.dmbBitByte(d.sbaIdx), Uint8Array.of(Sba.dmbBitMask(d.sbaIdx)), true);
        raise(Sba.SUMMARY_MASK);
        continue;
      }
      events++;
      if (ieq === null) {
        droppedEvents++;
        continue;
      }
      // Entry k, then header.idx = k + 1: the producer rule the driver's consumer loop needs (spec §5.2).
      this.dma(ieq + Ieq.entryOffset(slot), encodeIeqEntry({ ...d.event, time: BigInt(this.sim.cycle) }), false);
      this.dma(ieq, bigEndianToBytes(BigInt(slot + 1), 8), false);
      slot = (slot + 1) % Ieq.ENTRIES;
      if (d.trigger && sba !== null) raise(Sba.EVENT_MASK);
    }
    this.inbox.length = 0;
    if (signals) this.signalsIn.set((this.signalsIn.value + signals) >>> 0);
    if (events) this.eventsIn.set((this.eventsIn.value + events) >>> 0);
    if (droppedSignals) this.droppedSignals.set((this.droppedSignals.value + droppedSignals) >>> 0);
    if (droppedEvents) this.droppedEvents.set((this.droppedEvents.value + droppedEvents) >>> 0);
    if (events !== droppedEvents) this.ieqNext.set(slot);
    return request;
  }
}
