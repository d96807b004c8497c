import { afterEach, describe, expect, it, vi } from 'vitest';
import { Signal, Simulator, type Tracer } from '../../rtl/hdl/index.ts';
import { liveArrayBufferBytes } from '../support/garbage.ts';

/** Two free-running toggles: `watched` gets a subscriber in the tests, `ignored` never does. */
function toggles(sim: Simulator): { watched: Signal<number>; ignored: Signal<number> } {
  const watched = sim.signal('t.watched', 1, 0, 'reg');
  const ignored = sim.signal('t.ignored', 1, 0, 'reg');
  sim.seq('toggle', () => {
    watched.set(watched.value ^ 1);
    ignored.set(ignored.value ^ 1);
  });
  return { watched, ignored };
}

/** Which signals the publish handed to observers, by name (emitSettled is where a collected change ends up). */
function spyOnPublish(): string[] {
  const published: string[] = [];
  const emit = Signal.prototype.emitSettled;
  vi.spyOn(Signal.prototype, 'emitSettled').mockImplementation(function (this: Signal) {
    published.push(this.name);
    emit.call(this);
  });
  return published;
}

/** Records, per sampled cycle, the names of the signals the kernel says changed. */
class RecordingTracer implements Tracer {
  readonly cycles: string[][] = [];
  begin(): void {}
  sample(_cycle: number, changed: readonly Signal[]): void {
    this.cycles.push(changed.map((s) => s.name).sort());
  }
  end(): void {}
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('settled-value observation costs nothing for signals nobody reads', () => {
  it('only a subscribed signal is collected for the publish; the others are not touched', () => {
    const published = spyOnPublish();
    const sim = new Simulator();
    const { watched } = toggles(sim);
    const seen: number[] = [];
    watched.changes$.subscribe((v) => seen.push(v));
    sim.step(4);
    sim.dispose();
    expect(seen).toEqual([1, 0, 1, 0]);
    expect(new Set(published)).toEqual(new Set(['t.watched']));
  });

  it('with a tracer every changed signal is sampled and published, subscribed or not', () => {
    const published = spyOnPublish();
    const sim = new Simulator();
    toggles(sim);
    const tracer = new RecordingTracer();
    sim.addTracer(tracer);
    sim.step(2);
    sim.dispose();
    expect(tracer.cycles).toEqual([[], ['t.ignored', 't.watched'], ['t.ignored', 't.watched']]);
    expect(published.filter((n) => n === 't.ignored')).toHaveLength(2);
  });

  it('a tracer is handed exactly the signals that changed in each cycle, also after a busier cycle', () => {
    const sim = new Simulator();
    const a = sim.signal('t.a', 4, 0, 'reg');
    const b = sim.signal('t.b', 4, 0, 'reg');
    const c = sim.signal('t.c', 4, 0, 'reg');
    sim.seq('write', () => {
      a.set(sim.cycle & 0xf);
      if (sim.cycle <= 2) {
        b.set(sim.cycle);
        c.set(sim.cycle);
      }
    });
    const tracer = new RecordingTracer();
    sim.addTracer(tracer);
    sim.step(4);
    sim.dispose();
    expect(tracer.cycles).toEqual([[], ['t.a', 't.b', 't.c'], ['t.a', 't.b', 't.c'], ['t.a'], ['t.a']]);
  });

  it('a subscriber added mid-run sees the next settled change, not the earlier ones', () => {
    const sim = new Simulator();
    const { watched } = toggles(sim);
    sim.step(3);
    const seen: number[] = [];
    watched.changes$.subscribe((v) => seen.push(v));
    sim.step(2);
    sim.dispose();
    // Cycle 3 (value 1) was the testbench's when it subscribed: its value is read, not replayed.
    expect(seen).toEqual([0, 1]);
  });

  it('after the last unsubscribe the signal is no longer collected; a new subscriber starts from then', () => {
    const published = spyOnPublish();
    const sim = new Simulator();
    const { watched } = toggles(sim);
    const first: number[] = [];
    const sub = watched.changes$.subscribe((v) => first.push(v));
    sim.step(2);
    sub.unsubscribe();
    sim.step(1); // publishes cycle 2 (changed while subscribed: nobody listens any more)
    const collectedBefore = published.length;
    sim.step(3);
    expect(published.length).toBe(collectedBefore);
    const second: number[] = [];
    watched.changes$.subscribe((v) => second.push(v));
    sim.step(2);
    sim.dispose();
    expect(first).toEqual([1]);
    // Subscribed in cycle 6 (value 0): the changes of cycles 7 and 8, nothing stale.
    expect(second).toEqual([1, 0]);
  });

  it('two subscribers: the signal stays collected until both have left', () => {
    const sim = new Simulator();
    const { watched } = toggles(sim);
    const a: number[] = [];
    const b: number[] = [];
    const subA = watched.changes$.subscribe((v) => a.push(v));
    watched.changes$.subscribe((v) => b.push(v));
    sim.step(2);
    subA.unsubscribe();
    sim.step(2);
    sim.dispose();
    expect(a).toEqual([1]);
    expect(b).toEqual([1, 0, 1, 0]);
  });
});

describe('a finished simulation is released', () => {
  it('a loop of short runs, disposed without the event loop turning, keeps none of them alive', async () => {
    const ballast = 8 << 20;
    const before = liveArrayBufferBytes();
    for (let i = 0; i < 8; i++) {
      const sim = new Simulator();
      const memory = new Uint8Array(ballast);
      const r = sim.signal('t.r', 8, 0, 'reg');
      sim.seq('read', () => r.set(memory[sim.cycle & 0xff]));
      sim.process('p', async () => {
        await sim.tick(2);
      });
      await sim.run(); // arms the foreign-await watchdog (an immediate)
      sim.dispose();
    }
    // Only the last machine may still be referenced from this frame.
    const held = Math.round((liveArrayBufferBytes() - before) / ballast);
    expect(held, 'machines still alive').toBeLessThanOrEqual(1);
  });
});

describe('phase streams (edge$, hardwareSettled$, settled$)', () => {
  const streams = ['edge$', 'hardwareSettled$', 'settled$'] as const;

  for (const name of streams) {
    it(`${name}: subscribers get each evaluated cycle in subscription order; joining and leaving take effect at the next cycle`, () => {
      const sim = new Simulator();
      toggles(sim);
      const calls: string[] = [];
      const a = sim[name].subscribe((c) => calls.push(`a${c}`));
      sim.step(2);
      const b = sim[name].subscribe((c) => calls.push(`b${c}`));
      sim.step(2);
      a.unsubscribe();
      sim.step(1);
      b.unsubscribe();
      sim.step(1);
      sim.dispose();
      // settled$ emits when a cycle is published: when time moves on past it (or at dispose).
      const expected =
        name === 'settled$'
          ? ['a0', 'a1', 'a2', 'b2', 'a3', 'b3', 'b4']
          : ['a1', 'a2', 'a3', 'b3', 'a4', 'b4', 'b5'];
      expect(calls).toEqual(expected);
    });

    it(`${name}: a subscriber that leaves during an emission gets nothing more, one that joins waits for the next cycle`, () => {
      const sim = new Simulator();
      toggles(sim);
      const calls: string[] = [];
      let late: { unsubscribe(): void } | undefined;
      const first = sim[name].subscribe((c) => {
        calls.push(`first${c}`);
        if (c === 2) {
          late = sim[name].subscribe((d) => calls.push(`late${d}`));
          second.unsubscribe();
        }
      });
      const second = sim[name].subscribe((c) => calls.push(`second${c}`));
      sim.step(4);
      first.unsubscribe();
      late?.unsubscribe();
      sim.dispose();
      expect(calls.filter((c) => c.startsWith('second')).every((c) => Number(c.slice(6)) < 2)).toBe(true);
      expect(calls).toContain('late3');
      expect(calls).not.toContain('late2');
    });
  }

  it('every phase stream completes at dispose, and one subscribed afterwards completes at once', () => {
    const sim = new Simulator();
    toggles(sim);
    const completed: string[] = [];
    for (const name of streams) sim[name].subscribe({ complete: () => completed.push(name) });
    sim.step(2);
    sim.dispose();
    expect(completed.sort()).toEqual([...streams].sort());
    const late: string[] = [];
    for (const name of streams) sim[name].subscribe({ next: () => late.push(`next ${name}`), complete: () => late.push(name) });
    expect(late).toEqual([...streams]);
  });

  it('an observer of a phase stream may not write: the run fails naming the phase', () => {
    const sim = new Simulator();
    const s = sim.signal('t.s', 1);
    sim.hardwareSettled$.subscribe(() => s.set(1));
    expect(() => sim.step(1)).toThrow(/observer/);
  });
});
