import { ForeignAwaitError, ProcessError, SimTimeoutError } from './errors.ts';
import type { Evaluator } from './evaluate.ts';
import type { Signal, SignalValue } from './signal.ts';
import { Role, TOP_LEVEL, type Writer } from './writer.ts';

type Wait =
  | { kind: 'start' }
  | { kind: 'cycle'; at: number }
  | { kind: 'until'; pred: () => boolean; deadline: number; what: string };

interface TestbenchProcess extends Writer {
  readonly body: () => Promise<void>;
  wait: Wait | null;
  /** Reused for every tick(): a process has one wait at a time, and ticks are most of them. */
  readonly cycleWait: { kind: 'cycle'; at: number };
  /** Settle the promise the process awaits (set while it is parked). */
  resolveWait: (() => void) | null;
  rejectWait: ((e: Error) => void) | null;
  /** Settle the promise the kernel awaits while the process runs (set while it runs). */
  resolveParked: (() => void) | null;
  rejectParked: ((e: Error) => void) | null;
  done: boolean;
  error: unknown;
  readonly finished: Promise<void>;
  resolveFinished: () => void;
}

export interface ProcessHandle {
  readonly name: string;
  /** Resolves when the process body returns; never rejects (errors stop the run instead). Inside another process use sim.join(). */
  readonly finished: Promise<void>;
  readonly done: boolean;
}

/**
 * Testbench processes: async functions resumed one at a time, in creation order, each
 * running until it parks on the kernel (tick, until, edge, join). A process that parks on
 * anything else is found by a watchdog at the next macrotask and fails the run.
 */
export class TestbenchScheduler {
  private readonly processes: TestbenchProcess[] = [];
  /** The process running now (between its resume and its next park). */
  current: TestbenchProcess | null = null;
  private yielding = false;
  /** A process ran in the current cycle (it may have changed state a waiting predicate reads). */
  ranInCycle = false;
  /** Position of the process resumed last (wakeNext() goes on after it). */
  private resumedAt = 0;
  /** The armed watchdog (it holds the whole machine until it fires, so dispose() clears it). */
  private watchdog: ReturnType<typeof setImmediate> | null = null;

  constructor(private readonly ev: Evaluator) {}

  get alive(): number {
    return this.processes.length;
  }

  process(name: string, body: () => Promise<void>): ProcessHandle {
    let resolveFinished!: () => void;
    const finished = new Promise<void>((r) => (resolveFinished = r));
    const proc: TestbenchProcess = {
      name,
      role: Role.TESTBENCH,
      body,
      wait: { kind: 'start' },
      cycleWait: { kind: 'cycle', at: 0 },
      resolveWait: null,
      rejectWait: null,
      resolveParked: null,
      rejectParked: null,
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
    const proc = this.current;
    if (proc === null) throw new Error(`${what} can only be awaited inside a testbench process`);
    if (proc.wait !== null) throw new Error(`process ${proc.name} is already waiting; await one thing at a time`);
    return proc;
  }

  private park(proc: TestbenchProcess, wait: Wait): Promise<void> {
    proc.wait = wait;
    const promise = new Promise<void>((resolve, reject) => {
      proc.resolveWait = resolve;
      proc.rejectWait = reject;
    });
    this.parked(proc);
    return promise;
  }

  /** The running process has parked or finished: the kernel goes on. */
  private parked(proc: TestbenchProcess): void {
    const resolve = proc.resolveParked;
    proc.resolveParked = null;
    proc.rejectParked = null;
    resolve?.();
  }

  tick(cycles: number): Promise<void> {
    if (!Number.isInteger(cycles) || cycles < 1) throw new RangeError(`tick(${cycles}): cycles must be >= 1`);
    const proc = this.requireProcess('tick()');
    const wait = proc.cycleWait;
    wait.at = this.ev.cycle + cycles;
    return this.park(proc, wait);
  }

  until(pred: () => boolean, options: { timeout?: number; what?: string }): Promise<void> {
    const proc = this.requireProcess('until()');
    if (pred()) return Promise.resolve();
    const timeout = options.timeout ?? Number.POSITIVE_INFINITY;
    return this.park(proc, { kind: 'until', pred, deadline: this.ev.cycle + timeout, what: options.what ?? 'condition' });
  }

  edge(sig: Signal<SignalValue>, which: 'rise' | 'fall' | 'change', options: { timeout?: number }): Promise<void> {
    const proc = this.requireProcess('edge()');
    const isHigh = (v: SignalValue): boolean => (typeof v === 'bigint' ? v !== 0n : v !== 0);
    const matches = (from: SignalValue, to: SignalValue): boolean =>
      from !== to && (which === 'change' || (which === 'rise' ? !isHigh(from) && isHigh(to) : isHigh(from) && !isHigh(to)));
    // Settled values only, compared with the last one this waiter saw: an edge made by the
    // hardware is seen in its own cycle, one made by any testbench process (earlier or later in
    // the order) when that cycle is published — never missed, never a glitch inside a cycle.
    let last = sig.value;
    let seen = false;
    const subscription = sig.changes$.subscribe((v) => {
      if (matches(last, v)) seen = true;
      last = v;
    });
    const waiting = this.park(proc, {
      kind: 'until',
      pred: () => seen || matches(last, sig.value),
      deadline: this.ev.cycle + (options.timeout ?? Number.POSITIVE_INFINITY),
      what: `${which} of ${sig.name}`,
    });
    const stop = (): void => subscription.unsubscribe();
    waiting.then(stop, stop);
    return waiting;
  }

  join(handle: ProcessHandle, options: { timeout?: number }): Promise<void> {
    return this.until(() => handle.done, { timeout: options.timeout, what: `process ${handle.name} to finish` });
  }

  private ready(proc: TestbenchProcess): Error | boolean {
    const w = proc.wait;
    if (w === null) return false;
    switch (w.kind) {
      case 'start':
        return true;
      case 'cycle':
        return this.ev.cycle >= w.at;
      case 'until':
        if (w.pred()) return true;
        if (this.ev.cycle >= w.deadline) return new SimTimeoutError(this.ev.cycle, `${proc.name} waiting for ${w.what}`);
        return false;
    }
  }

  /**
   * Let the process run from its wait; returns what settles when it parks again or finishes.
   * Not async (the caller awaits and cleans up): an async function would cost a promise more per resume.
   */
  private resumeProcess(proc: TestbenchProcess, error: Error | undefined): Promise<void> {
    const parked = new Promise<void>((resolve, reject) => {
      proc.resolveParked = resolve;
      proc.rejectParked = reject;
    });
    const wait = proc.wait!;
    proc.wait = null;
    this.current = proc;
    this.ev.writer = proc;
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
      const resolve = proc.resolveWait!;
      const reject = proc.rejectWait!;
      proc.resolveWait = null;
      proc.rejectWait = null;
      if (error === undefined) resolve();
      else reject(error);
    }
    return parked;
  }

