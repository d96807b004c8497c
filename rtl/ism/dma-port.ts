import { Component } from '../hdl/component.ts';
import type { Signal } from '../hdl/signal.ts';
import type { Simulator } from '../hdl/simulator.ts';
import type { HostMemory } from '../host-memory.ts';

/**
 * The adapter's write port into its VM's memory. Writes requested on a clock edge are queued and
 * land in the commit phase of that edge (the port's `writes` counter changes, its commit process
 * runs in the first delta cycle), like a register's next value: every clocked process of the edge
 * reads memory as it was before the edge, whatever order the kernel runs them in, and testbench
 * processes see the data in that cycle's settled state. `or` writes OR their bytes into memory
 * (SBA bits), so several set in one edge never lose each other.
 */
export class DmaPort extends Component {
  /** DMA writes requested so far (wraps); a change triggers the commit. */
  readonly writes: Signal<number>;
  private readonly addresses: number[] = [];
  private readonly data: Uint8Array[] = [];
  private readonly ors: boolean[] = [];
  private queued = 0;

  constructor(sim: Simulator, name: string, parent: Component, private readonly memory: HostMemory) {
    super(sim, name, parent);
    this.writes = this.reg('writes', 32);
    this.comb('commit', [this.writes], () => this.commit());
  }

  /** Queue a write of `bytes` (the array is read at commit, in this edge). */
  write(address: number, bytes: Uint8Array, or = false): void {
    const i = this.queued++;
    this.addresses[i] = address;
    this.data[i] = bytes;
    this.ors[i] = or;
    this.writes.set((this.writes.readBack() + 1) >>> 0);
  }

  private commit(): void {
    const m = this.memory;
    for (let i = 0; i < this.queued; i++) {
      const at = this.addresses[i];
      const bytes = this.data[i];
      if (this.ors[i]) {
        const merged = m.read(at, bytes.length);
        for (let j = 0; j < bytes.length; j++) merged[j] |= bytes[j];
        m.write(at, merged);
      } else {
        m.write(at, bytes);
      }
      this.data[i] = EMPTY;
    }
    this.queued = 0;
  }
}

const EMPTY = new Uint8Array(0);
