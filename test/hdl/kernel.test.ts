import { describe, expect, it } from 'vitest';
import {
  CombinationalLoopError,
  Component,
  MultipleDriverError,
  ProcessError,
  SignalRangeError,
  SimAssertionError,
  SimTimeoutError,
  Simulator,
  type Signal,
} from '../../rtl/hdl/index.ts';

class Counter extends Component {
  readonly count: Signal<number>;
  readonly doubled: Signal<number>;
  readonly enable: Signal<number>;
  constructor(sim: Simulator) {
    super(sim, 'counter');
    this.enable = this.wire('enable', 1, 1);
    this.count = this.reg('count', 8);
    this.doubled = this.wire('doubled', 9);
    this.seq('tick', () => {
      if (this.enable.value) this.count.set((this.count.value + 1) & 0xff);
    });
    this.comb('double', [this.count], () => this.doubled.set(this.count.value * 2));
  }
}

describe('signals', () => {
  it('keeps writes in next until the commit', () => {
    const sim = new Simulator();
    const a = sim.signal('a', 8);
    a.set(5);
    expect(a.value).toBe(0);
    sim.step();
    expect(a.value).toBe(5);
  });

  it('rejects values that do not fit the width, naming the signal', () => {
    const sim = new Simulator();
    const a = sim.signal('top.a', 4);
    expect(() => a.set(16)).toThrow(SignalRangeError);
    expect(() => a.set(16)).toThrow(/top\.a \(width 4\)/);
    expect(() => a.set(-1)).toThrow(SignalRangeError);
    expect(() => a.set(1.5)).toThrow(SignalRangeError);
    const w = sim.wideSignal('top.w', 48);
    expect(() => w.set(1n << 48n)).toThrow(/top\.w \(width 48\)/);
  });

  it('holds 64-bit values exactly', () => {
    const sim = new Simulator();
    const w = sim.wideSignal('w', 64);
    w.set(0xffff_ffff_ffff_fffen);
    sim.step();
    expect(w.value).toBe(0xffff_ffff_ffff_fffen);
    const offset = sim.wideSignal('offset', 48);
    offset.set((0xabcdn << 32n) | (0x5an << 24n) | (1n << 23n) | 0xfffffn);
    sim.step();
    expect(offset.value >> 32n).toBe(0xabcdn);
    expect(offset.value & 0xfffffn).toBe(0xfffffn);
  });

  it('refuses a second process driving the same signal', () => {
    const sim = new Simulator();
    const a = sim.signal('a', 1);
    sim.seq('p1', () => a.set(1));
    sim.seq('p2', () => a.set(0));
    expect(() => sim.step()).toThrow(MultipleDriverError);
  });
});

describe('register and wire timing', () => {
  it('a register changes one cycle after its input; a wire follows in the same cycle', () => {
    const sim = new Simulator();
    const c = new Counter(sim);
    sim.step(); // cycle 0 settle + one edge
    expect(c.count.value).toBe(1);
    expect(c.doubled.value).toBe(2);
    c.enable.set(0);
    sim.step();
    // The code between two step() calls is the testbench of the current cycle: its write to
    // enable settles before the next edge, which samples enable=0 (exactly as in a process).
    expect(c.count.value).toBe(1);
    sim.step();
    expect(c.count.value).toBe(1);
  });

  it('a pipeline of registers delays by exactly one cycle per stage', () => {
    const sim = new Simulator();
    const input = sim.signal('in', 8);
    const stages = [0, 1, 2].map((i) => sim.signal(`s${i}`, 8, 0, 'reg'));
    sim.seq('pipe', () => {
      stages[0].set(input.value);
      stages[1].set(stages[0].value);
      stages[2].set(stages[1].value);
    });
    input.set(42);
    sim.step(); // in becomes 42 (committed after the first edge's sampling? see below)
    const seen: number[] = [];
    for (let i = 0; i < 4; i++) {
      sim.step();
      seen.push(stages[2].value);
    }
    // in committed at cycle 0's start; s0 gets it at edge 1, s1 at 2, s2 at 3.
    expect(seen.indexOf(42)).toBe(1);
  });
});

