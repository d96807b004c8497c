import { Observable, Subject } from 'rxjs';
import { Signal, type SignalHost, type SignalKind, type SignalValue, type CombReader } from './signal.ts';
import { CombinationalLoopError, ProcessError, SimAssertionError, SimTimeoutError } from './errors.ts';

export interface SimulatorOptions {
  /** Delta cycles allowed per settle before a combinational loop is reported. */
  maxDeltaCycles?: number;
  /** Clock period in picoseconds; only the waveform time axis uses it. */
  clockPeriodPs?: number;
}

/** Something that records settled values: the VCD writer is one. */
export interface Tracer {
  begin(sim: Simulator): void;
  /** Called once per settled cycle with the signals whose value changed in it (cycle 0: none); the array is reused after the call. */
  sample(cycle: number, changed: readonly Signal<SignalValue>[]): void;
  end(): void;
}

interface CombProcess extends CombReader {
  readonly name: string;
  readonly fn: () => void;
  readonly inputs: readonly Signal<SignalValue>[];
}

interface SeqProcess {
  readonly name: string;
  readonly fn: () => void;
}

type Wait =
  | { kind: 'start' }
  | { kind: 'cycle'; at: number }
  | { kind: 'until'; pred: () => boolean; deadline: number; what: string };

interface TestbenchProcess {
  readonly name: string;
  readonly body: () => Promise<void>;
  wait: Wait | null;
  resume: ((error?: Error) => void) | null;
  parked: (() => void) | null;
  done: boolean;
  error: unknown;
  readonly finished: Promise<void>;
  resolveFinished: () => void;
}

export interface ProcessHandle {
  readonly name: string;
  /** Resolves when the process body returns; never rejects (errors stop the run instead). */
  readonly finished: Promise<void>;
  readonly done: boolean;
}

export interface RunOptions {
  /** Stop with SimTimeoutError if processes are still alive after this many more cycles. */
  maxCycles?: number;
}

const DEFAULT_MAX_DELTAS = 1000;
const DEFAULT_MAX_RUN_CYCLES = 100_000_000;

/**
 * The simulation kernel: one clock domain, evaluate/commit scheduling with delta cycles,
 * testbench processes as async functions that only ever see settled state.
 */
export class Simulator implements SignalHost {
  readonly clockPeriodPs: number;
  private readonly maxDeltas: number;
  private readonly allSignals: Signal<SignalValue>[] = [];
  private readonly names = new Set<string>();
  private readonly combs: CombProcess[] = [];
  private readonly seqs: SeqProcess[] = [];
  private readonly processes: TestbenchProcess[] = [];
  private readonly tracers: Tracer[] = [];
  // Work lists are arrays with a separate count, swapped with a spare between phases, so the
  // hot loop never allocates or truncates.
  private pendingSignals: Signal<SignalValue>[] = [];
  private pendingCount = 0;
  private spareSignals: Signal<SignalValue>[] = [];
  private combQueue: CombProcess[] = [];
  private combCount = 0;
  private spareQueue: CombProcess[] = [];
  private changedThisCycle: Signal<SignalValue>[] = [];
  private currentProcess: TestbenchProcess | null = null;
  private started = false;
  private startError: unknown = undefined;
  private disposed = false;
  private cycleCount = 0;
  activeDriver: object | undefined = undefined;
  /** Whether settled changes are collected for tracers and observers (off until someone looks). */
  private changeTracking = false;

  private edgeSubject?: Subject<number>;
  private settledSubject?: Subject<number>;
  private hardwareSubject?: Subject<number>;
  private endSubject?: Subject<number>;
  private readonly teardowns: (() => void)[] = [];

  constructor(options: SimulatorOptions = {}) {
    this.maxDeltas = options.maxDeltaCycles ?? DEFAULT_MAX_DELTAS;
    this.clockPeriodPs = options.clockPeriodPs ?? 1000;
    if (!Number.isInteger(this.clockPeriodPs) || this.clockPeriodPs < 2 || this.clockPeriodPs % 2 !== 0) {
      throw new RangeError(`clockPeriodPs must be an even integer >= 2, got ${options.clockPeriodPs}`);
    }
  }

  /** Rising edges completed so far. */
  get cycle(): number {
    return this.cycleCount;
  }

  get signals(): readonly Signal<SignalValue>[] {
    return this.allSignals;
  }

  // ---------------------------------------------------------------- elaboration

  signal(name: string, width: number, initial = 0, kind: SignalKind = 'wire'): Signal<number> {
    if (!Number.isInteger(width) || width < 1 || width > 32) {
      throw new RangeError(`signal ${name}: width ${width} must be 1..32 (use wideSignal for 33..64)`);
    }
    return this.register(name, width, initial, kind);
  }