  private finishProcess(proc: TestbenchProcess, error: unknown): void {
    proc.done = true;
    proc.error = error;
    proc.wait = null;
    this.parked(proc);
    proc.resolveFinished();
  }

  /**
   * The testbench part of a cycle resumes every process whose wait is over, in creation order,
   * settling after each: `wake()` resumes the first, and after each await of the returned promise
   * the caller calls `parkedAgain()` (also when it rejects) and `wakeNext()`. null: no process
   * (left) to resume — the common cycle makes no promise. The caller drives the loop so that a
   * resume costs no async function of the kernel's own.
   */
  wake(): Promise<void> | null {
    this.ranInCycle = false;
    return this.resumeFrom(0);
  }

  /** The resumed process parked or finished (or the wait for it failed): back to top-level code. */
  parkedAgain(): void {
    this.current = null;
    this.ev.writer = TOP_LEVEL;
  }

  /** After the resumed process parked: report its failure, settle its writes, resume the next ready one. */
  wakeNext(): Promise<void> | null {
    const proc = this.processes[this.resumedAt];
    if (proc.error !== undefined) throw new ProcessError(proc.name, this.ev.cycle, proc.error);
    this.ev.settle();
    return this.resumeFrom(this.resumedAt + 1);
  }

  private resumeFrom(first: number): Promise<void> | null {
    const procs = this.processes;
    for (let i = first; i < procs.length; i++) {
      const proc = procs[i];
      if (proc.done) continue;
      const r = this.ready(proc);
      if (r === false) continue;
      this.ranInCycle = true;
      this.resumedAt = i;
      return this.resumeProcess(proc, r instanceof Error ? r : undefined);
    }
    // Only a process that ran can have finished.
    if (this.ranInCycle) for (let i = procs.length - 1; i >= 0; i--) if (procs[i].done) procs.splice(i, 1);
    return null;
  }

  /**
   * The run loop never lets the microtask queue drain except when it yields on purpose, so a
   * macrotask that fires otherwise means a process is parked on a promise the kernel does not own.
   */
  armWatchdog(): void {
    if (this.watchdog !== null) return;
    this.watchdog = setImmediate(() => {
      this.watchdog = null;
      const proc = this.current;
      if (proc === null || this.yielding) return;
      proc.rejectParked?.(new ForeignAwaitError(proc.name, this.ev.cycle));
    });
  }

  /** The simulation is over: a loop of short simulations that never lets the event loop turn must not keep each one alive. */
  disarmWatchdog(): void {
    if (this.watchdog === null) return;
    clearImmediate(this.watchdog);
    this.watchdog = null;
  }

  /** Let timers, I/O and signal handlers run (test timeouts, progress, Ctrl-C). */
  async yieldToEventLoop(): Promise<void> {
    this.yielding = true;
    try {
      await new Promise<void>((resolve) => setImmediate(resolve));
    } finally {
      this.yielding = false;
    }
    this.armWatchdog();
  }

  /**
   * The earliest cycle a process can resume in, assuming no signal changes and no process runs
   * before it: a tick's cycle, a wait's deadline (its predicate cannot turn true in a quiet span).
   */
  nextWake(): number {
    let at = Number.POSITIVE_INFINITY;
    for (const p of this.processes) {
      const w = p.wait;
      if (w === null || w.kind === 'start') return Number.NEGATIVE_INFINITY;
      const t = w.kind === 'cycle' ? w.at : w.deadline;
      if (t < at) at = t;
    }
    return at;
  }

  describeAlive(): string {
    return this.processes.map((p) => `${p.name} (${describeWait(p.wait)})`).join(', ');
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
