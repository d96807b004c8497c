/**
 * A tracer that hands only cycles [from, to] to a VCD writer, renumbered from 0, so a failing
 * window of a long run is a small file (its `$comment` says which cycle time 0 is).
 */
import type { Signal, SignalValue } from '../../rtl/hdl/signal.ts';
import type { Simulator, Tracer } from '../../rtl/hdl/simulator.ts';

export class WindowTracer implements Tracer {
  private ended = false;

  constructor(
    private readonly inner: Tracer,
    readonly from: number,
    readonly to: number,
  ) {}

  begin(sim: Simulator): void {
    this.inner.begin(sim);
  }

  sample(cycle: number, changed: readonly Signal<SignalValue>[]): void {
    if (cycle < this.from || this.ended) return;
    if (cycle > this.to) return this.end();
    this.inner.sample(cycle - this.from, changed);
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.inner.end();
  }
}
