/**
 * The kernel contract (rtl/hdl/README.md), one test per hole of issue 9, each named after it.
 */
import { closeSync, mkdtempSync, openSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CombinationalLoopError,
  DepositError,
  FileSink,
  ForeignAwaitError,
  MultipleDriverError,
  PhaseError,
  ProcessError,
  SensitivityError,
  SimDisposedError,
  Simulator,
  StringSink,
  VcdWriter,
  type Signal,
} from '../../rtl/hdl/index.ts';
import { parseVcd } from '../../bench/wave/vcd-reader.ts';
import { testWavePath } from '../support/waves.ts';

/** count: a register incremented while enable is high; y = count + 1 combinationally. */
function counter(sim: Simulator): { enable: Signal<number>; count: Signal<number>; y: Signal<number> } {
  const enable = sim.signal('dut.enable', 1, 1);
  const count = sim.signal('dut.count', 8, 0, 'reg');
  const y = sim.signal('dut.y', 9);
  sim.seq('dut.tick', () => {
    if (enable.value) count.set((count.value + 1) & 0xff);
  });
  sim.comb('dut.inc', [count], () => y.set(count.value + 1));
  return { enable, count, y };
}

describe('hole 1: testbench writes bypass the driver check', () => {
  /** Processes `first` and `second` write t.s after 1 and `secondAfter` cycles. */
  function twoWriters(secondAfter: number): { sim: Simulator; s: Signal<number> } {
    const sim = new Simulator();
    const s = sim.signal('t.s', 8);
    sim.process('first', async () => {
      await sim.tick();
      s.set(1);
    });
    sim.process('second', async () => {
      await sim.tick(secondAfter);
      s.set(2);
    });
    return { sim, s };
  }

  it('two testbench processes writing one signal in one cycle is a MultipleDriverError naming both', async () => {
    const { sim } = twoWriters(1);
    const err = await sim.run().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProcessError);
    const cause = (err as ProcessError).cause;
    expect(cause).toBeInstanceOf(MultipleDriverError);
    expect((cause as Error).message).toMatch(/t\.s is driven by more than one process: first and second; both wrote it in cycle 1/);
  });

  it('two testbench processes may take turns on one signal in different cycles', async () => {
    const { sim, s } = twoWriters(2);
    await sim.run();
    sim.dispose();
    expect(s.value).toBe(2);
  });

  it('a testbench writing a combinational output is refused (no settled state that contradicts the logic)', () => {
    const sim = new Simulator();
    const { y } = counter(sim);
    sim.step();
    expect(() => y.set(42)).toThrow(MultipleDriverError);
    expect(() => y.set(42)).toThrow(/dut\.y is driven by more than one process: dut\.inc and testbench \(top level\); a testbench overrides hardware with force\(\)\/release\(\) or deposit\(\)/);
    expect(() => y.deposit(42)).toThrow(DepositError);
  });

  it('a testbench writing a register a clocked process drives is refused, in either order', async () => {
    const sim = new Simulator();
    const { count } = counter(sim);
    sim.step(2);
    expect(() => count.set(7)).toThrow(/dut\.count is driven by more than one process: dut\.tick and testbench/);

    // Testbench first, hardware later: refused when the hardware writes.
    const sim2 = new Simulator();
    const r = sim2.signal('r', 8, 0, 'reg');
    const go = sim2.signal('go', 1);
    sim2.seq('late', () => {
      if (go.value) r.set(3);
    });
    sim2.step();
    r.set(5);
    go.set(1);
    expect(() => sim2.step()).toThrow(/signal r is driven by more than one process: testbench \(top level\) and late/);
  });

  it('force() holds a value over the driver, release() gives the driver back, deposit() is a one-shot register write', () => {
    const sim = new Simulator();
    const { enable, count, y } = counter(sim);
    sim.step(3);
    expect(count.value).toBe(3);
    count.force(100);
    sim.step();
    expect([count.value, y.value]).toEqual([100, 101]);
    sim.step(2);
    expect(count.value).toBe(100); // held, while the clocked process keeps writing 100 + 1
    count.release();
    sim.step();
    expect(count.value).toBe(102); // released to the driver's last write (101), then counted on
    count.deposit(50);
    sim.step();
    expect(count.value).toBe(51); // deposited 50 settled before the edge, which counted from it
    y.force(9);
    sim.step();
    expect(y.value).toBe(9);
    y.release();
    sim.step();
    expect(y.value).toBe(count.value + 1);
    enable.set(0);
    sim.step();
    sim.dispose();
  });
});

