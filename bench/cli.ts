import { Command, InvalidArgumentError, Option } from 'commander';
import cliProgress from 'cli-progress';
import { describeFailure, runVfioFuzz, type FuzzCounters } from '../models/ref/vfio-fuzz.ts';
import { DEFAULT_BENCH, TESTBENCHES, findBench } from './testbenches/index.ts';
import { formatSummary } from './summary.ts';
import { SINGLE_VM } from './harness.ts';
import { readFileSync, writeFileSync } from 'node:fs';
import { parseVcd } from '../rtl/hdl/vcd-reader.ts';
import { clockPeriod, sampleWindow, selectSignals } from './wave/window.ts';
import { renderSvg, renderText } from './wave/render.ts';

function integer(name: string, min: number, max: number) {
  return (text: string): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}`);
    }
    return n;
  };
}

export function buildCli(): Command {
  const program = new Command('ism-sim')
    .description('Cycle-accurate model of the s390 ISM device path: run testbenches, write waveforms, fuzz the I/O paths')
    .showHelpAfterError();

  program
    .command('list')
    .description('list the testbenches')
    .action(() => {
      const width = Math.max(...TESTBENCHES.map((b) => b.name.length));
      for (const b of TESTBENCHES) {
        const r = b.vms ?? SINGLE_VM;
        const vms = r.min === r.max ? `${r.min} VM${r.min > 1 ? 's' : ''}` : `${r.min}-${r.max} VMs`;
        console.log(`${b.name.padEnd(width)}  ${vms.padEnd(8)}  ${b.description}${b.name === DEFAULT_BENCH ? ' (default)' : ''}`);
      }
    });

  program
    .command('run')
    .description('run a testbench, write its waveform and print a summary')
    .argument('[bench]', 'testbench name (see `ism-sim list`)', DEFAULT_BENCH)
    .option('--vcd <path>', 'waveform file (default waves/<bench>.vcd)')
    .option('--no-vcd', 'do not write a waveform')
    .option('--seed <n>', 'seed of the bench\'s random data and choices (scripted benches have none)', integer('--seed', 0, 2 ** 31 - 1), 1)
    .option('--vms <n>', 'number of VMs on the ISM network (each bench says which counts it supports)', integer('--vms', 1, 16))
    .option('--maxstbl <n>', 'maximum PCISTB length of the ISM functions', integer('--maxstbl', 8, 8191))
    .option('--scope <scope...>', 'trace only these scopes (e.g. vm0.pfu)')
    .action(async (name: string, opts: { vcd: string | boolean; seed: number; vms?: number; maxstbl?: number; scope?: string[] }) => {
      const bench = findBench(name);
      if (!bench) {
        console.error(`ism-sim: no testbench named "${name}"; try: ${TESTBENCHES.map((b) => b.name).join(', ')}`);
        process.exitCode = 2;
        return;
      }
      const range = bench.vms ?? SINGLE_VM;
      const vms = opts.vms ?? range.default;
      if (vms < range.min || vms > range.max) {
        const supported = range.min === range.max ? `${range.min}` : `${range.min} to ${range.max}`;
        console.error(`ism-sim: bench ${bench.name} runs with ${supported} VM${range.max > 1 ? 's' : ''}, not --vms ${vms}`);
        process.exitCode = 2;
        return;
      }
      const vcdPath = opts.vcd === false ? undefined : typeof opts.vcd === 'string' ? opts.vcd : `waves/${bench.name}.vcd`;
      const bar = process.stderr.isTTY
        ? new cliProgress.SingleBar(
            { format: `run ${bench.name} | {cycles} cycles simulated | {duration_formatted}`, hideCursor: true, stream: process.stderr, clearOnComplete: true },
            cliProgress.Presets.shades_classic,
          )
        : null;
      bar?.start(1, 0, { cycles: 0 });
      const onCycles = (cycle: number): void => bar?.update(0, { cycles: cycle.toLocaleString('en-US') });
      try {
        const summary = await bench.run({ vcdPath, seed: opts.seed, vms, maxstbl: opts.maxstbl, scopes: opts.scope, onCycles });
        bar?.stop();
        console.log(formatSummary(summary));
      } catch (e) {
        bar?.stop();
        throw e;
      }
    });

  program
    .command('wave')
    .description('draw a window of a waveform: SVG (WaveDrom) and/or text in the terminal')
    .argument('<vcd>', 'a VCD written by ism-sim')
    .option('--scope <scope...>', 'signals under these scopes, or exact signal names', ['vm0.cpu_port'])
    .option('--from <cycle>', 'first cycle', integer('--from', 0, Number.MAX_SAFE_INTEGER), 0)
    .option('--cycles <n>', 'how many cycles', integer('--cycles', 1, 400), 40)
    .option('--period <ps>', 'clock period in ps when the VCD has no clk', integer('--period', 2, 1_000_000), 1000)
    .option('-o, --out <svg>', 'SVG file to write (default: the VCD path with .svg)')
    .option('--text', 'print the window as text instead of writing an SVG')
    .action((vcd: string, opts: { scope: string[]; from: number; cycles: number; period: number; out?: string; text?: boolean }) => {
      const doc = parseVcd(readFileSync(vcd, 'utf8'));
      const period = clockPeriod(doc, opts.period);
      const window = sampleWindow(doc, selectSignals(doc, opts.scope), opts.from, opts.cycles, period);
      if (opts.text) {
        console.log(renderText(window));
        return;
      }
      const out = opts.out ?? vcd.replace(/\.vcd$/, '') + '.svg';
      writeFileSync(out, renderSvg(window));
      console.log(`wrote ${out}: ${window.rows.length} signals, cycles ${opts.from}..${opts.from + opts.cycles - 1}`);
    });

  program
    .command('fuzz')
    .description('property-fuzz the vfio-ism I/O paths (pread/pwrite/region info) against the reference model')
    .addOption(new Option('--runs <n>', 'property runs (each a fresh system and up to 24 calls)').argParser(integer('--runs', 1, 10_000_000)).conflicts('seconds'))
    .addOption(new Option('--seconds <n>', 'run for this long instead of a number of runs').argParser(integer('--seconds', 1, 86_400)))
    .option('--seed <n>', 'fast-check seed (a failure is reproduced by the same seed and runs)', integer('--seed', 0, 2 ** 31 - 1), 1)
    .option('--commands <n>', 'calls per run at most', integer('--commands', 1, 1000), 24)
    .option('--no-progress', 'no progress bar')
    .action(async (opts: { runs?: number; seconds?: number; seed: number; commands: number; progress: boolean }) => {
      const runs = opts.seconds === undefined ? (opts.runs ?? 200) : undefined;
      const bar = opts.progress && process.stderr.isTTY
        ? new cliProgress.SingleBar(
            { format: `fuzz [{bar}] {value}/{total} runs | {ops} calls | {eta_formatted}`, hideCursor: true, stream: process.stderr },
            cliProgress.Presets.shades_classic,
          )
        : null;
      const started = Date.now();
      bar?.start(runs ?? opts.seconds!, 0, { ops: 0 });
      const onRun = (done: number, c: FuzzCounters): void => {
        if (!bar) return;
        if (runs !== undefined) bar.update(done, { ops: c.operations });
        else bar.update(Math.min(opts.seconds!, Math.floor((Date.now() - started) / 1000)), { ops: c.operations });
      };
      const report = await runVfioFuzz({ seed: opts.seed, runs, seconds: opts.seconds, commandsPerRun: opts.commands, onRun });
      bar?.stop();
      const secs = report.wallMs / 1000;
      const lines = [
        `fuzz         vfio-ism I/O paths, seed ${report.seed}`,
        `runs         ${report.runs.toLocaleString('en-US')}`,
        `calls        ${report.counters.operations.toLocaleString('en-US')} checked (${Math.round(report.counters.operations / secs).toLocaleString('en-US')} per second)`,
        `cycles       ${report.counters.cycles.toLocaleString('en-US')} simulated`,
        `wall time    ${secs.toFixed(1)} s`,
        'instructions',
        ...Object.keys(report.counters.byKind)
          .sort()
          .map((k) => `  ${k.padEnd(11)}${Object.entries(report.counters.byKind[k]).sort().map(([o, n]) => `${o}=${n}`).join('  ')}`),
        report.failed ? describeFailure(report) : 'result       every property held',
      ];
      console.log(lines.join('\n'));
      if (report.failed) process.exitCode = 1;
    });

  return program;
}
