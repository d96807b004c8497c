import { Observable, Subject, defer, startWith } from 'rxjs';
import { DepositError, MultipleDriverError, PhaseError, SignalRangeError, SimDisposedError, UnsettledReadError } from './errors.ts';
import { Role, phaseName, type Writer } from './writer.ts';

export { SignalRangeError, MultipleDriverError } from './errors.ts';

/** Values up to 32 bits are JS numbers; 33..64-bit signals hold bigints so every bit is exact. */
export type SignalValue = number | bigint;

/** Whether the waveform shows the signal as a register (written on the clock edge) or a wire. */
export type SignalKind = 'wire' | 'reg';

/** The part of the kernel a signal talks to when it is written, read (strict mode) or committed. */
export interface SignalHost {
  /** Whoever runs now: the kernel sets it before running any code that may write. */
  readonly writer: Writer;
  readonly cycle: number;
  /** Called once per phase, the first time a signal gets a next value that differs. */
  markPending(signal: Signal<SignalValue>): void;
  /** Tracers sample every signal: every signal's changes are collected for the publish. */
  readonly tracing: boolean;
  /** A hardware process wrote the signal for the first time (combinational outputs feed the ordering). */
  driverFound(signal: Signal<SignalValue>, writer: Writer): void;
  /** An observer wrote: the write is dropped and the kernel fails the run with this error after the phase. */
  refuse(error: Error): void;
  /** Strict mode: check a read against the running combinational process's sensitivity list. */
  checkRead(signal: Signal<SignalValue>): void;
  /** Run an idle clocked process again from the next edge. */
  wake(writer: Writer): void;
}

/** The trusted writer of a signal nobody may write unchecked: never the running writer. */
const NOBODY: Writer = { name: 'nobody', role: Role.DISPOSED };

export interface CombReader {
  /** Position in the kernel's evaluation order (-1: not ordered yet). */
  slot: number;
}


/**
 * A named, fixed-width value with a settled value and a scheduled one. Writes are scheduled;
 * the kernel's commit phase makes them current. Each signal has one driver: the hardware
 * process that first writes it, or testbench code (one testbench writer per cycle). A
 * testbench overrides hardware only explicitly, with force()/release() or deposit().
 */
export class Signal<T extends SignalValue = number> {
  // Field order is the object's memory layout: what set() and the commit touch every cycle
  // comes first, so a write and its commit stay within the object's first cache lines.
  protected current: T;
  private scheduled: T;
  /** A writer whose writes need no checks (the hardware driver, while not forced); never undefined, so the check compares two objects. */
  private trusted: Writer = NOBODY;
  pending = false;
  /** The next signal with a pending write (the kernel's list of them). */
  nextPending: Signal<SignalValue> | null = null;
  /** A number fits when it has at least this many leading zero bits: 32 - width (33 on a wide signal: never). */
  private readonly leadingZeros: number;
  protected readonly host: SignalHost;
  /** The evaluation-order position of the first reader (-1: none) and where the kernel's table lists the others: what a change queues. */
  firstReader = -1;
  moreReadersFrom = 0;
  moreReadersTo = 0;
  /** Idle clocked processes to wake when this signal changes (null: none ever). */
  sleepers: object[] | null = null;
  /** Someone looks at its settled values (a subscriber or a tracer): its changes are collected for the publish. */
  watched = false;
  /** Queued for the current cycle's publish (tracers, observers). */
  inChangedList = false;
  /** Dense index assigned by the simulator; also the canonical order in waveforms. */
  readonly id: number;
  /** Combinational processes sensitive to this signal. */
  readonly readers: CombReader[] = [];
  /** Hierarchical name, dot-separated: `vm0.pfu.state`. */
  readonly name: string;
  readonly width: number;
  readonly kind: SignalKind;
  /** Largest bigint the signal holds (-1n for a narrow signal: a bigint never fits). */
  private readonly maxWide: bigint;
  /** The hardware process driving this signal, once it has written it. */
  private hardwareDriver: Writer | undefined = undefined;
  private testbenchDriven = false;
  private testbenchWriter: Writer | undefined = undefined;
  private testbenchCycle = -1;
  private forced = false;
  /** While forced: the value the driver last wrote, restored by release(). */
  private driven: T;
  private published: T;
  // Typed loosely so Signal<number> stays assignable to Signal<SignalValue>.
  private subject: Subject<SignalValue> | undefined = undefined;
  private changes: Observable<SignalValue> | undefined = undefined;
  private subscribers = 0;

