import { Observable, Subject, defer, startWith } from 'rxjs';

/** Values up to 32 bits are JS numbers; 33..64-bit signals hold bigints so every bit is exact. */
export type SignalValue = number | bigint;

/** Whether the waveform shows the signal as a register (written on the clock edge) or a wire. */
export type SignalKind = 'wire' | 'reg';

/** The part of the simulator a signal talks to when it is written or committed. */
export interface SignalHost {
  /** Called once per phase, the first time a signal gets a next value that differs. */
  markPending(signal: Signal<SignalValue>): void;
  /** Identity of the process writing right now (undefined while a testbench process runs). */
  readonly activeDriver: object | undefined;
  /** Someone observes settled values from now on: the host must report changes. */
  trackChanges(): void;
}

/** Thrown when a value cannot be represented in a signal's width. */
export class SignalRangeError extends RangeError {
  constructor(readonly signalName: string, readonly width: number, readonly attempted: SignalValue) {
    super(`signal ${signalName} (width ${width}) cannot hold ${attempted}`);
    this.name = 'SignalRangeError';
  }
}

/** Thrown when two clocked/combinational processes drive the same signal. */
export class MultipleDriverError extends Error {
  constructor(readonly signalName: string) {
    super(`signal ${signalName} is driven by more than one process`);
    this.name = 'MultipleDriverError';
  }
}

export interface CombReader {
  queued: boolean;
}

/**
 * A named, fixed-width value with a current (settled) value and a next value.
 * Writes go to `next`; the simulator's commit phase makes them current.
 */
export class Signal<T extends SignalValue = number> {
  /** Dense index assigned by the simulator; also the canonical order in waveforms. */
  readonly id: number;
  private current: T;
  private nextValue: T;
  pending = false;
  /** Combinational processes sensitive to this signal. */
  readonly readers: CombReader[] = [];
  /** Cycle in which the value last changed (-1: never). */
  lastChange = -1;
  /** Queued for the current cycle's publish (tracers, observers). */
  inChangedList = false;
  private driver: object | undefined;
  private published: T;
  private readonly wide: boolean;
  private readonly max: number;
  // Typed loosely so Signal<number> stays assignable to Signal<SignalValue>.
  private subject: Subject<SignalValue> | undefined;

  constructor(
    private readonly host: SignalHost,
    id: number,
    /** Hierarchical name, dot-separated: `vm0.pfu.state`. */
    readonly name: string,
    readonly width: number,
    readonly kind: SignalKind,
    initial: T,
  ) {
    this.id = id;
    this.wide = width > 32;
    this.max = width >= 32 ? 0xffff_ffff : 2 ** width - 1;
    const ok = this.fits(initial);
    if (!ok) throw new SignalRangeError(name, width, initial);
    this.current = initial;
    this.nextValue = initial;
    this.published = initial;
  }

  get isWide(): boolean {
    return this.wide;
  }

  /** The settled value (what every process sees during a phase). */
  get value(): T {
    return this.current;
  }

  /** The value that will become current at the next commit. */
  get next(): T {
    return this.nextValue;
  }

  /** Schedule a new value; it becomes visible after the commit phase. */
  set(value: T): void {
    if (!this.fits(value)) throw new SignalRangeError(this.name, this.width, value);
    const writer = this.host.activeDriver;
    if (writer !== undefined && this.driver !== writer) {
      if (this.driver === undefined) this.driver = writer;
      else throw new MultipleDriverError(this.name);
    }
    this.nextValue = value;
    if (!this.pending && value !== this.current) {
      this.pending = true;
      this.host.markPending(this as unknown as Signal<SignalValue>);
    }
  }

  /** Commit phase: returns true when the current value changed. */
  commit(cycle: number): boolean {
    this.pending = false;
    if (this.nextValue === this.current) return false;
    this.current = this.nextValue;
    this.lastChange = cycle;
    return true;
  }

  /** Settled values from now on, starting with the current one. Created lazily. */
  get values$(): Observable<T> {
    return defer(() => this.changes$.pipe(startWith(this.current)));
  }

  /** Settled values, each time the value changed. Created lazily. */
  get changes$(): Observable<T> {
    if (!this.subject) {
      this.subject = new Subject<SignalValue>();
      this.published = this.current;
      this.host.trackChanges();
    }
    return this.subject.asObservable() as Observable<T>;
  }

  /** Whether anything is subscribed (used by teardown tests). */
  get observed(): boolean {
    return this.subject?.observed ?? false;
  }

  /**
   * Called by the simulator at each settled point for signals that changed during the cycle.
   * A value that changed and changed back inside the delta cycles is not a settled change.
   */
  emitSettled(): void {
    if (this.current === this.published) return;
    this.published = this.current;
    this.subject?.next(this.current);
  }

  get hasSubject(): boolean {
    return this.subject !== undefined;
  }

  complete(): void {
    this.subject?.complete();
  }

  private fits(value: SignalValue): boolean {
    if (typeof value === 'number') {
      // `>>> 0` equals the value only for integers in 0..2^32-1; then compare with the width's max.
      return !this.wide && value >>> 0 === value && value <= this.max;
    }
    return this.wide && value >= 0n && BigInt.asUintN(this.width, value) === value;
  }
}
