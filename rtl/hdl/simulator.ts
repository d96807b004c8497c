import { Observable, Subject } from 'rxjs';
import { SimAssertionError, SimDisposedError, SimTimeoutError, nameWaveforms } from './errors.ts';
import { Evaluator } from './evaluate.ts';
import type { Tracer } from './registry.ts';
import { TestbenchScheduler, type ProcessHandle } from './scheduler.ts';
import type { Signal, SignalKind, SignalValue } from './signal.ts';
import { DISPOSED, Role, phaseName, type Phase } from './writer.ts';

export type { Tracer } from './registry.ts';
export type { ProcessHandle } from './scheduler.ts';
export type { Phase } from './writer.ts';

// Node 20 has the symbol; the fallback keeps `await using` working on runtimes that lack it.
(Symbol as { asyncDispose?: symbol }).asyncDispose ??= Symbol.for('nodejs.asyncDispose');

export interface SimulatorOptions {
  /** Clock period in picoseconds; only the waveform time axis uses it. */
  clockPeriodPs?: number;
  /** Refuse a combinational read of a signal outside the process's sensitivity list (costs a check per read). */
  strict?: boolean;
  /** Shuffle the registration order of hardware processes with this seed (results must not change). */
  hardwareOrderSeed?: number;
  /** run() lets the event loop run at least this often (milliseconds of wall time). */
  yieldIntervalMs?: number;
  /**
   * Idle skipping (default true). false: the cycle-by-cycle path — idle() declarations are
   * ignored, so every clocked process runs at every edge, and no cycle is jumped over.
   */
  skipIdle?: boolean;
}

export interface RunOptions {
  /** Stop with SimTimeoutError if processes are still alive after this many more cycles. */
  maxCycles?: number;
}

/** A clocked process as its component sees it. */
export interface ClockedProcess {
  readonly name: string;
  /** Run it again from the next edge, if idle: its state changed in a way no signal shows (a service call). */
  wake(): void;
}

const DEFAULT_MAX_RUN_CYCLES = 100_000_000;
/** Cycles between two looks at the wall clock in run(): a clock read per cycle would cost more than it saves. */
const YIELD_CHECK_CYCLES = 256;

/**
 * The simulation kernel's public face: one clock domain, evaluate/commit with combinational
 * logic in topological order, testbench processes that only ever see settled state. The
 * contract is in rtl/hdl/README.md.
 */
export class Simulator {
  /** Defaults for options a caller leaves out (the test suite turns strict mode on here). */
  static readonly defaults: { strict: boolean; hardwareOrderSeed?: number; skipIdle: boolean } = { strict: false, skipIdle: true };

  readonly clockPeriodPs: number;
  private readonly ev: Evaluator;
  private readonly tb: TestbenchScheduler;
  private readonly hardwareOrderSeed: number | undefined;
  private readonly yieldIntervalMs: number;
  readonly skipIdle: boolean;
  /** Cycles jumped over by idle skipping (statistics). */
  skippedCycles = 0;
  private startError: unknown = undefined;
  private disposed = false;
  private endSubject?: Subject<number>;

  constructor(options: SimulatorOptions = {}) {
    this.clockPeriodPs = options.clockPeriodPs ?? 1000;
    if (!Number.isInteger(this.clockPeriodPs) || this.clockPeriodPs < 2 || this.clockPeriodPs % 2 !== 0) {
      throw new RangeError(`clockPeriodPs must be an even integer >= 2, got ${options.clockPeriodPs}`);
    }
    this.skipIdle = options.skipIdle ?? Simulator.defaults.skipIdle;
    this.ev = new Evaluator(options.strict ?? Simulator.defaults.strict, this.skipIdle);
    this.tb = new TestbenchScheduler(this.ev);
    this.hardwareOrderSeed = options.hardwareOrderSeed ?? Simulator.defaults.hardwareOrderSeed;
    this.yieldIntervalMs = options.yieldIntervalMs ?? 20;
  }

  /** Rising edges completed so far. */
  get cycle(): number {
    return this.ev.cycle;
  }

  get signals(): readonly Signal<SignalValue>[] {
    return this.ev.registry.signals;
  }