  wideSignal(name: string, width: number, initial = 0n, kind: SignalKind = 'wire'): Signal<bigint> {
    if (!Number.isInteger(width) || width < 33 || width > 64) {
      throw new RangeError(`signal ${name}: width ${width} must be 33..64 for a wide signal`);
    }
    return this.register(name, width, initial, kind);
  }

  private register<T extends SignalValue>(name: string, width: number, initial: T, kind: SignalKind): Signal<T> {
    if (this.names.has(name)) throw new Error(`duplicate signal name ${name}`);
    this.names.add(name);
    const sig = new Signal<T>(this, this.allSignals.length, name, width, kind, initial);
    this.allSignals.push(sig as unknown as Signal<SignalValue>);
    return sig;
  }

  /** A combinational process: re-runs whenever one of `inputs` changes, reading settled values. */
  comb(name: string, inputs: readonly Signal<SignalValue>[], fn: () => void): void {
    const proc: CombProcess = { name, fn, inputs, queued: false };
    for (const s of inputs) s.readers.push(proc);
    this.combs.push(proc);
    if (this.started) this.enqueue(proc);
  }

  /** A clocked process: runs at every rising edge, reading settled values and writing next ones. */
  seq(name: string, fn: () => void): void {
    this.seqs.push({ name, fn });
  }

  addTracer(tracer: Tracer): void {
    if (this.started) throw new Error('tracers must be added before the simulation starts');
    this.tracers.push(tracer);
    this.changeTracking = true;
  }

  /** Register a teardown run by dispose() (subscriptions made by components and tracers). */
  onDispose(teardown: () => void): void {
    this.teardowns.push(teardown);
  }

  // ---------------------------------------------------------------- phase streams

  /** Emits the cycle number at each rising edge, before clocked processes run. */
  get edge$(): Observable<number> {
    this.edgeSubject ??= new Subject<number>();
    return this.edgeSubject.asObservable();
  }

  /**
   * Emits the cycle number once the clocked and combinational logic of the cycle has settled,
   * before testbench processes run: what a passive monitor on an interface should sample.
   */
  get hardwareSettled$(): Observable<number> {
    this.hardwareSubject ??= new Subject<number>();
    return this.hardwareSubject.asObservable();
  }

  /** Emits the cycle number once everything in the cycle (processes included) has settled. */
  get settled$(): Observable<number> {
    this.settledSubject ??= new Subject<number>();
    return this.settledSubject.asObservable();
  }

  /** Emits once when the simulation is disposed, then completes. */
  get end$(): Observable<number> {
    this.endSubject ??= new Subject<number>();
    return this.endSubject.asObservable();
  }

  // ---------------------------------------------------------------- kernel

  trackChanges(): void {
    this.changeTracking = true;
  }

  markPending(signal: Signal<SignalValue>): void {
    this.pendingSignals[this.pendingCount++] = signal;
  }

  private enqueue(proc: CombProcess): void {
    if (!proc.queued) {
      proc.queued = true;
      this.combQueue[this.combCount++] = proc;
    }
  }

  private commit(): void {
    const n = this.pendingCount;
    if (n === 0) return;
    const pending = this.pendingSignals;
    // Swap buffers so writes made while readers run land in the other array.
    this.pendingSignals = this.spareSignals;
    this.spareSignals = pending;
    this.pendingCount = 0;
    const cycle = this.cycleCount;
    for (let i = 0; i < n; i++) {
      const sig = pending[i];
      if (!sig.commit(cycle)) continue;
      // Membership by flag, not by lastChange: a change after an earlier publish in the same
      // cycle (settleNow) must still reach tracers and observers.
      if (this.changeTracking && !sig.inChangedList) {
        sig.inChangedList = true;
        this.changedThisCycle.push(sig);
      }
      const readers = sig.readers;
      for (let r = 0; r < readers.length; r++) this.enqueue(readers[r] as CombProcess);
    }
  }

  /** Commit pending writes and re-run combinational processes until nothing changes. */
  private settle(): void {
    this.commit();
    let deltas = 0;
    while (this.combCount > 0) {
      const batch = this.combQueue;
      const n = this.combCount;
      if (++deltas > this.maxDeltas) {
        const changing = batch.slice(0, n).flatMap((p) => p.inputs.filter((s) => s.lastChange === this.cycleCount));
        const names = [...new Set(changing.map((s) => s.name))].sort();
        for (let i = 0; i < n; i++) batch[i].queued = false;
        this.combCount = 0;
        throw new CombinationalLoopError(this.cycleCount, names, this.maxDeltas);
      }
      this.combQueue = this.spareQueue;
      this.spareQueue = batch;
      this.combCount = 0;
      for (let i = 0; i < n; i++) {
        const proc = batch[i];
        proc.queued = false;
        this.activeDriver = proc;
        proc.fn();
      }
      this.activeDriver = undefined;
      this.commit();
    }
  }