  constructor(host: SignalHost, id: number, name: string, width: number, kind: SignalKind, initial: T) {
    this.host = host;
    this.id = id;
    this.name = name;
    this.width = width;
    this.kind = kind;
    const wide = width > 32;
    this.leadingZeros = wide ? 33 : 32 - width;
    this.maxWide = wide ? (1n << BigInt(width)) - 1n : -1n;
    if (!this.fits(initial)) throw new SignalRangeError(name, width, initial);
    this.current = initial;
    this.scheduled = initial;
    this.driven = initial;
    this.published = initial;
  }

  get isWide(): boolean {
    return this.leadingZeros > 32;
  }

  /** The settled value (what every process sees during a phase). */
  get value(): T {
    return this.current;
  }

  /**
   * The driver reading back its own write of this phase (a register's next state inside the
   * process that computes it). Anyone else may only read settled state: while a write is
   * pending, a read by another writer is refused with UnsettledReadError.
   */
  readBack(): T {
    if (this.pending === false) return this.current;
    const writer = this.host.writer;
    const own = writer === this.hardwareDriver || (this.hardwareDriver === undefined && writer.role === Role.TESTBENCH);
    if (!own) throw new UnsettledReadError(this.name, writer.name, this.hardwareDriver?.name ?? 'a testbench');
    return this.scheduled;
  }

  /** Name of the hardware process driving this signal (undefined: testbench-driven or not yet written). */
  get driver(): string | undefined {
    return this.hardwareDriver?.name;
  }

  get isForced(): boolean {
    return this.forced;
  }

  /** Schedule a new value; it becomes visible after the commit phase. */
  set(value: T): void {
    if (!this.fits(value)) throw new SignalRangeError(this.name, this.width, value);
    const writer = this.host.writer;
    if (writer !== this.trusted && !this.admit(writer, value)) return;
    this.schedule(value);
  }

  /** Testbench: hold the signal at `value` whatever its driver writes, until release(). */
  force(value: T): void {
    if (!this.fits(value)) throw new SignalRangeError(this.name, this.width, value);
    this.requireTestbench('force()');
    if (!this.forced) {
      this.forced = true;
      this.driven = this.scheduled;
      this.trusted = NOBODY;
    }
    this.schedule(value);
    if (this.hardwareDriver !== undefined) this.host.wake(this.hardwareDriver);
  }

  /** Testbench: end a force; the signal takes the value its driver last wrote. */
  release(): void {
    this.requireTestbench('release()');
    if (!this.forced) return;
    this.forced = false;
    this.schedule(this.driven);
    if (this.hardwareDriver !== undefined) this.host.wake(this.hardwareDriver);
  }

  /**
   * Testbench: a one-shot write that does not take ownership (a register keeps the value
   * until its clocked process next writes it). Refused for combinational outputs.
   */
  deposit(value: T): void {
    if (!this.fits(value)) throw new SignalRangeError(this.name, this.width, value);
    this.requireTestbench('deposit()');
    if (this.hardwareDriver?.role === Role.COMBINATIONAL) throw new DepositError(this.name, this.hardwareDriver.name);
    if (this.forced) this.driven = value;
    else this.schedule(value);
    // A clocked process that declared itself idle did so on its own registers' values.
    if (this.hardwareDriver !== undefined) this.host.wake(this.hardwareDriver);
  }

  private schedule(value: T): void {
    this.scheduled = value;
    // Flags compare with === false: a bare boolean test of a field compiles to a generic truthiness check.
    if (this.pending === false && value !== this.current) {
      this.pending = true;
      this.host.markPending(this as unknown as Signal<SignalValue>);
    }
  }

