import { readFileSync, writeFileSync } from 'node:fs';
import { Command } from 'commander';
import { parseVcd } from './wave/vcd-reader.ts';
import { clockPeriod, sampleWindow, selectSignals } from './wave/window.ts';
import { renderSvg, renderText } from './wave/render.ts';
import { integer } from './integer-option.ts';
import { prepareOutput } from './output-path.ts';
import { UsageError } from './usage-error.ts';

/** `ism-sim wave`: a window of a waveform as a picture. */
export function waveCommand(): Command {
  return new Command('wave')
    .description('draw a window of a waveform: SVG (WaveDrom) and/or text in the terminal')
    .argument('<vcd>', 'a VCD written by ism-sim')
    .option('--scope <scope...>', 'signals under these scopes, or exact signal names', ['vm0.cpu_port'])
    .option('--from <cycle>', 'first cycle', integer('--from', 0, Number.MAX_SAFE_INTEGER), 0)
    .option('--cycles <n>', 'how many cycles', integer('--cycles', 1, 400), 40)
    .option('--period <ps>', 'clock period in ps when the VCD has no clk', integer('--period', 2, 1_000_000), 1000)
    .option('-o, --out <svg>', 'SVG file to write (default: the VCD path with .svg)')
    .option('--text', 'print the window as text instead of writing an SVG')
    .action((vcd: string, opts: { scope: string[]; from: number; cycles: number; period: number; out?: string; text?: boolean }) => {
      if (opts.text && opts.out) throw new UsageError('--text prints to the terminal; -o names an SVG file: choose one');
      const out = opts.text ? undefined : prepareOutput(opts.out ?? vcd.replace(/\.vcd$/, '') + '.svg', 'picture', [vcd]);
      const doc = parseVcd(readFileSync(vcd, 'utf8'));
      const period = clockPeriod(doc, opts.period);
      const window = sampleWindow(doc, selectSignals(doc, opts.scope), opts.from, opts.cycles, period);
      if (!out) {
        console.log(renderText(window));
        return;
      }
      writeFileSync(out, renderSvg(window));
      console.log(`wrote ${out}: ${window.rows.length} signals, cycles ${opts.from}..${opts.from + opts.cycles - 1}`);
    });
}