  private start(): void {
    if (this.startError !== undefined) throw this.startError;
    if (this.started) return;
    if (this.disposed) throw new Error('simulation was disposed');
    try {
      for (const t of this.tracers) t.begin(this);
    } catch (e) {
      // A tracer that cannot start (unknown scope, clashing names) leaves the run unstartable.
      this.startError = e;
      throw e;
    }
    this.started = true;
    for (const c of this.combs) this.enqueue(c);
    this.settle();
  }

  /** Rising edge: clocked processes sample settled values, commit, then settle the combinational logic. */
  private advance(): void {
    this.cycleCount++;
    this.edgeSubject?.next(this.cycleCount);
    for (const p of this.seqs) {
      this.activeDriver = p;
      p.fn();
    }
    this.activeDriver = undefined;
    this.settle();
    this.hardwareSubject?.next(this.cycleCount);
  }

  /** The cycle is final: tracers and observers see it. */
  private publish(): void {
    const changed = this.changedThisCycle;
    for (const t of this.tracers) t.sample(this.cycleCount, changed);
    for (let i = 0; i < changed.length; i++) {
      changed[i].inChangedList = false;
      changed[i].emitSettled();
    }
    changed.length = 0;
    this.settledSubject?.next(this.cycleCount);
  }

  /** Run `cycles` clock cycles synchronously, without testbench processes. */
  step(cycles = 1): void {
    if (!this.started) {
      this.start();
      this.publish();
    }
    for (let i = 0; i < cycles; i++) {
      this.advance();
      this.publish();
    }
  }

  /** Commit a testbench's writes now and settle, so the process reads its own writes' effects. */
  settleNow(): void {
    if (this.currentProcess === null || this.activeDriver !== undefined) throw new Error('settleNow() may only be called from a testbench process');
    this.settle();
  }

  // ---------------------------------------------------------------- testbench processes

  /** Start a testbench process. Processes are resumed in the order they were created. */
  process(name: string, body: () => Promise<void>): ProcessHandle {
    let resolveFinished!: () => void;
    const finished = new Promise<void>((r) => (resolveFinished = r));
    const proc: TestbenchProcess = {
      name,
      body,
      wait: { kind: 'start' },
      resume: null,
      parked: null,
      done: false,
      error: undefined,
      finished,
      resolveFinished,
    };
    this.processes.push(proc);
    return {
      name,
      finished,
      get done() {
        return proc.done;
      },
    };
  }

  private requireProcess(what: string): TestbenchProcess {
    const proc = this.currentProcess;
    if (proc === null) throw new Error(`${what} can only be awaited inside a testbench process`);
    if (proc.wait !== null) throw new Error(`process ${proc.name} is already waiting; await one thing at a time`);
    return proc;
  }

  private park(proc: TestbenchProcess, wait: Wait): Promise<void> {
    proc.wait = wait;
    const promise = new Promise<void>((resolve, reject) => {
      proc.resume = (error) => (error ? reject(error) : resolve());
    });
    const parked = proc.parked;
    proc.parked = null;
    parked?.();
    return promise;
  }

  /** Wait `cycles` rising edges; resumes with the settled state of that cycle. */
  tick(cycles = 1): Promise<void> {
    if (!Number.isInteger(cycles) || cycles < 1) throw new RangeError(`tick(${cycles}): cycles must be >= 1`);
    const proc = this.requireProcess('tick()');
    return this.park(proc, { kind: 'cycle', at: this.cycleCount + cycles });
  }

  /**
   * Wait until `pred` holds on settled state (checked now, then once per cycle).
   * Rejects with SimTimeoutError after `timeout` cycles.
   */
  until(pred: () => boolean, options: { timeout?: number; what?: string } = {}): Promise<void> {
    const proc = this.requireProcess('until()');
    if (pred()) return Promise.resolve();
    const timeout = options.timeout ?? Number.POSITIVE_INFINITY;
    return this.park(proc, {
      kind: 'until',
      pred,
      deadline: this.cycleCount + timeout,
      what: options.what ?? 'condition',
    });
  }

