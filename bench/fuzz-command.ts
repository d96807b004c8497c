import { Command, Option } from 'commander';
import cliProgress from 'cli-progress';
import { describeFailure, runVfioFuzz, type FuzzCounters } from '../models/ref/vfio-fuzz.ts';
import { integer } from './integer-option.ts';

/** `ism-sim fuzz`: the property fuzzer of the vfio-ism I/O paths. */
export function fuzzCommand(): Command {
  return new Command('fuzz')
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
}
