/**
 * `npm run bench`: performance figures of the kernel (and, as they exist, of the device path).
 * Prints a table; with `--record` (npm run bench -- --record) also writes bench/RESULTS.md with the
 * machine and Node version.
 */
import { cpus, totalmem } from 'node:os';
import { readFileSync, statSync, rmSync } from 'node:fs';
import { RESULTS_FILE, recordResults } from './perf/results-file.ts';
import { Simulator, VcdWriter, CountingSink } from '../rtl/hdl/index.ts';
import { AdderTree, plainAdderTree } from './perf/adder-tree.ts';
import { PERF_SECTIONS } from './perf/sections.ts';
import type { PerfRow } from './perf/row.ts';

const CYCLES = Number(process.env.ISM_SIM_BENCH_CYCLES ?? 200_000);

function timeIt(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return (performance.now() - t0) / 1000;
}

let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20);

function kernelRun(trace: 'off' | 'count' | 'file'): { seconds: number; bytes: number; sum: number } {
  const sim = new Simulator();
  const design = new AdderTree(sim);
  let bytes = 0;
  let counting: CountingSink | undefined;
  const path = 'waves/bench-adder-tree.vcd';
  if (trace === 'count') {
    counting = new CountingSink();
    sim.addTracer(new VcdWriter(counting));
  } else if (trace === 'file') {
    VcdWriter.toFile(sim, path);
  }
  sim.step(1000); // warm-up
  const seconds = timeIt(() => sim.step(CYCLES));
  const sum = design.sum.value;
  sim.dispose();
  if (counting) bytes = counting.bytes;
  if (trace === 'file') {
    bytes = statSync(path).size;
    rmSync(path);
  }
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  return { seconds, bytes, sum };
}

async function main(): Promise<void> {
  const rows: PerfRow[] = [];
  // Kernel and plain loop interleaved (plain, kernel, plain, kernel, ...), best of 5 each: on a
  // shared machine the load changes from second to second, and back-to-back runs see the same.
  let plainSeconds = Number.POSITIVE_INFINITY;
  let off = { seconds: Number.POSITIVE_INFINITY, bytes: 0, sum: 0 };
  for (let i = 0; i < 5; i++) {
    plainSeconds = Math.min(plainSeconds, timeIt(() => plainAdderTree(CYCLES + 1000)));
    const run = kernelRun('off');
    if (run.seconds < off.seconds) off = run;
  }
  const file = kernelRun('file');
  const expectedSum = plainAdderTree(CYCLES + 1000);
  if (off.sum !== expectedSum) throw new Error(`kernel computed ${off.sum}, plain loop ${expectedSum}: the bench design is wrong`);
  const ratio = off.seconds / plainSeconds;
  rows.push(
    { name: 'kernel: adder tree (64 regs, 63 adders), tracing off', value: CYCLES / off.seconds, unit: 'cycles/s' },
    { name: 'kernel: adder tree, VCD to file', value: CYCLES / file.seconds, unit: 'cycles/s' },
    { name: 'kernel: VCD bytes per cycle (adder tree, every signal changes)', value: file.bytes / (CYCLES + 1000), unit: 'B/cycle' },
    { name: 'plain TypeScript loop, same design', value: (CYCLES + 1000) / plainSeconds, unit: 'cycles/s' },
    { name: 'kernel overhead vs plain loop, tracing off (target ≤ 3)', value: ratio, unit: '×' },
  );
  for (const section of PERF_SECTIONS) rows.push(...(await section()));
  clearInterval(sampler);
  rows.push({ name: 'peak resident memory of the benchmark process', value: peakRss / 1024 / 1024, unit: 'MiB' });

  const width = Math.max(...rows.map((r) => r.name.length));
  const fmt = (v: number): string => (v >= 100 ? Math.round(v).toLocaleString('en-US') : v.toFixed(2));
  const lines = rows.map((r) => `${r.name.padEnd(width)}  ${fmt(r.value).padStart(14)} ${r.unit}`);
  console.log(lines.join('\n'));

  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
  const table = ['| figure | value | unit |', '|---|---:|---|', ...rows.map((r) => `| ${r.name} | ${fmt(r.value)} | ${r.unit} |`)];
  const previous = (() => {
    try {
      return readFileSync(RESULTS_FILE, 'utf8');
    } catch {
      return '';
    }
  })();
  // Keep only the one-line history entries of earlier runs.
  const earlier = previous.includes('## History')
    ? previous
        .slice(previous.indexOf('## History'))
        .split('\n')
        .filter((l) => l.startsWith('- '))
    : [];
  const history = ['## History', '', ...earlier].join('\n');
  // Figures of runs too long for this bench (the 10^6-operation soak, a 600 MiB VCD) are written by
  // hand under "## Long runs"; a recorded run keeps that section as it is.
  const longRuns = previous.includes('## Long runs')
    ? previous.slice(previous.indexOf('## Long runs'), previous.includes('## History') ? previous.indexOf('## History') : undefined).trimEnd()
    : '';
  const out = [
    '# Benchmark results',
    '',
    'Written by `npm run bench -- --record` (bench/perf.ts). Simulated cycles per second, operations per second,',
    'bytes of VCD and peak memory. Figures vary a few percent from run to run.',
    '',
    `Latest run: ${new Date().toISOString().slice(0, 10)} on ${machine}, ${CYCLES.toLocaleString('en-US')} measured cycles per kernel run.`,
    '',
    ...table,
    '',
    ...(longRuns ? [longRuns, ''] : []),
    history.trimEnd(),
    `- ${new Date().toISOString().slice(0, 10)}: kernel ${fmt(CYCLES / off.seconds)} cycles/s untraced, overhead ${ratio.toFixed(2)}× vs plain loop (${machine})`,
    '',
  ];
  recordResults(process.argv, out.join('\n'));
}

await main();
