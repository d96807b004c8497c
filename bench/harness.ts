import { statSync } from 'node:fs';
import { Simulator, VcdWriter, sanitizeVcdName, type SimulatorOptions } from '../rtl/hdl/index.ts';
import { writeGtkwave, type TracedSignal } from './wave/gtkw.ts';
import { WAVES_DIR } from './project.ts';
import { PendingWaveform, type WaveFormat } from './waveform-file.ts';

/** What every testbench accepts from the command line. */
export interface BenchOptions {
  /** Where to write the waveform; undefined = none. The file is replaced only by a run that started. */
  vcdPath?: string;
  /** Format of the waveform file (default vcd; fst streams through GTKWave's vcd2fst). */
  waveFormat?: WaveFormat;
  /** Also write a GTKWave save file and its translate filters next to the waveform (the CLI does). */
  viewerFiles?: boolean;
  seed: number;
  vms: number;
  maxstbl?: number;
  /** Cycles a typist at a terminal waits before each line (benches with a `pause` range). */
  pause?: number;
  /** Limit the VCD to these scopes (e.g. `vm0.pfu`). */
  scopes?: string[];
  /** Called every 2^16 simulated cycles (progress display of long runs). */
  onCycles?: (cycle: number) => void;
}

/** Counts of instructions by kind and outcome, e.g. { PCISTB: { 'cc0': 12, 'cc2': 3 } }. */
export type InstructionStats = Record<string, Record<string, number>>;

/** The configuration a run used, as the summary states it. */
export interface BenchConfig {
  readonly vms: number;
  /** Absent when the bench draws nothing at random. */
  readonly seed?: number;
  /** Absent when the bench has no setting for it. */
  readonly maxstbl?: number;
  /** Typing pause in cycles; absent when the bench has no typist. */
  readonly pause?: number;
}

export interface BenchSummary {
  readonly bench: string;
  readonly config?: BenchConfig;
  readonly cycles: number;
  /** Cycles the kernel evaluated; the rest it jumped over as idle (all of them with --no-skip). */
  readonly evaluatedCycles: number;
  readonly wallMs: number;
  readonly vcdPath?: string;
  readonly vcdBytes?: number;
  readonly waveFormat?: WaveFormat;
  /** GTKWave save file written next to the waveform (signals grouped per interface, enum names). */
  readonly viewerPath?: string;
  readonly instructions: InstructionStats;
  /** Bench-specific result lines, printed under the summary. */
  readonly notes: string[];
  /** Why the run failed (a bench check, an assertion, a timeout); absent when it passed. */
  readonly failure?: string;
}

/** A run that failed after it started: the error and the summary up to the failure (waveform kept). */
export class BenchFailure extends Error {
  constructor(readonly summary: BenchSummary, override readonly cause: unknown) {
    super(summary.failure);
    this.name = 'BenchFailure';
  }
}

/** The values of an integer option a bench works with, and what it uses without the option. */
export interface OptionRange {
  readonly min: number;
  readonly max: number;
  readonly default: number;
}

/** How many VMs a bench can elaborate (`--vms`); a bench without VMs takes the default of one. */
export type VmRange = OptionRange;

export const SINGLE_VM: VmRange = { min: 1, max: 1, default: 1 };

/** The `--maxstbl` values a bench works with. */
export type MaxstblRange = OptionRange;

/** ISM functions (maxstbl 4096 by default) driven by the in-kernel driver, which always moves 4 KiB. */
export const KERNEL_DRIVER_MAXSTBL: MaxstblRange = { min: 4096, max: 8191, default: 4096 };

export interface Testbench {
  readonly name: string;
  readonly description: string;
  /** VM counts the bench supports; default SINGLE_VM. */
  readonly vms?: VmRange;
  /** `--maxstbl` values the bench works with; absent: its functions have a fixed one (the option is refused). */
  readonly maxstbl?: MaxstblRange;
  /** `--pause` values (cycles a typist waits before each line); absent: the bench has no typist (the option is refused). */
  readonly pause?: OptionRange;
  /** Whether `--seed` changes anything (the bench draws data or choices at random); if not it is refused. */
  readonly seeded?: boolean;
  run(options: BenchOptions): Promise<BenchSummary>;
}

export interface BenchContext {
  readonly sim: Simulator;
  readonly options: BenchOptions;
  /** Add a line to the summary. */
  note(line: string): void;
  /** Merge instruction counts into the summary. */
  count(stats: InstructionStats): void;
}