  /** Wait for a rising (0→1), falling or any change of a signal. */
  edge(sig: Signal<SignalValue>, which: 'rise' | 'fall' | 'change' = 'change', options: { timeout?: number } = {}): Promise<void> {
    const proc = this.requireProcess('edge()');
    const isHigh = (v: SignalValue): boolean => (typeof v === 'bigint' ? v !== 0n : v !== 0);
    const matches = (from: SignalValue, to: SignalValue): boolean =>
      from !== to && (which === 'change' || (which === 'rise' ? !isHigh(from) && isHigh(to) : isHigh(from) && !isHigh(to)));
    // Settled values only, compared with the last one this waiter saw: an edge made by the
    // hardware is seen in its own cycle, one made by any testbench process (earlier or later in
    // the order) when that cycle is published — never missed, never a delta-cycle glitch.
    let last = sig.value;
    let seen = false;
    const subscription = sig.changes$.subscribe((v) => {
      if (matches(last, v)) seen = true;
      last = v;
    });
    const waiting = this.park(proc, {
      kind: 'until',
      pred: () => seen || matches(last, sig.value),
      deadline: this.cycleCount + (options.timeout ?? Number.POSITIVE_INFINITY),
      what: `${which} of ${sig.name}`,
    });
    const stop = (): void => subscription.unsubscribe();
    waiting.then(stop, stop);
    return waiting;
  }

  private ready(proc: TestbenchProcess): Error | boolean {
    const w = proc.wait;
    if (w === null) return false;
    switch (w.kind) {
      case 'start':
        return true;
      case 'cycle':
        return this.cycleCount >= w.at;
      case 'until':
        if (w.pred()) return true;
        if (this.cycleCount >= w.deadline) return new SimTimeoutError(this.cycleCount, `${proc.name} waiting for ${w.what}`);
        return false;
    }
  }

  private async resumeProcess(proc: TestbenchProcess, error: Error | undefined): Promise<void> {
    const parked = new Promise<void>((r) => (proc.parked = r));
    const wait = proc.wait!;
    proc.wait = null;
    this.currentProcess = proc;
    if (wait.kind === 'start') {
      let running: Promise<void>;
      try {
        running = proc.body();
      } catch (e) {
        running = Promise.reject(e);
      }
      running.then(
        () => this.finishProcess(proc, undefined),
        (e: unknown) => this.finishProcess(proc, e ?? new Error('rejected')),
      );
    } else {
      const resume = proc.resume!;
      proc.resume = null;
      resume(error);
    }
    await parked;
    this.currentProcess = null;
  }

  private finishProcess(proc: TestbenchProcess, error: unknown): void {
    proc.done = true;
    proc.error = error;
    proc.wait = null;
    const parked = proc.parked;
    proc.parked = null;
    parked?.();
    proc.resolveFinished();
  }

  /** Resume every process whose wait is over, in creation order, settling after each. */
  private async wakeProcesses(): Promise<void> {
    for (let i = 0; i < this.processes.length; i++) {
      const proc = this.processes[i];
      if (proc.done) continue;
      const r = this.ready(proc);
      if (r === false) continue;
      await this.resumeProcess(proc, r instanceof Error ? r : undefined);
      if (proc.error !== undefined) throw new ProcessError(proc.name, this.cycleCount, proc.error);
      this.settle();
    }
    if (this.processes.some((p) => p.done)) {
      for (let i = this.processes.length - 1; i >= 0; i--) if (this.processes[i].done) this.processes.splice(i, 1);
    }
  }

  /** Run until every testbench process has finished. */
  async run(options: RunOptions = {}): Promise<void> {
    const limit = this.cycleCount + (options.maxCycles ?? DEFAULT_MAX_RUN_CYCLES);
    if (!this.started) {
      this.start();
      await this.wakeProcesses();
      this.publish();
    }
    while (this.processes.length > 0) {
      if (this.cycleCount >= limit) {
        const waiting = this.processes.map((p) => `${p.name} (${describeWait(p.wait)})`).join(', ');
        throw new SimTimeoutError(this.cycleCount, `run limit reached with processes alive: ${waiting}`);
      }
      this.advance();
      await this.wakeProcesses();
      this.publish();
    }
  }

  /** Stop the simulation from a hardware assertion; names the signals and their values. */
  fail(where: string, detail: string, signals: readonly Signal<SignalValue>[] = []): never {
    const values: Record<string, string> = {};
    for (const s of signals) values[s.name] = `0x${s.value.toString(16)}`;
    throw new SimAssertionError(this.cycleCount, where, detail, values);
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** End the simulation: close tracers, complete every stream, run registered teardowns. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const t of this.tracers) t.end();
    this.endSubject?.next(this.cycleCount);
    for (const teardown of this.teardowns.splice(0)) teardown();
    for (const s of this.allSignals) s.complete();
    this.edgeSubject?.complete();
    this.settledSubject?.complete();
    this.hardwareSubject?.complete();
    this.endSubject?.complete();
  }
}

function describeWait(w: Wait | null): string {
  if (w === null) return 'running';
  switch (w.kind) {
    case 'start':
      return 'not started';
    case 'cycle':
      return `until cycle ${w.at}`;
    case 'until':
      return `waiting for ${w.what}`;
  }
}
