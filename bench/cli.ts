import { Command } from 'commander';
import cliProgress from 'cli-progress';
import { DEFAULT_BENCH, TESTBENCHES, findBench } from './testbenches/index.ts';
import { formatSummary } from './summary.ts';
import { SINGLE_VM } from './harness.ts';
import { readFileSync, writeFileSync } from 'node:fs';
import { parseVcd } from '../rtl/hdl/vcd-reader.ts';
import { clockPeriod, sampleWindow, selectSignals } from './wave/window.ts';
import { renderSvg, renderText } from './wave/render.ts';
import { fuzzCommand } from './fuzz-command.ts';
import { integer } from './integer-option.ts';

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

  program.addCommand(fuzzCommand().copyInheritedSettings(program));

  return program;
}