  /** Checks a writer that is not trusted yet; false when the write only updates a forced signal's driven value. */
  private admit(writer: Writer, value: T): boolean {
    switch (writer.role) {
      case Role.ELABORATION:
        return true;
      case Role.CLOCKED:
      case Role.COMBINATIONAL:
        if (this.hardwareDriver === undefined) {
          if (this.testbenchDriven) throw new MultipleDriverError(this.name, this.testbenchWriter!.name, writer.name);
          this.hardwareDriver = writer;
          this.host.driverFound(this as unknown as Signal<SignalValue>, writer);
        } else if (this.hardwareDriver !== writer) {
          throw new MultipleDriverError(this.name, this.hardwareDriver.name, writer.name);
        }
        if (this.forced) {
          this.driven = value;
          return false;
        }
        this.trusted = writer;
        return true;
      case Role.TESTBENCH:
        if (this.hardwareDriver !== undefined) {
          throw new MultipleDriverError(this.name, this.hardwareDriver.name, writer.name, 'a testbench overrides hardware with force()/release() or deposit()');
        }
        this.claimForTestbench(writer);
        this.testbenchDriven = true;
        if (this.forced) {
          this.driven = value;
          return false;
        }
        return true;
      case Role.DISPOSED:
        throw new SimDisposedError(`set() of signal ${this.name}`, this.host.cycle);
      default: {
        const error = new PhaseError(this.name, phaseName(writer.role), `set() by ${writer.name}`);
        this.host.refuse(error);
        return false;
      }
    }
  }

  /** One testbench writer per signal and cycle, whoever they are. */
  private claimForTestbench(writer: Writer): void {
    const cycle = this.host.cycle;
    if (this.testbenchCycle === cycle && this.testbenchWriter !== writer) {
      throw new MultipleDriverError(this.name, this.testbenchWriter!.name, writer.name, `both wrote it in cycle ${cycle}`);
    }
    this.testbenchWriter = writer;
    this.testbenchCycle = cycle;
  }

  private requireTestbench(operation: string): void {
    const writer = this.host.writer;
    if (writer.role === Role.DISPOSED) throw new SimDisposedError(`${operation} of signal ${this.name}`, this.host.cycle);
    if (writer.role !== Role.TESTBENCH) throw new PhaseError(this.name, phaseName(writer.role), operation);
    this.claimForTestbench(writer);
  }

  /** Commit phase: returns true when the current value changed. */
  commit(): boolean {
    this.pending = false;
    if (this.scheduled === this.current) return false;
    this.current = this.scheduled;
    return true;
  }

  /** Settled values from now on, starting with the current one. Created lazily. */
  get values$(): Observable<T> {
    return defer(() => this.changes$.pipe(startWith(this.current)));
  }

  /**
   * Settled values, each time the value changed after the subscription (a change earlier in the
   * cycle a first subscriber joins in is not replayed: read `value`, or use values$). Created
   * lazily; the signal's changes are collected only while someone subscribes (or a tracer runs).
   */
  get changes$(): Observable<T> {
    this.changes ??= new Observable<SignalValue>((subscriber) => {
      const subject = (this.subject ??= new Subject<SignalValue>());
      if (this.subscribers++ === 0) {
        this.published = this.current;
        this.watched = true;
      }
      const subscription = subject.subscribe(subscriber);
      return () => {
        subscription.unsubscribe();
        if (--this.subscribers === 0 && this.host.tracing === false) this.watched = false;
      };
    });
    return this.changes as Observable<T>;
  }

  /** Whether anything is subscribed (used by teardown tests). */
  get observed(): boolean {
    return this.subject?.observed ?? false;
  }

  /**
   * Called by the simulator at each settled point for signals that changed during the cycle.
   * A value that changed and changed back inside the cycle is not a settled change.
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
    // `>>> 0` equals the value only for integers in 0..2^32-1; the width check stays in small integers.
    if (typeof value === 'number') return value >>> 0 === value && Math.clz32(value) >= this.leadingZeros;
    return value >= 0n && value <= this.maxWide;
  }
}

/** Strict mode's signal: every read is checked against the running combinational process's sensitivity list. */
export class CheckedSignal<T extends SignalValue = number> extends Signal<T> {
  override get value(): T {
    this.host.checkRead(this as unknown as Signal<SignalValue>);
    return this.current;
  }
}
