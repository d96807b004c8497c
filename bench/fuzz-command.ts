import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import cliProgress from 'cli-progress';
import { emptyBins } from '../models/ref/fuzz-coverage.ts';
import { describeFailure, runVfioFuzz } from '../models/ref/vfio-fuzz.ts';
import { defaultWorkers, mergeCampaigns, runCampaign, shardUnits, type CampaignReport } from './fuzz-campaign.ts';
import { formatCampaign, fromJson, toJson, toJunit } from './fuzz-results.ts';
import { integer } from './integer-option.ts';
import { humanLines, TO_STDOUT, writeJson } from './json-output.ts';
import { prepareOutput } from './output-path.ts';
import { WAVES_DIR } from './project.ts';
import { UsageError } from './usage-error.ts';
import { DRIVER_OPTION_HELP, firmwareLine, loadDriverOption } from './driver-option.ts';

function shardOption(text: string): { k: number; n: number } {
  const m = /^(\d+)\/(\d+)$/.exec(text);
  const k = Number(m?.[1]);
  const n = Number(m?.[2]);
  if (!m || n < 1 || n > 100_000 || k < 1 || k > n) throw new InvalidArgumentError('--shard must be k/n with 1 <= k <= n, e.g. 2/8');
  return { k, n };
}

function replayOption(text: string): { seed: number; path: string } {
  const m = /^(\d+):(\d+(?::\d+)*)$/.exec(text);
  if (!m || Number(m[1]) >= 2 ** 31) throw new InvalidArgumentError('--replay must be <seed>:<path> as a failure prints it, e.g. 7:56:4:1');
  return { seed: Number(m[1]), path: m[2] };
}

interface Outputs {
  json?: string;
  junit?: string;
  requireCoverage?: boolean;
}

/** Check the result files before anything runs (folder exists, not a folder, not an input): nothing runs for a bad path. */
function prepareOutputs(out: Outputs, inputs: readonly string[] = []): Outputs {
  return {
    ...out,
    json: out.json === undefined || out.json === TO_STDOUT ? out.json : prepareOutput(out.json, '--json', inputs),
    junit: out.junit === undefined ? undefined : prepareOutput(out.junit, '--junit', inputs),
  };
}

/** Where counterexample waveforms go: the project's waves/ folder, wherever ism-sim runs from. */
function wavesDir(): string {
  return dirname(prepareOutput(join(WAVES_DIR, 'counterexample.vcd'), 'counterexample waveform'));
}

/** Print the summary, write the requested result files, set the exit code. */
function finish(report: CampaignReport & { readonly missingShards?: number[] }, out: Outputs): void {
  const say = humanLines(out.json);
  say(formatCampaign(report));
  if (out.json) writeJson(out.json, JSON.stringify(toJson(report), null, 2) + '\n');
  if (out.junit) writeFileSync(out.junit, toJunit(report, out.requireCoverage === true));
  const empty = emptyBins(report.coverage);
  if (out.requireCoverage && empty.length > 0) say(`coverage     ${empty.length} bin${empty.length === 1 ? '' : 's'} stayed empty (--require-coverage)`);
  if (report.failures.length > 0 || (out.requireCoverage && empty.length > 0)) process.exitCode = 1;
}

function progressBar(enabled: boolean, format: string): cliProgress.SingleBar | null {
  return enabled && process.stderr.isTTY ? new cliProgress.SingleBar({ format, hideCursor: true, stream: process.stderr }, cliProgress.Presets.shades_classic) : null;
}

/** The bar's label: generated runs of the total, or (timed) seconds of the total with runs beside. */
export function progressFormat(timed: boolean): string {
  return timed ? 'fuzz [{bar}] {value}/{total} s | {runs} runs | {calls} calls' : 'fuzz [{bar}] {value}/{total} runs | {calls} calls | {eta_formatted}';
}

interface FuzzOpts extends Outputs {
  runs?: number;
  seconds?: number;
  seed: number;
  commands: number;
  replay?: { seed: number; path: string };
  workers?: number;
  shard?: { k: number; n: number };
  progress: boolean;
  driver?: string;
}

