import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import cliProgress from 'cli-progress';
import { Simulator, VcdNameError, VcdScopeError } from '../rtl/hdl/index.ts';
import { DEFAULT_BENCH, TESTBENCHES, findBench } from './testbenches/index.ts';
import { BenchFailure, SINGLE_VM, type BenchConfig, type BenchSummary, type Testbench } from './harness.ts';
import { formatSummary } from './summary.ts';
import { integer } from './integer-option.ts';
import { prepareOutput } from './output-path.ts';
import { WAVES_DIR, VERSION } from './project.ts';
import { UsageError } from './usage-error.ts';
import { DRIVER_OPTION_HELP, firmwareLine, withDefaultDriver } from './driver-option.ts';
import { findVcd2fst, type WaveFormat } from './waveform-file.ts';

interface RunOptions {
  vcd: string | boolean;
  fst?: string | boolean;
  seed: number;
  vms?: number;
  maxstbl?: number;
  pause?: number;
  scope?: string[];
  json?: string;
  skip: boolean;
  driver?: string;
}

/** The summary as JSON for CI: every field of the text summary, every note, the verdict. */
export function summaryJson(s: BenchSummary): string {
  return `${JSON.stringify(
    {
      tool: 'ism-sim',
      version: VERSION,
      bench: s.bench,
      config: s.config,
      result: s.failure === undefined ? 'passed' : 'failed',
      failure: s.failure,
      cycles: s.cycles,
      evaluatedCycles: s.evaluatedCycles,
      wallSeconds: Number((s.wallMs / 1000).toFixed(3)),
      instructions: s.instructions,
      waveform: s.vcdPath ? { path: s.vcdPath, format: s.waveFormat, bytes: s.vcdBytes, gtkwave: s.viewerPath } : null,
      notes: s.notes,
    },
    null,
    2,
  )}\n`;
}

/** What the options ask of this bench, refused (UsageError) before anything runs or is written. */
function resolveConfig(bench: Testbench, opts: RunOptions, seedGiven: boolean): BenchConfig {
  const range = bench.vms ?? SINGLE_VM;
  const vms = opts.vms ?? range.default;
  if (vms < range.min || vms > range.max) {
    const supported = range.min === range.max ? `${range.min}` : `${range.min} to ${range.max}`;
    throw new UsageError(`bench ${bench.name} runs with ${supported} VM${range.max > 1 ? 's' : ''}, not --vms ${vms}`);
  }
  if (opts.maxstbl !== undefined) {
    if (!bench.maxstbl) throw new UsageError(`bench ${bench.name} has no --maxstbl: its function's maximum store-block length is fixed`);
    if (opts.maxstbl < bench.maxstbl.min || opts.maxstbl > bench.maxstbl.max) {
      throw new UsageError(`bench ${bench.name} works with --maxstbl ${bench.maxstbl.min} to ${bench.maxstbl.max}, not ${opts.maxstbl}`);
    }
  }
  if (opts.pause !== undefined) {
    if (!bench.pause) throw new UsageError(`bench ${bench.name} has no --pause: nobody types at a terminal in it`);
    if (opts.pause < bench.pause.min || opts.pause > bench.pause.max) {
      throw new UsageError(`bench ${bench.name} works with --pause ${bench.pause.min} to ${bench.pause.max} cycles, not ${opts.pause}`);
    }
  }
  if (seedGiven && !bench.seeded) throw new UsageError(`bench ${bench.name} draws nothing at random: --seed would change nothing`);
  return {
    vms,
    seed: bench.seeded ? opts.seed : undefined,
    maxstbl: bench.maxstbl ? (opts.maxstbl ?? bench.maxstbl.default) : undefined,
    pause: bench.pause ? (opts.pause ?? bench.pause.default) : undefined,
  };
}

/** Where the waveform goes and in which format; undefined for none. */
function resolveWaveform(bench: Testbench, opts: RunOptions): { path: string; format: WaveFormat } | undefined {
  if (opts.vcd === false) return undefined;
  const format: WaveFormat = opts.fst !== undefined && opts.fst !== false ? 'fst' : 'vcd';
  if (format === 'fst' && !findVcd2fst()) {
    throw new UsageError('--fst needs GTKWave\'s vcd2fst, which is not installed (apt-get install gtkwave); without --fst a VCD is written');
  }
  const given = typeof opts.fst === 'string' ? opts.fst : typeof opts.vcd === 'string' ? opts.vcd : undefined;
  const path = given ?? join(WAVES_DIR, `${bench.name}.${format}`);
  return { path: prepareOutput(path, 'waveform'), format };
}

