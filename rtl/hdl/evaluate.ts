import { orderCombinational } from './comb-order.ts';
import { PhaseStream } from './phase-stream.ts';
import { SensitivityError } from './errors.ts';
import { Registry, type CombProcess, type SeqProcess } from './registry.ts';
import type { Signal, SignalHost, SignalValue } from './signal.ts';
import { ELABORATION, Role, TOP_LEVEL, observer, type Writer } from './writer.ts';

const EDGE_OBSERVER = observer('edge$ observer');
const HARDWARE_OBSERVER = observer('hardwareSettled$ observer');
const PUBLISH_OBSERVER = observer('tracer or settled-value observer');
const NOTHING_CHANGED: readonly Signal<SignalValue>[] = Object.freeze([]);

/** Deterministic permutation (mulberry32 + Fisher-Yates), for the hardware-order invariance test. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let s = seed >>> 0;
  const next = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/**
 * Evaluate/commit: the rising edge runs every clocked process on settled values, writes are
 * committed, then combinational processes run in topological order (each once per cycle)
 * until nothing changes; a settled cycle is published to tracers and observers.
 */
export class Evaluator implements SignalHost {
  readonly registry: Registry;
  writer: Writer = ELABORATION;
  cycle = 0;
  started = false;
  /** The current cycle has gone to tracers and observers (false until the testbench part of the cycle is over). */
  published = true;
  private activeComb: CombProcess | null = null;
  private order: CombProcess[] = [];
  /** bodies[i] = order[i].fn: the settle loop calls them without touching the process objects. */
  private bodies: (() => void)[] = [];
  /** Reader positions of every signal, see tabulateReaders(). */
  private readerTable = new Int32Array(0);
  /** levelStart[l]: index in `order` of the first process of level l; the last entry is order.length. */
  private levelStart: number[] = [0];
  private orderDirty = true;
  /** queued[i]: order[i] runs in this settle. Flags by position keep the hot loop off the process objects. */
  private queued = new Uint8Array(0);
  /** Queued processes, counting those added since the last ordering (they have no position yet). */
  private queuedCount = 0;
  /** No process before this position in `order` is queued. */
  private lowestQueued = 0;
  /** Signals with a pending write, in write order, chained through Signal.nextPending (no array bookkeeping per write). */
  private pendingHead: Signal<SignalValue> | null = null;
  private pendingTail: Signal<SignalValue> | null = null;
  /** Watched signals that changed in the current cycle, for the publish (a count: truncating an array frees its storage). */
  private readonly changedThisCycle: Signal<SignalValue>[] = [];
  private changedCount = 0;
  private refused: Error | null = null;
  /** Clocked processes not declared idle. */
  private awake = 0;
  /** A signal changed in the current cycle (the next cycle cannot be skipped). */
  changedInCycle = false;

  readonly edgeStream = new PhaseStream();
  readonly hardwareStream = new PhaseStream();
  readonly settledStream = new PhaseStream();

  /**
   * @param honourIdle false: idle declarations are ignored (not registered) and every clocked
   *   process runs at every edge — the cycle-by-cycle path that skipping is compared against.
   */
  constructor(
    private readonly strict: boolean,
    private readonly honourIdle: boolean,
  ) {
    this.registry = new Registry(this, strict);
  }

  // ---------------------------------------------------------------- SignalHost

  markPending(signal: Signal<SignalValue>): void {
    signal.nextPending = null;
    const tail = this.pendingTail;
    if (tail === null) this.pendingHead = signal;
    else tail.nextPending = signal;
    this.pendingTail = signal;
  }

  get tracing(): boolean {
    return this.registry.tracers.length > 0;
  }

  driverFound(signal: Signal<SignalValue>, writer: Writer): void {
    if (writer.role !== Role.COMBINATIONAL) return;
    (writer as CombProcess).outputs.push(signal);
    if (signal.readers.length > 0) this.orderDirty = true;
  }

  refuse(error: Error): void {
    this.refused ??= error;
  }

  checkRead(signal: Signal<SignalValue>): void {
    const comb = this.activeComb;
    if (comb !== null && !comb.inputSet.has(signal)) throw new SensitivityError(signal.name, comb.name);
  }

  wake(writer: Writer): void {
    if (writer.role === Role.CLOCKED && (writer as SeqProcess).asleep) this.wakeProcess(writer as SeqProcess);
  }

  // ---------------------------------------------------------------- idle clocked processes

  seqAdded(): void {
    if (this.started) this.awake++;
  }

  /** Called by the running clocked process: nothing it drives changes until a `wakeOn` signal changes or the edge of cycle `until`. */
  sleep(wakeOn: readonly Signal<SignalValue>[], until: number): void {
    const proc = this.writer as SeqProcess;
    if (proc.role !== Role.CLOCKED) throw new Error(`idle() may only be declared by a clocked process, not by ${proc.name}`);
    if (!this.honourIdle || until <= this.cycle) return;
    if (proc.asleep) this.unregister(proc);
    else this.awake--;
    proc.asleep = true;
    proc.wakeAt = until;
    const on = proc.wakeOn;
    for (let i = 0; i < wakeOn.length; i++) {
      const s = wakeOn[i];
      (s.sleepers ??= []).push(proc);
      const at = proc.wakeOnCount++;
      if (at < on.length) on[at] = s;
      else on.push(s);
    }
  }

