import { Simulator } from '../../rtl/hdl/index.ts';
import type { BenchOptions } from '../harness.ts';
import { findBench } from '../testbenches/index.ts';
import type { PerfRow } from './row.ts';

/**
 * Best wall time of `runs` interleaved runs of a bench with idle skipping off (the cycle-by-cycle
 * path: every clocked process at every edge) and on; cycles are the same by contract.
 * `evaluated`: the cycles the kernel evaluated with skipping on.
 */
async function skipOnOff(
  name: string,
  options: Partial<BenchOptions> & { vms: number },
  repeat: number,
  runs: number,
): Promise<{ off: number; on: number; cycles: number; evaluated: number }> {
  const bench = findBench(name)!;
  const best = { off: Number.POSITIVE_INFINITY, on: Number.POSITIVE_INFINITY };
  let cycles = 0;
  let evaluated = 0;
  try {
    for (let r = 0; r < runs; r++) {
      for (const skip of [false, true]) {
        Simulator.defaults.skipIdle = skip;
        let ms = 0;
        for (let i = 0; i < repeat; i++) {
          const s = await bench.run({ seed: 1, ...options });
          ms += s.wallMs;
          cycles = s.cycles;
          if (skip) evaluated = s.evaluatedCycles;
        }
        const key = skip ? 'on' : 'off';
        best[key] = Math.min(best[key], ms / repeat);
      }
    }
  } finally {
    Simulator.defaults.skipIdle = true;
  }
  return { ...best, cycles, evaluated };
}

/** Idle skipping (issue 10): the same benches with skipping off (every cycle evaluated) and on, side by side. */
async function idleSkipping(): Promise<PerfRow[]> {
  const rows: PerfRow[] = [];
  for (const [name, vms, repeat, runs] of [
    ['probe', 1, 40, 3],
    ['console', 2, 20, 3],
  ] as const) {
    const r = await skipOnOff(name, { vms }, repeat, runs);
    rows.push(
      { name: `${name}: wall time per run, skipping off (--no-skip)`, value: r.off, unit: 'ms' },
      { name: `${name}: wall time per run, skipping on`, value: r.on, unit: 'ms' },
      { name: `${name}: speed-up from skipping (target ≥ 10)`, value: r.off / r.on, unit: '×' },
      // Skipping saves at most the cycles it jumps over: the evaluated ones carry the run's real work.
      { name: `${name}: cycles evaluated with skipping on (of ${r.cycles.toLocaleString('en-US')})`, value: (100 * r.evaluated) / r.cycles, unit: '%' },
      { name: `${name}: speed-up bound, all cycles / evaluated cycles (free jumps, evaluated cycles as costly as before)`, value: r.cycles / r.evaluated, unit: '×' },
      // Why the speed-up stays below that bound: a cycle with nothing to do was cheap even on the cycle-by-cycle path.
      { name: `${name}: wall time per evaluated cycle, skipping on (run time / evaluated cycles)`, value: (1000 * r.on) / r.evaluated, unit: 'µs' },
      { name: `${name}: what a jumped-over cycle cost on the cycle-by-cycle path ((off − on) / cycles jumped)`, value: (1000 * (r.off - r.on)) / (r.cycles - r.evaluated), unit: 'µs' },
    );
  }
  // Where users feel it: a long, mostly idle run. The console typist thinks 1 ms (10^6 cycles at 1 GHz) before each of 6 lines.
  const pause = 1_000_000;
  const typist = await skipOnOff('console', { vms: 2, pause }, 1, 2);
  rows.push(
    { name: `console --pause ${pause} (${typist.cycles.toLocaleString('en-US')} cycles): wall time, skipping off (--no-skip)`, value: typist.off, unit: 'ms' },
    { name: `console --pause ${pause}: wall time, skipping on`, value: typist.on, unit: 'ms' },
    { name: `console --pause ${pause}: cycles evaluated with skipping on`, value: (100 * typist.evaluated) / typist.cycles, unit: '%' },
    { name: `console --pause ${pause}: speed-up from skipping (target ≥ 10)`, value: typist.off / typist.on, unit: '×' },
  );
  for (const [name, vms, label, target] of [
    ['blockdev', 2, 'blockdev (2 VMs)', '1.5M'],
    ['daemon', 8, 'daemon --vms 8', '600k'],
  ] as const) {
    const r = await skipOnOff(name, { vms }, 1, 2);
    rows.push(
      { name: `${label}: simulated cycles/s, skipping off`, value: r.cycles / (r.off / 1000), unit: 'cycles/s' },
      { name: `${label}: simulated cycles/s, skipping on (target ≥ ${target})`, value: r.cycles / (r.on / 1000), unit: 'cycles/s' },
    );
  }
  return rows;
}

/** What run()'s periodic macrotask yield (issue 9: timers, Ctrl-C, progress) costs. */
async function yieldCost(): Promise<PerfRow[]> {
  const cycles = 1_000_000;
  const time = async (yieldIntervalMs: number): Promise<number> => {
    const sim = new Simulator({ yieldIntervalMs });
    const r = sim.signal('r', 16, 0, 'reg');
    sim.seq('count', () => r.set((r.value + 1) & 0xffff));
    sim.process('wait', async () => {
      await sim.tick(cycles);
    });
    const t0 = performance.now();
    await sim.run();
    sim.dispose();
    return performance.now() - t0;
  };
  let never = Number.POSITIVE_INFINITY;
  let every20 = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 3; i++) {
    never = Math.min(never, await time(1e12));
    every20 = Math.min(every20, await time(20));
  }
  return [{ name: 'run(): cost of yielding to the event loop every 20 ms (1M cycles, one register)', value: (100 * (every20 - never)) / never, unit: '%' }];
}

export const SKIPPING_SECTIONS = [idleSkipping, yieldCost];