/**
 * Runs a testbench body on a fresh simulator: attaches the VCD writer, runs, disposes, and
 * measures wall time and waveform size. The body elaborates the hardware, calls traceIfAsked,
 * then runs the simulation.
 */
export async function runBench(
  name: string,
  options: BenchOptions,
  body: (ctx: BenchContext) => Promise<void>,
  simOptions: SimulatorOptions = {},
): Promise<BenchSummary> {
  const sim = new Simulator(simOptions);
  const notes: string[] = [];
  const instructions: InstructionStats = {};
  const ctx: BenchContext = {
    sim,
    options,
    note: (line) => notes.push(line),
    count: (stats) => {
      for (const [kind, outcomes] of Object.entries(stats)) {
        const into = (instructions[kind] ??= {});
        for (const [outcome, n] of Object.entries(outcomes)) into[outcome] = (into[outcome] ?? 0) + n;
      }
    },
  };
  const started = performance.now();
  const progress = options.onCycles;
  if (progress) {
    // Called from inside the run: timers do not fire while the simulation loop is busy.
    let reported = 0;
    const sub = sim.settled$.subscribe((cycle) => {
      // A threshold, not a multiple: idle skipping may jump over any given cycle.
      if (cycle - reported < 0x10000) return;
      reported = cycle;
      progress(cycle);
    });
    sim.onDispose(() => sub.unsubscribe());
  }
  let error: unknown;
  let failed = false;
  try {
    await body(ctx);
  } catch (e) {
    failed = true;
    error = e;
  } finally {
    sim.dispose();
  }
  const waveform = pendingWaveforms.get(sim);
  // A run that wrote its header keeps its waveform, failed or not: that is what one debugs with.
  const written = waveform ? await waveform.file.commit() : false;
  const viewerPath = written && options.viewerFiles ? writeGtkwave(options.vcdPath!, waveform!.signals, WAVES_DIR) : undefined;
  const wallMs = performance.now() - started;
  const summary: BenchSummary = {
    bench: name,
    cycles: sim.cycle,
    evaluatedCycles: sim.cycle - sim.skippedCycles,
    wallMs,
    vcdPath: written ? options.vcdPath : undefined,
    vcdBytes: written ? statSync(options.vcdPath!).size : undefined,
    waveFormat: written ? (options.waveFormat ?? 'vcd') : undefined,
    viewerPath,
    instructions,
    notes,
    ...(failed ? { failure: error instanceof Error ? error.message : String(error) } : {}),
  };
  if (failed) throw new BenchFailure(summary, error);
  return summary;
}

/** The waveform each running simulation writes, put in place when its run ends. */
const pendingWaveforms = new WeakMap<Simulator, { file: PendingWaveform; signals: TracedSignal[] }>();

/** What a long bench traces when the user chose no `--scope`. */
export interface TraceDefaults {
  readonly scopes?: string[];
  /** false: no `clk` wire (over a million cycles the clock alone is tens of MiB). */
  readonly clock?: boolean;
}

/**
 * Attach the VCD writer a bench asked for; call after elaboration, before the run. A long bench
 * may pass `defaults` to keep its waveform small when the user chose no `--scope`.
 */
export function traceIfAsked(sim: Simulator, options: BenchOptions, comment: string, defaults: TraceDefaults = {}): void {
  if (!options.vcdPath) return;
  const chosen = options.scopes && options.scopes.length > 0;
  const scopes = chosen ? options.scopes : defaults.scopes;
  const clock = chosen ? true : (defaults.clock ?? true);
  const file = new PendingWaveform(options.vcdPath, options.waveFormat ?? 'vcd');
  const under = (name: string): boolean => !scopes || scopes.length === 0 || scopes.some((sc) => name === sc || name.startsWith(`${sc}.`));
  const signals: TracedSignal[] = [
    ...(clock ? [{ name: 'clk', width: 1 }] : []),
    ...sim.signals.filter((sig) => under(sig.name)).map((sig) => ({ name: sig.name.split('.').map(sanitizeVcdName).join('.'), width: sig.width })),
  ];
  pendingWaveforms.set(sim, { file, signals });
  sim.addTracer(new VcdWriter(file, { scopes, clock, comment: scopes ? `${comment} (scopes: ${scopes.join(' ')})` : comment }));
}
