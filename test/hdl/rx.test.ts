import { filter, map, toArray, lastValueFrom, take } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { Component, Simulator, StringSink, VcdWriter, type Signal } from '../../rtl/hdl/index.ts';

/** out = a XOR b where b = a delayed through a wire chain: a glitchy net would pulse out. */
class GlitchBait extends Component {
  readonly a: Signal<number>;
  readonly b1: Signal<number>;
  readonly b2: Signal<number>;
  readonly out: Signal<number>;
  constructor(sim: Simulator) {
    super(sim, 'bait');
    this.a = this.reg('a', 1);
    this.b1 = this.wire('b1', 1);
    this.b2 = this.wire('b2', 1);
    this.out = this.wire('out', 1);
    this.seq('toggle', () => this.a.set(this.a.value ^ 1));
    this.comb('b1', [this.a], () => this.b1.set(this.a.value));
    this.comb('b2', [this.b1], () => this.b2.set(this.b1.value));
    this.comb('xor', [this.a, this.b2], () => this.out.set(this.a.value ^ this.b2.value));
  }
}

/** A component that watches another's signal through rxjs and registers its teardown. */
class Monitor extends Component {
  readonly seen: number[] = [];
  constructor(sim: Simulator, watched: Signal<number>) {
    super(sim, 'monitor');
    const sub = watched.changes$.subscribe((v) => this.seen.push(v));
    sim.onDispose(() => sub.unsubscribe());
  }
}

describe('rxjs surface', () => {
  it('signals emit only settled values: no glitch through delta cycles', () => {
    const sim = new Simulator();
    const d = new GlitchBait(sim);
    const outs: number[] = [];
    d.out.values$.subscribe((v) => outs.push(v));
    const as: number[] = [];
    d.a.changes$.subscribe((v) => as.push(v));
    sim.step(10);
    sim.dispose(); // the last cycle is published when time moves on or the simulation ends
    expect(as).toEqual([1, 0, 1, 0, 1, 0, 1, 0, 1, 0]);
    // out is a XOR a after settling, so it is 0 forever: the only emission is the initial value.
    expect(outs).toEqual([0]);
  });

  it('observables are created lazily: an unobserved signal has no subject', () => {
    const sim = new Simulator();
    const d = new GlitchBait(sim);
    sim.step(5);
    expect(sim.signals.filter((s) => s.hasSubject)).toEqual([]);
    d.b1.changes$.subscribe();
    expect(sim.signals.filter((s) => s.hasSubject).map((s) => s.name)).toEqual(['bait.b1']);
    sim.dispose();
  });

  it('testbenches can pipe signals and phase streams', async () => {
    const sim = new Simulator();
    const counter = sim.signal('c', 8, 0, 'reg');
    sim.seq('count', () => counter.set((counter.value + 1) & 0xff));
    const evens = lastValueFrom(
      counter.changes$.pipe(
        filter((v) => v % 2 === 0),
        map((v) => v * 10),
        take(3),
        toArray(),
      ),
    );
    const edges = lastValueFrom(sim.edge$.pipe(take(4), toArray()));
    sim.step(10);
    expect(await evens).toEqual([20, 40, 60]);
    expect(await edges).toEqual([1, 2, 3, 4]);
    sim.dispose();
  });

  it('no subscriber survives dispose(): components, tracers, testbench pipes', () => {
    const sim = new Simulator();
    const d = new GlitchBait(sim);
    const m = new Monitor(sim, d.a);
    sim.addTracer(new VcdWriter(new StringSink()));
    const pipeSub = d.out.values$.pipe(map((v) => v + 1)).subscribe();
    let settledCompleted = false;
    sim.settled$.subscribe({ complete: () => (settledCompleted = true) });
    let ended = -1;
    sim.end$.subscribe((c) => (ended = c));
    sim.step(6);
    // Cycle 6 is still the testbench's (step() returns into it): published at dispose.
    expect(m.seen.length).toBe(5);
    expect(d.a.observed).toBe(true);
    sim.dispose();
    expect(sim.signals.filter((s) => s.observed).map((s) => s.name)).toEqual([]);
    expect(pipeSub.closed).toBe(true);
    expect(settledCompleted).toBe(true);
    expect(ended).toBe(6);
  });

  it('dispose at the end of a process run tears down the tracer file', async () => {
    const sim = new Simulator();
    new GlitchBait(sim);
    const sink = new StringSink();
    sim.addTracer(new VcdWriter(sink));
    sim.process('p', async () => {
      await sim.tick(3);
    });
    await sim.run();
    expect(sink.closed).toBe(false);
    sim.dispose();
    expect(sink.closed).toBe(true);
  });
});
