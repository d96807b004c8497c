/**
 * An IsmDeviceAccess between a driver and its real access path, for the soak: it records the
 * DMA memory the driver owns (what the device may write), says when a move or a command is in
 * flight (so a reset can land mid-move or mid-command), and lets the fault injector lose or
 * delay the function's MSIs.
 */
import { Subject, type Observable, type Subscription } from 'rxjs';
import type { Simulator } from '../../rtl/hdl/simulator.ts';
import type { GuestMemory } from '../../models/host/guest-memory.ts';
import type { IsmDeviceAccess, IsmInterrupt } from '../../models/ism/device-access.ts';

export class TappedAccess implements IsmDeviceAccess {
  readonly kind: string;
  /** Moves / commands being issued right now. */
  movesInFlight = 0;
  commandsInFlight = 0;
  /** MSIs dropped and delayed by faults. */
  lostMsis = 0;
  delayedMsis = 0;
  private readonly irqs = new Subject<IsmInterrupt>();
  private readonly subscriptions: Subscription[] = [];
  private dropNext = 0;
  private delayNext = 0;
  private readonly held: { due: number; irq: IsmInterrupt }[] = [];
  private live = true;

  constructor(
    readonly sim: Simulator,
    readonly inner: IsmDeviceAccess & { close?(): void },
    /** The DMA allocations of this VM's drivers, shared across driver incarnations: iova → bytes. */
    readonly owned: Map<number, number>,
  ) {
    this.kind = inner.kind;
    this.subscriptions.push(
      inner.interrupts$.subscribe((irq) => this.arrive(irq)),
      sim.settled$.subscribe((cycle) => {
        while (this.held.length > 0 && this.held[0].due <= cycle) this.deliver(this.held.shift()!.irq);
      }),
    );
  }

  private arrive(irq: IsmInterrupt): void {
    if (this.dropNext > 0) {
      this.dropNext--;
      this.lostMsis++;
      return;
    }
    if (this.delayNext > 0 || this.held.length > 0) {
      // Later MSIs queue behind a delayed one: delivery order is kept.
      this.held.push({ due: this.sim.cycle + this.delayNext, irq });
      if (this.delayNext > 0) this.delayedMsis++;
      this.delayNext = 0;
      return;
    }
    this.deliver(irq);
  }

  private deliver(irq: IsmInterrupt): void {
    if (this.live) this.irqs.next(irq);
  }

  /** Fault: the next MSI never reaches the driver. */
  loseNextMsi(): void {
    this.dropNext++;
  }

  /** Fault: the next MSI reaches the driver `cycles` later. */
  delayNextMsi(cycles: number): void {
    this.delayNext = Math.max(1, cycles);
  }

  get interrupts$(): Observable<IsmInterrupt> {
    return this.irqs.asObservable();
  }

  get maxStoreBlock(): number {
    return this.inner.maxStoreBlock;
  }

  get dmaMemory(): GuestMemory {
    return this.inner.dmaMemory;
  }

  async storeCommand(offset: number, bytes: Uint8Array): Promise<number> {
    this.commandsInFlight++;
    try {
      return await this.inner.storeCommand(offset, bytes);
    } finally {
      this.commandsInFlight--;
    }
  }

  async loadCommand8(offset: number): Promise<Uint8Array | number> {
    this.commandsInFlight++;
    try {
      return await this.inner.loadCommand8(offset);
    } finally {
      this.commandsInFlight--;
    }
  }

  async storeMove(pciOffset: bigint, address: number, length: number): Promise<number> {
    this.movesInFlight++;
    try {
      return await this.inner.storeMove(pciOffset, address, length);
    } finally {
      this.movesInFlight--;
    }
  }

  allocateDma(bytes: number): number {
    const iova = this.inner.allocateDma(bytes);
    this.owned.set(iova, Math.ceil(bytes / 4096) * 4096);
    return iova;
  }

  freeDma(iova: number): void {
    this.owned.delete(iova);
    this.inner.freeDma(iova);
  }

  /** The VM stopped: nothing reaches this driver any more. */
  silence(): void {
    this.live = false;
  }

  /** The driver is gone: stop listening and return the access path's own pages. */
  close(): void {
    this.live = false;
    for (const s of this.subscriptions) s.unsubscribe();
    this.held.length = 0;
    this.irqs.complete();
    this.inner.close?.();
  }
}
