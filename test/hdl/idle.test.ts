/**
 * Idle declarations and skipping (rtl/hdl/README.md "Idle skipping"). With skipping on, a clocked
 * process that declared idle is not run until its wake-up and quiet spans are jumped over; with
 * `skipIdle: false` the declaration is ignored: the process runs at every edge (the old
 * cycle-by-cycle path), and results are the same.
 */
import { describe, expect, it } from 'vitest';
import { Simulator } from '../../rtl/hdl/index.ts';

/**
 * A down-counter that is reloaded by a `start` pulse from the testbench; at zero it declares
 * itself idle until `start` changes. Counts how often its clocked process ran.
 */
async function countdown(skipIdle: boolean): Promise<{ runs: number; count: number; doneAt: number[]; cycles: number; skipped: number }> {
  const sim = new Simulator({ skipIdle });
  const start = sim.signal('start', 1);
  const count = sim.signal('count', 8, 0, 'reg');
  const doneAt: number[] = [];
  let runs = 0;
  sim.seq('countdown', () => {
    runs++;
    if (start.value) count.set(10);
    else if (count.value > 0) count.set(count.value - 1);
    else sim.idle([start]);
  });
  sim.process('tb', async () => {
    for (const gap of [100, 1000]) {
      await sim.tick(gap);
      start.set(1);
      await sim.tick();
      start.set(0);
      await sim.until(() => count.value === 0);
      doneAt.push(sim.cycle);
    }
    await sim.tick(50);
  });
  await sim.run();
  const result = { runs, count: count.value, doneAt, cycles: sim.cycle, skipped: sim.skippedCycles };
  sim.dispose();
  return result;
}

describe('idle clocked processes', () => {
  it('with skipping on, an idle process is not run until its wake-up, and quiet cycles are jumped over', async () => {
    const on = await countdown(true);
    expect(on.runs).toBeLessThan(40);
    expect(on.skipped).toBeGreaterThan(1000);
  });

  it('with skipIdle false, the idle declaration is ignored: the process runs at every edge and nothing is jumped over', async () => {
    const off = await countdown(false);
    expect(off.runs).toBe(off.cycles);
    expect(off.skipped).toBe(0);
  });

  it('gives the same cycles and values either way (the declaration is truthful)', async () => {
    const [on, off] = [await countdown(true), await countdown(false)];
    expect(on.doneAt).toEqual(off.doneAt);
    expect(on.cycles).toBe(off.cycles);
    expect(on.count).toBe(off.count);
  });

  it('an untruthful declaration shows up as a difference between the two paths', async () => {
    // Declares idle while it still counts: with skipping the count freezes, without it runs on.
    const run = async (skipIdle: boolean): Promise<number> => {
      const sim = new Simulator({ skipIdle });
      const count = sim.signal('count', 8, 0, 'reg');
      sim.seq('lying', () => {
        count.set((count.value + 1) & 0xff);
        sim.idle([]);
      });
      sim.process('tb', () => sim.tick(20));
      await sim.run();
      sim.dispose();
      return count.value;
    };
    expect(await run(true)).toBe(1);
    expect(await run(false)).toBe(20);
  });

  it('a process waits only on the signals of its latest declaration, however many the earlier ones had', () => {
    const sim = new Simulator();
    const wakeSignals = ['a', 'b', 'c', 'd'].map((n) => sim.signal(`t.${n}`, 1));
    const [a, b, c, d] = wakeSignals;
    const ranAt: number[] = [];
    sim.seq('sleeper', () => {
      ranAt.push(sim.cycle);
      // First on a, b and c; once woken, on d alone (a shorter list than before).
      sim.idle(ranAt.length === 1 ? [a, b, c] : [d]);
    });
    const pulse = (s: typeof a): void => {
      s.set(s.value ^ 1);
      sim.step(3);
    };
    sim.step(2); // runs at edge 1, then sleeps
    pulse(b); // wakes it: runs at the next edge, then sleeps on d only
    pulse(c); // no longer a wake-up
    pulse(a);
    pulse(d); // wakes it again
    sim.dispose();
    expect(ranAt).toEqual([1, 3, 12]);
  });

  it('idle() outside a clocked process is refused on both paths', () => {
    for (const skipIdle of [true, false]) {
      const sim = new Simulator({ skipIdle });
      const a = sim.signal('a', 1);
      const b = sim.signal('b', 1);
      sim.comb('c', [a], () => {
        b.set(a.value);
        sim.idle([a]);
      });
      expect(() => sim.step()).toThrow(/idle\(\) may only be declared by a clocked process/);
      sim.dispose();
    }
  });
});