describe('delta cycles', () => {
  function chain(order: 'forward' | 'reverse'): number[] {
    const sim = new Simulator();
    const a = sim.signal('a', 8, 0, 'reg');
    const b = sim.signal('b', 8);
    const c = sim.signal('c', 8);
    const d = sim.signal('d', 9);
    const procs: [string, Signal<number>[], () => void][] = [
      ['b', [a], () => b.set((a.value + 1) & 0xff)],
      ['c', [b], () => c.set((b.value * 3) & 0xff)],
      ['d', [b, c], () => d.set(b.value + c.value)],
    ];
    for (const [n, ins, fn] of order === 'forward' ? procs : [...procs].reverse()) sim.comb(n, ins, fn);
    sim.seq('a', () => a.set((a.value + 7) & 0xff));
    const out: number[] = [];
    for (let i = 0; i < 20; i++) {
      sim.step();
      out.push(d.value);
    }
    return out;
  }

  it('give the same settled values whatever the process order', () => {
    expect(chain('forward')).toEqual(chain('reverse'));
    const first = chain('forward');
    // d = (a+1) + 3(a+1) mod 256 parts, checked independently for cycle 1 (a = 7).
    expect(first[0]).toBe(8 + ((8 * 3) & 0xff));
  });

  it('report a combinational loop as exactly the signals on it', () => {
    const sim = new Simulator();
    const x = sim.signal('loop.x', 1);
    const y = sim.signal('loop.y', 1);
    sim.comb('inv1', [y], () => x.set(y.value ^ 1));
    sim.comb('inv2', [x], () => y.set(x.value));
    let error: unknown;
    try {
      sim.step();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CombinationalLoopError);
    const loop = error as CombinationalLoopError;
    expect(loop.signalNames).toEqual(['loop.x', 'loop.y']);
    expect(loop.processNames).toEqual(['inv1', 'inv2']);
  });

  it('a process that feeds its own output back is a loop, even one that would settle (a latch)', () => {
    const sim = new Simulator();
    const set = sim.signal('set', 1);
    const q = sim.signal('q', 1);
    sim.comb('latch', [set, q], () => q.set(set.value | q.value));
    set.set(1);
    expect(() => sim.step()).toThrow(/combinational loop in cycle 0 through signals q \(processes latch\)/);
  });
});

describe('testbench processes', () => {
  it('resume after the requested cycles and see settled state', async () => {
    const sim = new Simulator();
    const c = new Counter(sim);
    const seen: [number, number, number][] = [];
    sim.process('watch', async () => {
      for (let i = 0; i < 3; i++) {
        await sim.tick(2);
        seen.push([sim.cycle, c.count.value, c.doubled.value]);
      }
    });
    await sim.run();
    expect(seen).toEqual([
      [2, 2, 4],
      [4, 4, 8],
      [6, 6, 12],
    ]);
  });

  it('until() waits for a condition and edge() for a rising edge', async () => {
    const sim = new Simulator();
    const c = new Counter(sim);
    const flag = sim.signal('flag', 1);
    sim.comb('flag', [c.count], () => flag.set(c.count.value === 10 ? 1 : 0));
    let atUntil = -1;
    let atRise = -1;
    let atFall = -1;
    sim.process('p', async () => {
      await sim.until(() => c.count.value >= 5, { what: 'count >= 5' });
      atUntil = sim.cycle;
      await sim.edge(flag, 'rise');
      atRise = sim.cycle;
      await sim.edge(flag, 'fall');
      atFall = sim.cycle;
    });
    await sim.run();
    expect([atUntil, atRise, atFall]).toEqual([5, 10, 11]);
  });

  it('run in creation order within a cycle, and a later process sees an earlier one\'s writes', async () => {
    const sim = new Simulator();
    const a = sim.signal('a', 8);
    const order: string[] = [];
    sim.process('first', async () => {
      await sim.tick();
      a.set(9);
      order.push(`first@${sim.cycle}`);
      await sim.tick();
    });
    sim.process('second', async () => {
      await sim.tick();
      order.push(`second@${sim.cycle}:a=${a.value}`);
    });
    await sim.run();
    expect(order).toEqual(['first@1', 'second@1:a=9']);
  });

  it('a timeout fails clearly and names what was awaited', async () => {
    const sim = new Simulator();
    sim.process('stuck', async () => {
      await sim.until(() => false, { timeout: 25, what: 'ready that never comes' });
    });
    const err = await sim.run().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProcessError);
    const cause = (err as ProcessError).cause;
    expect(cause).toBeInstanceOf(SimTimeoutError);
    expect((cause as Error).message).toMatch(/stuck waiting for ready that never comes/);
    expect((cause as SimTimeoutError).cycle).toBe(25);
  });

  it('a process may catch a timeout and go on', async () => {
    const sim = new Simulator();
    let caught = false;
    sim.process('p', async () => {
      try {
        await sim.until(() => false, { timeout: 3 });
      } catch (e) {
        caught = e instanceof SimTimeoutError;
      }
      await sim.tick();
    });
    await sim.run();
    expect(caught).toBe(true);
    expect(sim.cycle).toBe(4);
  });

  it('the run limit stops processes that never finish', async () => {
    const sim = new Simulator();
    sim.process('forever', async () => {
      for (;;) await sim.tick();
    });
    await expect(sim.run({ maxCycles: 100 })).rejects.toThrow(/run limit reached.*forever/);
  });

  it('tick() outside a process is an error', () => {
    const sim = new Simulator();
    expect(() => sim.tick()).toThrow(/inside a testbench process/);
  });

  it('a hardware assertion stops the run with cycle and signal values', async () => {
    class Guard extends Component {
      constructor(sim: Simulator) {
        super(sim, 'guard');
        const n = this.reg('n', 8);
        this.seq('count', () => {
          this.check(n.value < 3, 'n must stay below 3', [n]);
          n.set(n.value + 1);
        });
      }
    }
    const sim = new Simulator();
    new Guard(sim);
    sim.process('p', async () => {
      await sim.tick(10);
    });
    const err = await sim.run().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SimAssertionError);
    expect((err as Error).message).toBe('assertion failed in guard at cycle 4: n must stay below 3 [guard.n=0x3]');
  });
});