async function fuzzAction(opts: FuzzOpts): Promise<void> {
  // A C driver is built (or found in the cache) before anything runs: a build error is a usage error.
  const firmware = opts.driver === undefined ? undefined : await loadDriverOption(opts.driver);
  const say = humanLines(opts.json);
  if (opts.driver !== undefined) say(firmwareLine(opts.driver));
  if (opts.replay) {
    const { seed, path } = opts.replay;
    const r = await runVfioFuzz({ seed, replayPath: path, commandsPerRun: opts.commands, wavesDir: wavesDir(), firmware }).catch((e: unknown) => {
      // fast-check cannot walk a path this seed does not have (a typo, or another --commands or version).
      if (e instanceof Error && e.message.startsWith('Unable to replay')) throw new UsageError(`--replay ${seed}:${path}: seed ${seed} has no such path with --commands ${opts.commands}`);
      throw e;
    });
    console.log(r.failure ? describeFailure(r) : `replay of ${seed}:${path}: every property held (the failure did not reproduce)`);
    if (r.failure) process.exitCode = 1;
    return;
  }
  const out = prepareOutputs(opts);
  const waves = wavesDir();
  const runs = opts.seconds === undefined ? (opts.runs ?? 200) : undefined;
  const spec = { seed: opts.seed, runs, seconds: opts.seconds, commandsPerRun: opts.commands, shard: opts.shard ?? { k: 1, n: 1 } };
  const bar = progressBar(opts.progress, progressFormat(runs === undefined));
  const started = Date.now();
  const ownRuns = runs === undefined ? undefined : [...shardUnits(spec)].reduce((n, u) => n + u.runs, 0);
  bar?.start(ownRuns ?? opts.seconds!, 0, { calls: 0, runs: 0 });
  const report = await runCampaign(spec, {
    workers: opts.workers ?? defaultWorkers(),
    wavesDir: waves,
    driver: opts.driver,
    onProgress: (done, calls) => {
      if (!bar) return;
      if (runs !== undefined) bar.update(done, { calls });
      else bar.update(Math.min(opts.seconds!, Math.floor((Date.now() - started) / 1000)), { runs: done, calls });
    },
  });
  bar?.stop();
  finish(report, out);
  if (opts.driver !== undefined && report.failures.length > 0) say(`  (the replay goes through the C driver too: add --driver ${opts.driver})`);
}

/** `ism-sim fuzz`: the property fuzzer of the vfio-ism I/O paths, on every core, sharded across machines. */
export function fuzzCommand(): Command {
  const fuzz = new Command('fuzz');
  fuzz
    .description('property-fuzz the vfio-ism I/O paths (pread/pwrite/region info, injected faults) against the reference model')
    .addOption(new Option('--runs <n>', 'generated runs of the campaign (each a fresh system and up to --commands calls; shrinking not counted)').argParser(integer('--runs', 1, 10_000_000)).conflicts('seconds'))
    .addOption(new Option('--seconds <n>', 'run for this long instead of a number of runs').argParser(integer('--seconds', 1, 86_400)))
    .option('--seed <n>', 'campaign seed: unit u of 100 runs uses seed + u', integer('--seed', 0, 2 ** 31 - 1), 1)
    .option('--commands <n>', 'calls per run at most', integer('--commands', 1, 1000), 24)
    .addOption(new Option('--replay <seed:path>', 'replay exactly one failing case, as a failure prints it').argParser(replayOption).conflicts(['runs', 'seconds', 'workers', 'shard', 'json', 'junit', 'requireCoverage']))
    .addOption(new Option('--workers <n>', 'threads running units in parallel: this one and n - 1 worker threads (default: the machine\'s cores)').argParser(integer('--workers', 1, 256)))
    .addOption(new Option('--shard <k/n>', 'run only the k-th of n disjoint slices of the campaign (merge the JSON results with `fuzz merge`)').argParser(shardOption))
    .option('--json <file>', 'write the results as JSON (the input of `fuzz merge`); - prints the JSON on stdout and the summary on stderr')
    .option('--junit <file>', 'write a JUnit XML report (one test case per seed, one for coverage)')
    .option('--require-coverage', 'fail the run if a coverage bin stayed empty')
    .option('--driver <main.c>', DRIVER_OPTION_HELP)
    .option('--no-progress', 'no progress bar')
    .action(fuzzAction);
  fuzz
    .command('merge')
    .description('the campaign summary of several shards\' --json results')
    .argument('<files...>', 'JSON results of `ism-sim fuzz --shard k/n --json <file>`')
    .option('--json <file>', 'write the merged results as JSON; - prints the JSON on stdout and the summary on stderr')
    .option('--junit <file>', 'write a JUnit XML report of the merged campaign')
    .option('--require-coverage', 'fail if a coverage bin stayed empty in the whole campaign')
    // `fuzz merge a b --json f`: fuzz itself may have taken the shared option names, so read both levels.
    .action((files: string[], _opts: Outputs, cmd: Command) => {
      const read = (f: string): string => {
        try {
          return readFileSync(f, 'utf8');
        } catch (e) {
          throw new UsageError(`${f}: cannot read (${(e as Error).message})`);
        }
      };
      const out = prepareOutputs(cmd.optsWithGlobals<Outputs>(), files);
      finish(mergeCampaigns(files.map((f) => fromJson(read(f), f))), out);
    });
  return fuzz;
}