describe('hole 2: step() and run() disagree', () => {
  /** The same stimulus: enable drops after 2 cycles, rises after 5; returns counts and the VCD. */
  async function drive(how: 'step' | 'run'): Promise<{ counts: number[]; vcd: string }> {
    const sim = new Simulator();
    const { enable, count } = counter(sim);
    const sink = new StringSink();
    sim.addTracer(new VcdWriter(sink));
    const counts: number[] = [];
    const stimulus = (cycle: number): void => {
      if (cycle === 2) enable.set(0);
      if (cycle === 5) enable.set(1);
      counts.push(count.value);
    };
    if (how === 'step') {
      for (let c = 0; c <= 8; c++) {
        if (c > 0) sim.step();
        stimulus(sim.cycle);
      }
    } else {
      sim.process('stimulus', async () => {
        for (let c = 0; c <= 8; c++) {
          if (c > 0) await sim.tick();
          stimulus(sim.cycle);
        }
      });
      await sim.run();
    }
    sim.dispose();
    return { counts, vcd: sink.text };
  }

  it('gives identical cycle-by-cycle values and byte-identical waveforms', async () => {
    const stepped = await drive('step');
    const ran = await drive('run');
    expect(stepped.counts).toEqual([0, 1, 2, 2, 2, 2, 3, 4, 5]);
    expect(ran.counts).toEqual(stepped.counts);
    expect(ran.vcd).toBe(stepped.vcd);
  });
});