  private unregister(proc: SeqProcess): void {
    const on = proc.wakeOn;
    for (let i = 0; i < proc.wakeOnCount; i++) {
      const list = on[i].sleepers!;
      const at = list.lastIndexOf(proc);
      if (at < 0) continue;
      list[at] = list[list.length - 1];
      list.pop();
    }
    proc.wakeOnCount = 0;
  }

  private wakeProcess(proc: SeqProcess): void {
    this.unregister(proc);
    proc.asleep = false;
    proc.wakeAt = Number.POSITIVE_INFINITY;
    this.awake++;
  }

  private wakeSleepers(sig: Signal<SignalValue>): void {
    const list = sig.sleepers!;
    while (list.length > 0) this.wakeProcess(list[list.length - 1] as SeqProcess);
  }

  /** Nothing can happen in the next cycle unless a timer says so: every clocked process idle, no change in this one. */
  get quiet(): boolean {
    return this.awake === 0 && !this.changedInCycle && this.pendingHead === null;
  }

  /** The earliest edge an idle clocked process asked to run at. */
  nextTimedWake(): number {
    let at = Number.POSITIVE_INFINITY;
    const seqs = this.registry.seqs;
    for (let i = 0; i < seqs.length; i++) if (seqs[i].wakeAt < at) at = seqs[i].wakeAt;
    return at;
  }

  /** Skip idle cycles: the next advance() is the edge of cycle `cycle + 1`. Nothing happens in the cycles jumped over. */
  jumpTo(cycle: number): void {
    if (cycle > this.cycle) this.cycle = cycle;
  }

  // ---------------------------------------------------------------- scheduling

  /** A process added after the start runs once, at the next settle (queued without a position until then). */
  combAdded(): void {
    if (!this.started) return;
    this.orderDirty = true;
    this.queuedCount++;
  }

  /** Order the processes again; queued ones stay queued, new ones (no position yet) are queued. */
  private reorder(): void {
    const order = orderCombinational(this.registry.combs, this.cycle);
    const was = this.queued;
    const queued = new Uint8Array(order.length);
    let count = 0;
    for (let i = 0; i < order.length; i++) {
      const slot = order[i].slot;
      if (slot < 0 || was[slot] !== 0) {
        queued[i] = 1;
        count++;
      }
    }
    const starts: number[] = [];
    for (let i = 0; i < order.length; i++) {
      order[i].slot = i;
      while (starts.length <= order[i].rank) starts.push(i);
    }
    starts.push(order.length);
    this.order = order;
    this.bodies = order.map((p) => p.fn);
    this.levelStart = starts;
    this.queued = queued;
    this.queuedCount = count;
    this.orderDirty = false;
    this.lowestQueued = 0;
    this.tabulateReaders();
  }

  /**
   * Every signal's readers as evaluation-order positions, so a commit touches no process object:
   * the first on the signal itself (most signals have one reader), the others in one shared table.
   */
  private tabulateReaders(): void {
    const signals = this.registry.signals;
    let total = 0;
    for (let i = 0; i < signals.length; i++) total += Math.max(0, signals[i].readers.length - 1);
    const table = new Int32Array(total);
    let at = 0;
    for (let i = 0; i < signals.length; i++) {
      const sig = signals[i];
      const readers = sig.readers;
      sig.firstReader = readers.length > 0 ? readers[0].slot : -1;
      sig.moreReadersFrom = at;
      for (let r = 1; r < readers.length; r++) table[at++] = readers[r].slot;
      sig.moreReadersTo = at;
    }
    this.readerTable = table;
  }

  private commit(): void {
    let sig = this.pendingHead;
    if (sig === null) return;
    // Committing runs no process (readers are only queued), so nothing is written meanwhile and
    // the queue's state can live in locals.
    this.pendingHead = null;
    this.pendingTail = null;
    const table = this.readerTable;
    const queued = this.queued;
    let count = this.queuedCount;
    let lowest = this.lowestQueued;
    let changed = false;
    for (; sig !== null; sig = sig.nextPending) {
      if (!sig.commit()) continue;
      changed = true;
      if (sig.sleepers !== null && sig.sleepers.length > 0) this.wakeSleepers(sig);
      // Only signals someone looks at are collected. Membership by flag: a change after an
      // earlier publish in the same cycle (settleNow) must still reach tracers and observers.
      if (sig.watched === true && sig.inChangedList === false) {
        sig.inChangedList = true;
        const list = this.changedThisCycle;
        const at = this.changedCount++;
        if (at < list.length) list[at] = sig;
        else list.push(sig);
      }
      let slot = sig.firstReader;
      for (let r = sig.moreReadersFrom, to = sig.moreReadersTo; slot >= 0; slot = r < to ? table[r++] : -1) {
        if (queued[slot] !== 0) continue;
        queued[slot] = 1;
        count++;
        if (slot < lowest) lowest = slot;
      }
    }
    this.queuedCount = count;
    this.lowestQueued = lowest;
    if (changed) this.changedInCycle = true;
  }