describe('SimMutex', () => {
  it('serialises processes first come first served without deadlocking the kernel', async () => {
    const { SimMutex } = await import('../../models/host/sim-mutex.ts');
    const sim = new Simulator();
    const lock = new SimMutex(sim, 'bus');
    const log: string[] = [];
    for (const name of ['a', 'b', 'c']) {
      sim.process(name, async () => {
        await lock.with(async () => {
          log.push(`${name}+${sim.cycle}`);
          await sim.tick(5);
          log.push(`${name}-${sim.cycle}`);
        });
      });
    }
    await sim.run({ maxCycles: 100 });
    // A waiter later in process order gets the lock in the same cycle it is released.
    expect(log).toEqual(['a+0', 'a-5', 'b+5', 'b-10', 'c+10', 'c-15']);
    expect(lock.locked).toBe(false);
  });
});

describe('edges and changes made by testbench processes', () => {
  for (const order of ['waiter first', 'driver first'] as const) {
    it(`edge() sees a rise driven by another process (${order})`, async () => {
      const sim = new Simulator();
      const s = sim.signal('t.s', 1);
      let seenAt = -1;
      const waiter = async (): Promise<void> => {
        await sim.edge(s, 'rise', { timeout: 20 });
        seenAt = sim.cycle;
      };
      const driver = async (): Promise<void> => {
        await sim.tick(3);
        s.set(1);
        await sim.tick();
        s.set(0);
        await sim.tick();
      };
      if (order === 'waiter first') {
        sim.process('waiter', waiter);
        sim.process('driver', driver);
      } else {
        sim.process('driver', driver);
        sim.process('waiter', waiter);
      }
      await sim.run();
      // A later process sees the write in the same cycle; an earlier one when the cycle is published.
      expect(seenAt).toBe(order === 'waiter first' ? 4 : 3);
    });
  }

  it('a value set after an earlier settle in the same cycle still reaches a subscriber who came in between', async () => {
    const sim = new Simulator(); // no tracer: change tracking starts with the subscription
    const s = sim.signal('t.v', 4, 0, 'reg');
    const emitted: number[] = [];
    sim.process('p', async () => {
      await sim.tick(2);
      s.set(1);
      sim.settleNow();
      s.changes$.subscribe((v) => emitted.push(v));
      s.set(2);
      sim.settleNow();
      await sim.tick(3);
    });
    await sim.run();
    sim.dispose();
    expect(s.value).toBe(2);
    expect(emitted).toEqual([2]);
  });

  it('settleNow() outside a process is an error', () => {
    const sim = new Simulator();
    expect(() => sim.settleNow()).toThrow(/only be called from a testbench process/);
  });
});
