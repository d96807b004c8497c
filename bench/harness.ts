import { statSync } from 'node:fs';
import { Simulator, VcdWriter, type SimulatorOptions } from '../rtl/hdl/index.ts';

/** What every testbench accepts from the command line. */
export interface BenchOptions {
  /** Where to write the waveform; undefined = no VCD. */
  vcdPath?: string;
  seed: number;
  vms: number;
  maxstbl?: number;
  /** Limit the VCD to these scopes (e.g. `vm0.pfu`). */
  scopes?: string[];
  /** Called every 2^16 simulated cycles (progress display of long runs). */
  onCycles?: (cycle: number) => void;
}

/** Counts of instructions by kind and outcome, e.g. { PCISTB: { 'cc0': 12, 'cc2': 3 } }. */
export type InstructionStats = Record<string, Record<string, number>>;

export interface BenchSummary {
  readonly bench: string;
  readonly cycles: number;
  readonly wallMs: number;
  readonly vcdPath?: string;
  readonly vcdBytes?: number;
  readonly instructions: InstructionStats;
  /** Bench-specific result lines, printed under the summary. */
  readonly notes: string[];
}

/** How many VMs a bench can elaborate (`--vms`); a bench without VMs takes the default of one. */
export interface VmRange {
  readonly min: number;
  readonly max: number;
  readonly default: number;
}

export const SINGLE_VM: VmRange = { min: 1, max: 1, default: 1 };

export interface Testbench {
  readonly name: string;
  readonly description: string;
  /** VM counts the bench supports; default SINGLE_VM. */
  readonly vms?: VmRange;
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
    const sub = sim.settled$.subscribe((cycle) => {
      if ((cycle & 0xffff) === 0) progress(cycle);
    });
    sim.onDispose(() => sub.unsubscribe());
  }
  try {
    await body(ctx);
  } finally {
    sim.dispose();
  }
  const wallMs = performance.now() - started;
  const vcdBytes = options.vcdPath ? statSync(options.vcdPath).size : undefined;
  return { bench: name, cycles: sim.cycle, wallMs, vcdPath: options.vcdPath, vcdBytes, instructions, notes };
}

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
  VcdWriter.toFile(sim, options.vcdPath, { scopes, clock, comment: scopes ? `${comment} (scopes: ${scopes.join(' ')})` : comment });
}