/** `ism-sim run`: a testbench, its waveform and its summary. */
export function runCommand(): Command {
  return new Command('run')
    .description('run a testbench, write its waveform and print a summary')
    .argument('[bench]', 'testbench name (see `ism-sim list`)', DEFAULT_BENCH)
    .addOption(new Option('--vcd <path>', 'waveform file (default waves/<bench>.vcd in the project)').conflicts('fst'))
    .option('--no-vcd', 'do not write a waveform')
    .option('--fst [path]', 'write FST instead of VCD, streamed through GTKWave\'s vcd2fst (default waves/<bench>.fst)')
    .option('--seed <n>', 'seed of the bench\'s random data and choices (refused by benches without any)', integer('--seed', 0, 2 ** 31 - 1), 1)
    .option('--vms <n>', 'number of VMs on the ISM network (each bench says which counts it supports)', integer('--vms', 1, 16))
    .option('--maxstbl <n>', 'maximum PCISTB length of the ISM functions (each bench says which it supports)', integer('--maxstbl', 1, 8191))
    .option('--pause <cycles>', 'cycles the typist waits before each line, e.g. 1000000 = 1 ms at the 1 GHz clock (benches with a terminal: console)', integer('--pause', 0, 2 ** 31 - 1))
    .option('--scope <scope...>', 'trace only these scopes (e.g. vm0.pfu)')
    .option('--json <path>', 'also write the summary as JSON to this file (- for stdout, instead of the text)')
    .option('--driver <main.c>', DRIVER_OPTION_HELP)
    .option('--no-skip', 'the cycle-by-cycle path: every clocked process runs at every edge, idle declarations ignored, no cycle jumped over (same results; the traced clock gets every edge)')
    .action(async (name: string, opts: RunOptions, cmd: Command) => {
      Simulator.defaults.skipIdle = opts.skip;
      const bench = findBench(name);
      if (!bench) throw new UsageError(`no testbench named "${name}"; try: ${TESTBENCHES.map((b) => b.name).join(', ')}`);
      const config = resolveConfig(bench, opts, cmd.getOptionValueSource('seed') === 'cli');
      const waveform = resolveWaveform(bench, opts);
      const jsonPath = opts.json === undefined || opts.json === '-' ? opts.json : prepareOutput(opts.json, 'JSON summary');
      const bar = process.stderr.isTTY
        ? new cliProgress.SingleBar(
            { format: `run ${bench.name} | {cycles} cycles simulated | {duration_formatted}`, hideCursor: true, stream: process.stderr, clearOnComplete: true },
            cliProgress.Presets.shades_classic,
          )
        : null;
      bar?.start(1, 0, { cycles: 0 });
      const onCycles = (cycle: number): void => bar?.update(0, { cycles: cycle.toLocaleString('en-US') });
      let summary: BenchSummary;
      try {
        const run = await withDefaultDriver(opts.driver, () =>
          bench.run({
            vcdPath: waveform?.path,
            waveFormat: waveform?.format,
            viewerFiles: true,
            seed: opts.seed,
            vms: config.vms,
            maxstbl: config.maxstbl,
            pause: config.pause,
            scopes: opts.scope,
            onCycles,
          }),
        );
        summary = run.result;
        if (opts.driver !== undefined && jsonPath !== '-') {
          console.log(run.bound > 0 ? `${firmwareLine(opts.driver)}, bound to ${run.bound} vfio device${run.bound === 1 ? '' : 's'}` : `note: bench ${bench.name} opens no vfio device; --driver ${opts.driver} was not used`);
        }
      } catch (e) {
        if (!(e instanceof BenchFailure)) throw e;
        // A tracer that cannot start is a refused option, not a failed design.
        if (e.cause instanceof VcdScopeError || e.cause instanceof VcdNameError) throw new UsageError(e.cause.message);
        summary = e.summary;
      } finally {
        bar?.stop();
      }
      summary = { ...summary, config };
      if (jsonPath === '-') console.log(summaryJson(summary).trimEnd());
      else console.log(formatSummary(summary));
      if (jsonPath !== undefined && jsonPath !== '-') writeFileSync(jsonPath, summaryJson(summary));
      if (summary.failure !== undefined) process.exitCode = 1;
    });
}
