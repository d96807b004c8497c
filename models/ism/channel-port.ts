/**
 * ChannelPort over a real ISM function: moves go through IsmDriver.move into the peer's DMB
 * (DMBE index 0), our receive DMB is read from DMA memory, signals are the interrupt handler's
 * DMB signals for our SBA index, and an IEQ BUF event DMB_UNREGISTERED for the peer's token marks
 * the peer gone.
 */
import type { Subscription } from 'rxjs';
import { IsmEventType } from '../../rtl/ism/commands.ts';
import type { ChannelPort } from './channel.ts';
import type { Dmb, IsmDriver } from './ism-driver.ts';

/** BUF event code 4: the DMB we write was unregistered by its owner (spec §6). */
export const EVENT_DMB_UNREGISTERED = 4;

export interface PeerDmb {
  readonly gid: bigint;
  readonly token: bigint;
  readonly length: number;
}

export class IsmChannelPort implements ChannelPort {
  signals = 0;
  peerGone = false;
  private readonly subscriptions: Subscription[] = [];
  private peerDmb: PeerDmb | null = null;

  /** Listen on `rx` from now on (before the peer learns our token, so no signal is missed). */
  constructor(
    readonly driver: IsmDriver,
    readonly rx: Dmb,
  ) {
    this.subscriptions.push(
      driver.dmbSignals$.subscribe((s) => {
        if (s.sbaIndex === rx.sbaIndex) this.signals++;
      }),
      driver.events$.subscribe((e) => {
        if (e.type === IsmEventType.BUF && e.code === EVENT_DMB_UNREGISTERED && e.tok === this.peerDmb?.token) this.peerGone = true;
      }),
    );
  }

  /** The peer's DMB, once known (from the rendezvous). */
  connect(peer: PeerDmb): void {
    this.peerDmb = peer;
  }

  get peer(): PeerDmb {
    if (!this.peerDmb) throw new Error('IsmChannelPort: not connected');
    return this.peerDmb;
  }

  get sim() {
    return this.driver.sim;
  }

  get rxLength(): number {
    return this.rx.length;
  }

  get txLength(): number {
    return this.peer.length;
  }

  move(offset: number, bytes: Uint8Array, signal: boolean): Promise<number> {
    return this.driver.move(this.peer.token, 0, signal, offset, bytes);
  }

  poll(): void {
    this.driver.poll();
  }

  readRx(offset: number, length: number): Uint8Array {
    return this.driver.access.dmaMemory.read(this.rx.iova + offset, length);
  }

  /** Stop listening (the DMB itself is unregistered by its owner). */
  detach(): void {
    for (const s of this.subscriptions) s.unsubscribe();
  }
}
