import { writeFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { instructionWindow, readWindow } from './wave/window.ts';
import { VcdReadError } from './wave/vcd-stream.ts';
import { renderSvg } from './wave/svg.ts';
import { renderText } from './wave/text.ts';
import { integer } from './integer-option.ts';
import { displayPath, prepareOutput } from './output-path.ts';
import { UsageError } from './usage-error.ts';

interface WaveOptions {
  scope?: string[];
  from: number;
  cycles: number;
  insn?: number;
  period: number;
  out?: string;
  text?: boolean;
}

/** `ism-sim wave`: a window of a waveform as one picture, read as a stream. */
export function waveCommand(): Command {
  return new Command('wave')
    .description('draw a window of a VCD as an SVG picture or as text in the terminal')
    .argument('<vcd>', 'a VCD file (ism-sim\'s, or any IEEE 1364 VCD: fst2vcd, Verilator, Icarus), or an FST (read through fst2vcd)')
    .option('--scope <scope...>', 'signals under these scopes, or exact signal names (default: the CPU handshake, checks, block header, beats and adapter)')
    .addOption(new Option('--from <cycle>', 'first cycle').argParser(integer('--from', 0, Number.MAX_SAFE_INTEGER)).default(0).conflicts('insn'))
    .addOption(new Option('--cycles <n>', 'how many cycles (the scale adapts; idle stretches fold)').argParser(integer('--cycles', 1, 100_000)).default(60).conflicts('insn'))
    .option('--insn <n>', 'the window of the n-th instruction on vm0\'s CPU port, request to response', integer('--insn', 1, Number.MAX_SAFE_INTEGER))
    .option('--period <ps>', 'clock period in ps when the VCD has no clk', integer('--period', 1, 1_000_000_000), 1000)
    .option('-o, --out <svg>', 'SVG file to write (default: the VCD path with .svg)')
    .option('--text', 'print the window as text instead of writing an SVG')
    .action((vcd: string, opts: WaveOptions) => {
      if (opts.text && opts.out) throw new UsageError('--text prints to the terminal; -o names an SVG file: choose one');
      const out = opts.text ? undefined : prepareOutput(opts.out ?? `${vcd.replace(/\.vcd$/, '')}.svg`, 'picture', [vcd]);
      try {
        const span = opts.insn !== undefined ? instructionWindow(vcd, opts.insn, opts.period) : { fromCycle: opts.from, cycles: opts.cycles };
        const window = readWindow(vcd, { scopes: opts.scope, ...span, fallbackPeriodPs: opts.period });
        if (!out) {
          console.log(renderText(window));
          return;
        }
        writeFileSync(out, renderSvg(window));
        console.log(`wrote ${displayPath(out)}: ${window.rows.length} signals, cycles ${window.firstCycle}..${window.firstCycle + window.cycles - 1}`);
        for (const warning of window.warnings) console.error(`ism-sim: warning: ${warning}`);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (e instanceof VcdReadError) throw new UsageError(e.message);
        if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR') throw new UsageError(`cannot read ${vcd}: ${(e as Error).message}`);
        throw e;
      }
    });
}
