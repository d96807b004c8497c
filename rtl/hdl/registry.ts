import { CheckedSignal, Signal, type CombReader, type SignalHost, type SignalKind, type SignalValue } from './signal.ts';
import { Role, type Writer } from './writer.ts';

/** Something that records settled values: the VCD writer is one. */
export interface Tracer {
  begin(sim: { readonly clockPeriodPs: number; readonly signals: readonly Signal<SignalValue>[] }): void;
  /** Called once per settled cycle with the signals whose value changed in it (cycle 0: none); the array is reused after the call. */
  sample(cycle: number, changed: readonly Signal<SignalValue>[]): void;
  /** Write out everything buffered (the run ended or failed); the tracer stays open. */
  flush?(): void;
  end(): void;
  /** The file the tracer writes, named in the error of a failed run. */
  readonly file?: string;
}

export interface CombProcess extends Writer, CombReader {
  readonly fn: () => void;
  readonly inputs: readonly Signal<SignalValue>[];
  readonly inputSet: ReadonlySet<Signal<SignalValue>>;
  /** Signals this process has written (found at its first write of each). */
  readonly outputs: Signal<SignalValue>[];
  /** Level in the evaluation order: 0 reads no combinational output, level n reads from levels below n. */
  rank: number;
}

export interface SeqProcess extends Writer {
  readonly fn: () => void;
  /** Declared idle: not run until a signal in `wakeOn` changes or the edge of cycle `wakeAt`. */
  asleep: boolean;
  wakeAt: number;
  readonly wakeOn: Signal<SignalValue>[];
  /** wakeOn's entries in use: the list keeps its storage from one idle declaration to the next (truncating frees it). */
  wakeOnCount: number;
}

/** What the design is made of: signals, hardware processes, tracers, teardowns. */
export class Registry {
  readonly signals: Signal<SignalValue>[] = [];
  private readonly names = new Set<string>();
  combs: CombProcess[] = [];
  seqs: SeqProcess[] = [];
  readonly tracers: Tracer[] = [];
  /** A Set of one-off entries, so a component that ends before the simulation can take its teardown back. */
  readonly teardowns = new Set<{ readonly run: () => void }>();

  constructor(
    private readonly host: SignalHost,
    private readonly strict: boolean,
  ) {}

  signal<T extends SignalValue>(name: string, width: number, initial: T, kind: SignalKind): Signal<T> {
    if (this.names.has(name)) throw new Error(`duplicate signal name ${name}`);
    this.names.add(name);
    const make = this.strict ? CheckedSignal : Signal;
    const sig = new make<T>(this.host, this.signals.length, name, width, kind, initial);
    // Tracers sample every signal, including one made after the start.
    if (this.tracers.length > 0) sig.watched = true;
    this.signals.push(sig as unknown as Signal<SignalValue>);
    return sig;
  }

  comb(name: string, inputs: readonly Signal<SignalValue>[], fn: () => void): CombProcess {
    // What the settle loop touches every cycle comes first (object layout).
    const proc: CombProcess = {
      slot: -1,
      rank: 0,
      fn,
      name,
      role: Role.COMBINATIONAL,
      inputs,
      inputSet: new Set(inputs),
      outputs: [],
    };
    for (const s of inputs) s.readers.push(proc);
    this.combs.push(proc);
    return proc;
  }

  seq(name: string, fn: () => void): SeqProcess {
    const proc: SeqProcess = { asleep: false, fn, name, role: Role.CLOCKED, wakeAt: Number.POSITIVE_INFINITY, wakeOn: [], wakeOnCount: 0 };
    this.seqs.push(proc);
    return proc;
  }
}