  /** Commit pending writes and run the affected combinational processes in topological order. */
  settle(): void {
    if (this.pendingHead !== null) this.commit();
    if (this.queuedCount === 0) return;
    const writer = this.writer;
    try {
      while (this.queuedCount > 0) {
        // A newly found output may change the order (or close a loop): reordered between passes.
        if (this.orderDirty) this.reorder();
        const order = this.order;
        const bodies = this.bodies;
        const queued = this.queued;
        const strict = this.strict === true;
        const starts = this.levelStart;
        const levels = starts.length - 1;
        let level = 0;
        while (level < levels && starts[level + 1] <= this.lowestQueued) level++;
        this.lowestQueued = order.length;
        for (; level < levels && this.queuedCount > 0; level++) {
          const end = starts[level + 1];
          let ran = 0;
          for (let r = starts[level]; r < end; r++) {
            if (queued[r] === 0) continue;
            queued[r] = 0;
            ran++;
            if (strict) this.activeComb = order[r];
            this.writer = order[r];
            bodies[r]();
          }
          this.queuedCount -= ran;
          // One commit per level: the processes of a level read none of each other's outputs.
          if (this.pendingHead !== null) this.commit();
          if (this.orderDirty) break;
        }
      }
    } finally {
      this.activeComb = null;
      this.writer = writer;
    }
  }

  /** Elaboration is over: order the hardware, start tracers, settle cycle 0. */
  start(hardwareOrderSeed: number | undefined, sim: { readonly clockPeriodPs: number; readonly signals: readonly Signal<SignalValue>[] }): void {
    const reg = this.registry;
    if (hardwareOrderSeed !== undefined) {
      reg.seqs = shuffled(reg.seqs, hardwareOrderSeed);
      reg.combs = shuffled(reg.combs, hardwareOrderSeed ^ 0x5bd1e995);
    }
    if (reg.tracers.length > 0) for (const s of reg.signals) s.watched = true;
    for (const t of reg.tracers) t.begin(sim);
    this.started = true;
    this.awake = reg.seqs.length;
    this.published = false;
    this.writer = TOP_LEVEL;
    this.queuedCount = reg.combs.length;
    this.settle();
  }

  /** Rising edge: clocked processes sample settled values, commit, then settle the combinational logic. */
  advance(): void {
    this.cycle++;
    this.published = false;
    this.changedInCycle = false;
    if (this.edgeStream.observed) this.observe(EDGE_OBSERVER, this.edgeStream);
    const seqs = this.registry.seqs;
    const cycle = this.cycle;
    for (let i = 0; i < seqs.length; i++) {
      const p = seqs[i];
      if (p.asleep === true) {
        if (p.wakeAt > cycle) continue;
        this.wakeProcess(p);
      }
      this.writer = p;
      p.fn();
    }
    this.writer = TOP_LEVEL;
    this.settle();
    if (this.hardwareStream.observed) this.observe(HARDWARE_OBSERVER, this.hardwareStream);
  }

  private observe(as: Writer, stream: PhaseStream): void {
    const writer = this.writer;
    this.writer = as;
    try {
      stream.emit(this.cycle);
    } finally {
      this.writer = writer;
    }
    this.throwRefused();
  }

  private throwRefused(): void {
    const refused = this.refused;
    if (refused === null) return;
    this.refused = null;
    throw refused;
  }

  /** The testbench part of the cycle is over: settle its writes and hand the cycle to tracers and observers. */
  finishCycle(): void {
    this.settle();
    this.publish();
  }

  /** Tracers and observers see the cycle (also used for the failing cycle of a run). */
  publish(): void {
    if (this.published) return;
    this.published = true;
    // Nobody looks and nothing changed: the common untraced cycle costs nothing more.
    const n = this.changedCount;
    if (n === 0 && this.registry.tracers.length === 0 && !this.settledStream.observed) return;
    const writer = this.writer;
    this.writer = PUBLISH_OBSERVER;
    try {
      // The list keeps its length between cycles (truncating it frees its storage, which the next
      // cycle would allocate again); tracers are handed exactly this cycle's changes.
      const changed = this.changedThisCycle;
      this.changedCount = 0;
      const tracers = this.registry.tracers;
      if (tracers.length > 0) {
        const sampled = n === 0 ? NOTHING_CHANGED : changed;
        if (n > 0 && changed.length > n) changed.length = n;
        for (let i = 0; i < tracers.length; i++) tracers[i].sample(this.cycle, sampled);
      }
      for (let i = 0; i < n; i++) {
        changed[i].inChangedList = false;
        changed[i].emitSettled();
      }
      this.settledStream.emit(this.cycle);
    } finally {
      this.writer = writer;
    }
    this.throwRefused();
  }
}