describe('hole 3: writes from observers', () => {
  it('set() from a settled$ subscriber is refused with an error naming the signal and the phase', () => {
    const sim = new Simulator();
    const { enable } = counter(sim);
    sim.settled$.subscribe((cycle) => {
      if (cycle === 2) enable.set(0);
    });
    // Cycle 2 is published when the next step moves time on.
    expect(() => sim.step(3)).toThrow(PhaseError);
    expect(() => sim.step(3)).toThrow(SimDisposedError);
    expect(sim.isDisposed).toBe(true);
  });

  it('set() from an edge$ or changes$ subscriber is refused the same way', () => {
    for (const attach of ['edge', 'changes'] as const) {
      const sim = new Simulator();
      const { enable, count } = counter(sim);
      if (attach === 'edge') sim.edge$.subscribe(() => enable.set(0));
      else count.changes$.subscribe(() => enable.set(0));
      let error: unknown;
      try {
        sim.step(3);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(PhaseError);
      expect((error as Error).message).toMatch(/set\(\) by .*observer of signal dut\.enable refused in the observer phase/);
    }
  });

  it('the kernel knows its phase', async () => {
    const sim = new Simulator();
    const phases: string[] = [sim.phase];
    const s = sim.signal('s', 1);
    sim.seq('p', () => {
      if (phases.length < 3) phases.push(sim.phase);
    });
    sim.comb('c', [s], () => {
      if (phases.length < 3) phases.push(sim.phase);
    });
    sim.process('tb', async () => {
      await sim.tick();
      phases.push(sim.phase);
    });
    sim.settled$.subscribe(() => {
      if (phases.length === 4) phases.push(sim.phase);
    });
    await sim.run();
    sim.dispose();
    phases.push(sim.phase);
    expect(phases).toEqual(['elaboration', 'combinational', 'clocked', 'testbench', 'observer', 'disposed']);
  });
});

describe('hole 4: foreign awaits hang silently', () => {
  it('a process awaiting another process\'s finished promise fails run() within one macrotask, naming it', async () => {
    const sim = new Simulator();
    const worker = sim.process('worker', async () => {
      await sim.tick(5);
    });
    sim.process('waiter', async () => {
      await worker.finished;
    });
    let timerFired = false;
    // The watchdog fires at the first turn of the event loop; a timer due 100 ms later must not have.
    const timer = setTimeout(() => (timerFired = true), 100);
    const err = await sim.run().catch((e: unknown) => e);
    clearTimeout(timer);
    expect(err).toBeInstanceOf(ForeignAwaitError);
    expect((err as Error).message).toMatch(/process waiter is waiting at cycle 0 for a promise the simulator does not own/);
    expect(timerFired).toBe(false);
  });

  it('sim.join(handle) waits for another process', async () => {
    const sim = new Simulator();
    const worker = sim.process('worker', async () => {
      await sim.tick(5);
    });
    let joinedAt = -1;
    sim.process('waiter', async () => {
      await sim.join(worker);
      joinedAt = sim.cycle;
    });
    await sim.run();
    expect(joinedAt).toBe(5);
  });
});

describe('hole 5: nothing stops after dispose()', () => {
  it('every call that would simulate throws SimDisposedError', async () => {
    const sim = new Simulator();
    const { enable } = counter(sim);
    sim.step();
    sim.dispose();
    expect(() => sim.step()).toThrow(SimDisposedError);
    await expect(sim.run()).rejects.toThrow(SimDisposedError);
    expect(() => enable.set(0)).toThrow(/set\(\) of signal dut\.enable refused: the simulation was disposed at cycle 1/);
    expect(() => sim.process('p', async () => {})).toThrow(SimDisposedError);
    sim.dispose(); // idempotent
  });

  it('a file sink closes its descriptor once and never writes into a reused descriptor', () => {
    const path = testWavePath('kernel-dispose-final');
    const scratch = mkdtempSync(join(tmpdir(), 'kernel-dispose-'));
    const other = join(scratch, 'unrelated.txt');
    const sim = new Simulator();
    counter(sim);
    const writer = VcdWriter.toFile(sim, path);
    sim.step(10);
    sim.dispose();
    const size = statSync(path).size;
    const fd = openSync(other, 'w'); // likely reuses the closed descriptor number
    try {
      expect(() => sim.step(1000)).toThrow(SimDisposedError);
      expect(() => writer.end()).not.toThrow(); // a second close is a no-op, not EBADF
      const sink = new FileSink(join(scratch, 'sink.vcd'));
      sink.close();
      sink.close();
      expect(() => sink.write('x')).toThrow(/is closed/);
    } finally {
      closeSync(fd);
    }
    expect(statSync(other).size).toBe(0);
    expect(statSync(path).size).toBe(size);
  });

  it('await using disposes the simulation when the block ends, even when it throws', async () => {
    const path = testWavePath('kernel-await-using');
    let escaped: Simulator | undefined;
    await expect(
      (async () => {
        await using sim = new Simulator();
        escaped = sim;
        counter(sim);
        VcdWriter.toFile(sim, path);
        sim.step(3);
        throw new Error('testbench gave up');
      })(),
    ).rejects.toThrow('testbench gave up');
    expect(escaped!.isDisposed).toBe(true);
    expect(parseVcd(readFileSync(path, 'utf8')).endTime).toBe(3000 + 500);
  });
});

describe('hole 6: a failing testbench loses the end of its waveform', () => {
  it('run() failure flushes and closes the tracers through the failing cycle and names the file', async () => {
    const path = testWavePath('kernel-failing-run');
    const sim = new Simulator();
    const { count } = counter(sim);
    VcdWriter.toFile(sim, path);
    sim.process('checker', async () => {
      for (;;) {
        await sim.tick();
        if (sim.cycle === 700) throw new Error(`count is ${count.value}, expected less`);
      }
    });
    const err = await sim.run().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProcessError);
    expect((err as Error).message).toContain(`(waveform: ${path})`);
    expect(sim.isDisposed).toBe(true);
    const doc = parseVcd(readFileSync(path, 'utf8'));
    const changes = doc.changes.get('top.dut.count')!;
    const last = changes[changes.length - 1];
    expect(last.time).toBe(700 * 1000);
    expect(last.value).toBe(BigInt(700 & 0xff));
  });

  it('a hardware assertion and a combinational loop in run() keep the waveform too', async () => {
    const path = testWavePath('kernel-failing-assert');
    const sim = new Simulator();
    const { count } = counter(sim);
    sim.seq('guard', () => {
      if (count.value === 40) sim.fail('guard', 'count reached 40', [count]);
    });
    VcdWriter.toFile(sim, path);
    sim.process('p', async () => {
      await sim.tick(100);
    });
    await expect(sim.run()).rejects.toThrow(/count reached 40.*\(waveform: /);
    const doc = parseVcd(readFileSync(path, 'utf8'));
    expect(doc.changes.get('top.dut.count')!.at(-1)!.value).toBe(40n);
    expect(doc.endTime).toBe(41 * 1000 + 500);
  });
});

describe('hole 7: loop detection counts delta cycles instead of looking at structure', () => {
  it('an acyclic chain deeper than the old delta bound settles, each process once per cycle', () => {
    const sim = new Simulator();
    const src = sim.signal('src', 8, 0, 'reg');
    sim.seq('src', () => src.set((src.value + 1) & 0xff));
    const depth = 1500;
    const runs = new Array<number>(depth).fill(0);
    const links: Signal<number>[] = [src];
    for (let i = 0; i < depth; i++) links.push(sim.signal(`l${i}`, 8));
    // Registered back to front: the worst order for a kernel that just iterates.
    for (let i = depth - 1; i >= 0; i--) {
      sim.comb(`link${i}`, [links[i]], () => {
        runs[i]++;
        links[i + 1].set(links[i].value);
      });
    }
    sim.step();
    runs.fill(0);
    sim.step(3);
    expect(links[depth].value).toBe(4);
    expect(new Set(runs)).toEqual(new Set([3]));
  });

  it('a real loop is reported as exactly the signals on it, not the ones feeding it', () => {
    const sim = new Simulator();
    const a = sim.signal('a', 1, 0, 'reg');
    const feed = sim.signal('feed', 1);
    const x = sim.signal('x', 1);
    const y = sim.signal('y', 1);
    const out = sim.signal('out', 1);
    sim.seq('a', () => a.set(a.value ^ 1));
    sim.comb('feed', [a], () => feed.set(a.value));
    sim.comb('x', [feed, y], () => x.set(feed.value ^ y.value));
    sim.comb('y', [x], () => y.set(x.value));
    sim.comb('out', [y], () => out.set(y.value));
    let error: unknown;
    try {
      sim.step(2);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CombinationalLoopError);
    expect((error as CombinationalLoopError).signalNames).toEqual(['x', 'y']);
  });

  it('strict mode refuses a combinational read outside the sensitivity list (a latch)', () => {
    const sim = new Simulator({ strict: true });
    const a = sim.signal('a', 1);
    const b = sim.signal('b', 1);
    const y = sim.signal('y', 1);
    sim.comb('and', [a], () => y.set(a.value & b.value));
    expect(() => sim.step()).toThrow(SensitivityError);
    expect(() => new Simulator({ strict: true }).step()).not.toThrow();
    // Off, the same design is accepted (the test suite runs with strict on by default).
    const lax = new Simulator({ strict: false });
    const la = lax.signal('a', 1);
    const lb = lax.signal('b', 1);
    const ly = lax.signal('y', 1);
    lax.comb('and', [la], () => ly.set(la.value & lb.value));
    expect(() => lax.step()).not.toThrow();
    expect(Simulator.defaults.strict).toBe(true);
  });
});

describe('hole 8: models can read unsettled state', () => {
  it('Signal.next is not part of the public surface', () => {
    const sim = new Simulator();
    const s = sim.signal('s', 8);
    s.set(3);
    expect('next' in s).toBe(false);
  });
});

describe('hole 9: a running simulation never yields to the event loop', () => {
  it('a timer fires while run() is busy (timeouts, progress, Ctrl-C work)', async () => {
    const sim = new Simulator({ yieldIntervalMs: 5 });
    counter(sim);
    let stop = false;
    const timer = setTimeout(() => (stop = true), 20);
    sim.process('forever', async () => {
      while (!stop) await sim.tick(); // before the fix, the timer never fired and this ran into the limit
    });
    await sim.run({ maxCycles: 3_000_000 });
    clearTimeout(timer);
    expect(stop).toBe(true);
    expect(sim.cycle).toBeLessThan(3_000_000);
  });
});
