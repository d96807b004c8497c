/**
 * A cheap stand-in for two ISM functions: each end's receive DMB is a byte array, a move copies
 * into the peer's array after a configurable number of cycles and, with the signal, bumps the
 * peer's signal count. Used to property-test the channel and the services above it quickly; the
 * same code runs over the real hardware through IsmChannelPort.
 */
import type { Simulator } from '../../rtl/hdl/simulator.ts';
import type { ChannelPort } from './channel.ts';

export interface LoopbackOptions {
  /** DMB lengths of end A and end B (header + ring). */
  readonly lengthA: number;
  readonly lengthB: number;
  /** Cycles one move takes, from its offset and size (default 1 + bytes/256). */
  readonly latency?: (bytes: number) => number;
}

export class LoopbackPort implements ChannelPort {
  signals = 0;
  peerGone = false;
  /** Make moves fail with this -errno (a broken function). */
  failMoves = 0;
  peer!: LoopbackPort;
  readonly rx: Uint8Array;
  moves = 0;

  constructor(
    readonly sim: Simulator,
    readonly rxLength: number,
    private readonly latency: (bytes: number) => number,
  ) {
    this.rx = new Uint8Array(rxLength);
  }

  get txLength(): number {
    return this.peer.rxLength;
  }

  async move(offset: number, bytes: Uint8Array, signal: boolean): Promise<number> {
    if (this.failMoves) return this.failMoves;
    if (offset < 0 || offset + bytes.length > this.peer.rxLength) return -5;
    this.moves++;
    const copy = bytes.slice();
    await this.sim.tick(Math.max(1, this.latency(bytes.length)));
    if (this.failMoves) return this.failMoves;
    this.peer.rx.set(copy, offset);
    if (signal) this.peer.signals++;
    return 0;
  }

  readRx(offset: number, length: number): Uint8Array {
    return this.rx.slice(offset, offset + length);
  }
}

export function loopbackPair(sim: Simulator, options: LoopbackOptions): [LoopbackPort, LoopbackPort] {
  const latency = options.latency ?? ((n: number) => 1 + (n >> 8));
  const a = new LoopbackPort(sim, options.lengthA, latency);
  const b = new LoopbackPort(sim, options.lengthB, latency);
  a.peer = b;
  b.peer = a;
  return [a, b];
}