  /** What kind of code runs now (the phase a write would happen in). */
  get phase(): Phase {
    return phaseName(this.ev.writer.role);
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  private alive(operation: string): void {
    if (this.disposed) throw new SimDisposedError(operation, this.ev.cycle);
  }

  // ---------------------------------------------------------------- elaboration

  signal(name: string, width: number, initial = 0, kind: SignalKind = 'wire'): Signal<number> {
    if (!Number.isInteger(width) || width < 1 || width > 32) {
      throw new RangeError(`signal ${name}: width ${width} must be 1..32 (use wideSignal for 33..64)`);
    }
    this.alive(`signal(${name})`);
    return this.ev.registry.signal(name, width, initial, kind);
  }

  wideSignal(name: string, width: number, initial = 0n, kind: SignalKind = 'wire'): Signal<bigint> {
    if (!Number.isInteger(width) || width < 33 || width > 64) {
      throw new RangeError(`signal ${name}: width ${width} must be 33..64 for a wide signal`);
    }
    this.alive(`wideSignal(${name})`);
    return this.ev.registry.signal(name, width, initial, kind);
  }

  /** A combinational process: runs whenever one of `inputs` changes, after every process it reads from. */
  comb(name: string, inputs: readonly Signal<SignalValue>[], fn: () => void): void {
    this.alive(`comb(${name})`);
    this.ev.registry.comb(name, inputs, fn);
    this.ev.combAdded();
  }

  /** A clocked process: runs at every rising edge (unless idle), reading settled values and writing next ones. */
  seq(name: string, fn: () => void): ClockedProcess {
    this.alive(`seq(${name})`);
    const proc = this.ev.registry.seq(name, fn);
    this.ev.seqAdded();
    return { name, wake: () => this.ev.wake(proc) };
  }

  /**
   * Inside a clocked process: declare it idle — running it again would change nothing until one
   * of `wakeOn` changes (it runs at the edge after the change) or until the edge of cycle
   * `until`. The kernel does not run it meanwhile, and jumps over cycles in which nothing at all
   * can happen. Any write to a signal it drives by force/deposit wakes it too. With
   * `skipIdle: false` the declaration is ignored and the process keeps running every edge.
   */
  idle(wakeOn: readonly Signal<SignalValue>[], until = Number.POSITIVE_INFINITY): void {
    this.ev.sleep(wakeOn, until);
  }



  addTracer(tracer: Tracer): void {
    this.alive('addTracer()');
    if (this.ev.started) throw new Error('tracers must be added before the simulation starts');
    this.ev.registry.tracers.push(tracer);
  }

  /**
   * Register a teardown run by dispose() (subscriptions made by components and tracers). Returns
   * the function that unregisters it: a component closed before the simulation ends calls it,
   * or the registry keeps the component (and everything it references) alive until dispose().
   */
  onDispose(teardown: () => void): () => void {
    const entry = { run: teardown };
    const teardowns = this.ev.registry.teardowns;
    teardowns.add(entry);
    return () => void teardowns.delete(entry);
  }

  // ---------------------------------------------------------------- phase streams (observers: read only)

  /** Emits the cycle number at each rising edge, before clocked processes run. */
  get edge$(): Observable<number> {
    return this.ev.edgeStream.observable;
  }

  /**
   * Emits the cycle number once the clocked and combinational logic of the cycle has settled,
   * before testbench processes run: what a passive monitor on an interface should sample.
   */
  get hardwareSettled$(): Observable<number> {
    return this.ev.hardwareStream.observable;
  }

  /** Emits the cycle number once everything in the cycle (testbench included) has settled. */
  get settled$(): Observable<number> {
    return this.ev.settledStream.observable;
  }

  /** Emits once when the simulation is disposed, then completes. */
  get end$(): Observable<number> {
    this.endSubject ??= new Subject<number>();
    return this.endSubject.asObservable();
  }

  // ---------------------------------------------------------------- running

  private start(): void {
    if (this.startError !== undefined) throw this.startError;
    if (this.ev.started) return;
    try {
      this.ev.start(this.hardwareOrderSeed, this);
    } catch (e) {
      // A tracer that cannot start (unknown scope, clashing names) leaves the run unstartable.
      this.startError = e;
      throw e;
    }
  }

  /**
   * Run `cycles` clock cycles. The code around step() calls is the testbench of the current
   * cycle, exactly like a process: its writes settle before the next edge, and the cycle goes
   * to tracers and observers when time moves on (the next step or run, or dispose).
   */
  step(cycles = 1): void {
    this.alive('step()');
    if (this.tb.current !== null) throw new Error('step() inside a testbench process; await sim.tick() instead');
    try {
      this.start();
      const end = this.ev.cycle + cycles;
      while (this.ev.cycle < end) {
        this.ev.finishCycle();
        this.skipTo(end);
        this.ev.advance();
      }
    } catch (e) {
      throw this.failed(e);
    }
  }

  /** When nothing can happen before cycle `bound` (or an idle process's timer), jump to the cycle before it. */
  private skipTo(bound: number): void {
    if (!this.skipIdle || !this.ev.quiet) return;
    const target = Math.min(bound, this.ev.nextTimedWake()) - 1;
    if (target <= this.ev.cycle || !Number.isFinite(target)) return;
    this.skippedCycles += target - this.ev.cycle;
    this.ev.jumpTo(target);
  }

  /** Run until every testbench process has finished. */
  async run(options: RunOptions = {}): Promise<void> {
    this.alive('run()');
    const ev = this.ev;
    const tb = this.tb;
    const limit = ev.cycle + (options.maxCycles ?? DEFAULT_MAX_RUN_CYCLES);
    try {
      this.start();
      tb.armWatchdog();
      let lastYield = performance.now();
      // The current cycle's testbench part first, unless it is over (published).
      let advance = ev.published;
      let sinceCheck = 0;
      while (!advance || tb.alive > 0) {
        if (advance) {
          if (ev.cycle >= limit) throw new SimTimeoutError(ev.cycle, `run limit reached with processes alive: ${tb.describeAlive()}`);
          if (!tb.ranInCycle && this.skipIdle && ev.quiet) this.skipTo(Math.min(limit, tb.nextWake()));
          ev.advance();
        }
        advance = true;
        for (let waking = tb.wake(); waking !== null; waking = tb.wakeNext()) {
          try {
            await waking;
          } finally {
            tb.parkedAgain();
          }
        }
        ev.finishCycle();
        if (++sinceCheck === YIELD_CHECK_CYCLES) {
          sinceCheck = 0;
          if (performance.now() - lastYield >= this.yieldIntervalMs) {
            await tb.yieldToEventLoop();
            lastYield = performance.now();
          }
        }
      }
      for (const t of ev.registry.tracers) t.flush?.();
    } catch (e) {
      throw this.failed(e);
    }
  }

  /** Commit a testbench process's writes now and settle, so it reads their effects. */
  settleNow(): void {
    this.alive('settleNow()');
    if (this.tb.current === null || this.ev.writer.role !== Role.TESTBENCH) throw new Error('settleNow() may only be called from a testbench process');
    this.ev.settle();
  }

  // ---------------------------------------------------------------- testbench processes

  /** Start a testbench process. Processes are resumed in the order they were created. */
  process(name: string, body: () => Promise<void>): ProcessHandle {
    this.alive(`process(${name})`);
    return this.tb.process(name, body);
  }

  /** Wait `cycles` rising edges; resumes with the settled state of that cycle. */
  tick(cycles = 1): Promise<void> {
    this.alive('tick()');
    return this.tb.tick(cycles);
  }

  /**
   * Wait until `pred` holds on settled state (checked now, then once per cycle).
   * Rejects with SimTimeoutError after `timeout` cycles.
   */
  until(pred: () => boolean, options: { timeout?: number; what?: string } = {}): Promise<void> {
    this.alive('until()');
    return this.tb.until(pred, options);
  }

  /** Wait for a rising (0→1), falling or any change of a signal. */
  edge(sig: Signal<SignalValue>, which: 'rise' | 'fall' | 'change' = 'change', options: { timeout?: number } = {}): Promise<void> {
    this.alive('edge()');
    return this.tb.edge(sig, which, options);
  }

  /** Wait, inside a process, for another process to finish. */
  join(handle: ProcessHandle, options: { timeout?: number } = {}): Promise<void> {
    this.alive('join()');
    return this.tb.join(handle, options);
  }

  /** Stop the simulation from a hardware assertion; names the signals and their values. */
  fail(where: string, detail: string, signals: readonly Signal<SignalValue>[] = []): never {
    const values: Record<string, string> = {};
    for (const s of signals) values[s.name] = `0x${s.value.toString(16)}`;
    throw new SimAssertionError(this.ev.cycle, where, detail, values);
  }

  // ---------------------------------------------------------------- lifecycle

  /** A failed step/run: the failing cycle goes to the tracers, which are closed; the error names the files. */
  private failed(error: unknown): unknown {
    if (this.disposed || !this.ev.started) return error;
    try {
      this.ev.publish();
    } catch {
      // The failing cycle is recorded as far as it got; the first error is the one to report.
    }
    const files = this.ev.registry.tracers.flatMap((t) => (t.file !== undefined ? [t.file] : []));
    try {
      this.close();
    } catch {
      // Same: a tracer that cannot close does not hide the failure.
    }
    nameWaveforms(error, files);
    return error;
  }

  /** End the simulation: publish the last cycle, close tracers, complete every stream, run teardowns. Final. */
  dispose(): void {
    if (this.disposed) return;
    try {
      if (this.ev.started && !this.ev.published) this.ev.finishCycle();
    } finally {
      this.close();
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.dispose();
  }

  private close(): void {
    this.disposed = true;
    this.ev.writer = DISPOSED;
    this.tb.disarmWatchdog();
    const errors: unknown[] = [];
    const attempt = (f: () => void): void => {
      try {
        f();
      } catch (e) {
        errors.push(e);
      }
    };
    for (const t of this.ev.registry.tracers) attempt(() => t.end());
    attempt(() => this.endSubject?.next(this.ev.cycle));
    const teardowns = [...this.ev.registry.teardowns];
    this.ev.registry.teardowns.clear();
    for (const { run } of teardowns) attempt(run);
    for (const s of this.ev.registry.signals) s.complete();
    this.ev.edgeStream.complete();
    this.ev.settledStream.complete();
    this.ev.hardwareStream.complete();
    this.endSubject?.complete();
    if (errors.length > 0) throw errors[0];
  }
}
