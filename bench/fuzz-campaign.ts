import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { mergeCoverage, type CoverageTable } from '../models/ref/fuzz-coverage.ts';
import type { VfioIsmFirmwareFactory } from '../models/vfio/firmware.ts';
import { loadDriverOption } from './driver-option.ts';
import { UsageError } from './usage-error.ts';
import { cachedBundle } from './worker-bundle.ts';
import { emptyCounters, runVfioFuzz, type FuzzCounters, type FuzzFailure, type FuzzReport } from '../models/ref/vfio-fuzz.ts';

/**
 * A fuzz campaign is cut into units of at most UNIT_RUNS generated runs; unit u runs fast-check
 * with seed `seed + u`. The cut depends only on the campaign (seed, runs), never on how many
 * workers or machines run it, so "run N of the campaign" names the same case everywhere:
 * `--runs N` finds a failure at run N and `--runs N-1` does not.
 */
export const UNIT_RUNS = 100;

export interface CampaignSpec {
  readonly seed: number;
  /** Generated runs of the whole campaign (all shards together). */
  readonly runs?: number;
  /** Or: run for this long (each shard, each machine). */
  readonly seconds?: number;
  readonly commandsPerRun: number;
  /** This machine's slice: shard k of n (1-based). */
  readonly shard: { readonly k: number; readonly n: number };
}

export interface FuzzUnit {
  readonly index: number;
  readonly seed: number;
  readonly runs: number;
  /** Seconds left for this unit when the campaign is timed. */
  readonly seconds?: number;
  readonly commandsPerRun: number;
  readonly wavesDir?: string;
  /** A C driver run through cosim (`--driver`): a path crosses into worker threads, a factory cannot. */
  readonly driver?: string;
}

export interface UnitResult {
  readonly unit: FuzzUnit;
  readonly report: FuzzReport;
}

export interface CampaignFailure extends FuzzFailure {
  readonly seed: number;
  /** 1-based run of the whole campaign: unit index × UNIT_RUNS + the unit's run. */
  readonly campaignRun: number;
  readonly replay: string;
}

export interface CampaignReport {
  readonly spec: CampaignSpec;
  readonly workers: number;
  readonly units: { readonly index: number; readonly seed: number; readonly runs: number; readonly failed: boolean }[];
  readonly runs: number;
  readonly counters: FuzzCounters;
  readonly coverage: CoverageTable;
  readonly wallMs: number;
  readonly failures: CampaignFailure[];
}

const SEED_SPACE = 2 ** 31;

function unitSeed(spec: CampaignSpec, index: number): number {
  return (spec.seed + index) % SEED_SPACE;
}

/** Unit `claim` of this shard (0, 1, …: every n-th unit of the campaign from the k-th); undefined past the end. */
function shardUnit(spec: CampaignSpec, claim: number): Omit<FuzzUnit, 'seconds'> | undefined {
  const total = spec.runs === undefined ? Number.POSITIVE_INFINITY : Math.ceil(spec.runs / UNIT_RUNS);
  const index = spec.shard.k - 1 + claim * spec.shard.n;
  if (index >= total) return undefined;
  const runs = spec.runs === undefined ? UNIT_RUNS : Math.min(UNIT_RUNS, spec.runs - index * UNIT_RUNS);
  return { index, seed: unitSeed(spec, index), runs, commandsPerRun: spec.commandsPerRun };
}

/** The units of this shard, in order (timed campaigns: an endless sequence, cut by the clock). */
export function* shardUnits(spec: CampaignSpec): Generator<Omit<FuzzUnit, 'seconds'>> {
  for (let claim = 0, u = shardUnit(spec, 0); u; u = shardUnit(spec, ++claim)) yield u;
}

export function defaultWorkers(): number {
  return availableParallelism();
}

export interface CampaignOptions {
  readonly workers: number;
  /** The driver under test, in this thread only (a factory cannot cross into worker threads). */
  readonly firmware?: VfioIsmFirmwareFactory;
  /** Or a C driver's path (cosim), which every worker builds (from the cache) for itself. */
  readonly driver?: string;
  readonly wavesDir?: string;
  /** Progress: generated runs and checked calls so far (all workers). */
  readonly onProgress?: (runs: number, calls: number) => void;
}

export async function runUnit(unit: FuzzUnit, onRun?: (runs: number, counters: FuzzCounters) => void, firmware?: VfioIsmFirmwareFactory): Promise<FuzzReport> {
  const driver = firmware ?? (unit.driver === undefined ? undefined : await loadDriverOption(unit.driver));
  return runVfioFuzz({ seed: unit.seed, runs: unit.runs, seconds: unit.seconds, commandsPerRun: unit.commandsPerRun, wavesDir: unit.wavesDir, onRun, firmware: driver });
}

/**
 * What every lane (this thread, or a worker thread) needs to take units by itself: the next unit
 * is claimed from memory all lanes share, so a worker never waits for the parent between units
 * (on a loaded machine the parent's wake-up took ~10 ms per unit) and all stay busy to the end.
 */
export interface LaneJob {
  readonly spec: CampaignSpec;
  /** A timed campaign's end (Date.now() milliseconds). */
  readonly deadline?: number;
  readonly wavesDir?: string;
  readonly driver?: string;
  /** Shared by all lanes: [the next claim, 1 once a unit failed (no new unit starts)]. */
  readonly claims: Int32Array;
}

const NEXT_CLAIM = 0;
const STOPPED = 1;

function claimUnit(job: LaneJob): FuzzUnit | undefined {
  if (Atomics.load(job.claims, STOPPED) !== 0) return undefined;
  const left = job.deadline === undefined ? undefined : (job.deadline - Date.now()) / 1000;
  if (left !== undefined && left <= 0) return undefined;
  const unit = shardUnit(job.spec, Atomics.add(job.claims, NEXT_CLAIM, 1));
  return unit && { ...unit, seconds: left, wavesDir: job.wavesDir, driver: job.driver };
}

/** Run units until none is left (or one failed, or time is up), reporting each as it ends. */
export async function runLane(
  job: LaneJob,
  onRun: (unit: FuzzUnit, runs: number, counters: FuzzCounters) => void,
  onUnit: (result: UnitResult) => void,
  firmware?: VfioIsmFirmwareFactory,
): Promise<void> {
  for (let unit = claimUnit(job); unit; unit = claimUnit(job)) {
    const u = unit;
    const report = await runUnit(u, (runs, counters) => onRun(u, runs, counters), firmware);
    if (report.failure) Atomics.store(job.claims, STOPPED, 1);
    onUnit({ unit: u, report });
  }
}

/** What a fuzz worker thread posts. */
export type WorkerMessage =
  | { readonly kind: 'progress'; readonly index: number; readonly runs: number; readonly calls: number }
  | { readonly kind: 'unit'; readonly result: UnitResult }
  | { readonly kind: 'finished' }
  | { readonly kind: 'error'; readonly message: string };

/** The worker thread's entry: the cached bundle of bench/fuzz-worker.ts, or that file through tsx. */
async function workerEntry(): Promise<string | URL> {
  return (await cachedBundle('bench/fuzz-worker.ts')) ?? new URL('./fuzz-worker.mjs', import.meta.url);
}

/** A lane in a worker thread: runs the job there, passing its progress and results on. */
class WorkerLane {
  private readonly worker: Worker;
  readonly finished: Promise<void>;
  constructor(entry: string | URL, job: LaneJob, onProgress: (index: number, runs: number, calls: number) => void, onUnit: (result: UnitResult) => void) {
    this.worker = new Worker(entry);
    this.finished = new Promise((resolve, reject) => {
      this.worker.on('message', (m: WorkerMessage) => {
        if (m.kind === 'progress') onProgress(m.index, m.runs, m.calls);
        else if (m.kind === 'unit') onUnit(m.result);
        else if (m.kind === 'finished') resolve();
        else reject(new Error(`fuzz worker: ${m.message}`));
      });
      this.worker.once('error', reject);
      this.worker.once('exit', (code) => reject(new Error(`fuzz worker stopped (exit code ${code})`)));
    });
    this.worker.postMessage(job);
  }
  stop(): Promise<number> {
    return this.worker.terminate();
  }
}

/**
 * Run this shard's units on `workers` lanes: this thread and workers - 1 worker threads, each
 * taking the next unit when it finishes one. This thread is one of them rather than a waiting
 * parent: it has the code loaded already (one worker thread fewer to start), and no lane waits
 * for it between units. After a failure no new unit starts; the report lists every unit run.
 */
export async function runCampaign(spec: CampaignSpec, options: CampaignOptions): Promise<CampaignReport> {
  const started = performance.now();
  const results: UnitResult[] = [];
  const live = new Map<number, { runs: number; calls: number }>();
  const progress = (index: number, runs: number, calls: number): void => {
    live.set(index, { runs, calls });
    let r = 0;
    let c = 0;
    for (const v of live.values()) {
      r += v.runs;
      c += v.calls;
    }
    options.onProgress?.(r, c);
  };
  const onUnit = (result: UnitResult): void => {
    progress(result.unit.index, result.report.runs, result.report.counters.operations);
    results.push(result);
  };
  const job: LaneJob = {
    spec,
    deadline: spec.seconds === undefined ? undefined : Date.now() + spec.seconds * 1000,
    wavesDir: options.wavesDir,
    driver: options.driver,
    claims: new Int32Array(new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT)),
  };
  // No idle threads: a campaign of fewer units than workers starts only as many as it has.
  const unitCount = spec.runs === undefined ? Number.POSITIVE_INFINITY : [...shardUnits(spec)].length;
  const workers = Math.max(1, Math.min(options.workers, unitCount));
  if (options.firmware && workers > 1) throw new Error('a firmware factory runs in this thread only: use one worker');
  const entry = workers > 1 ? await workerEntry() : undefined;
  const threads = Array.from({ length: workers - 1 }, () => new WorkerLane(entry!, job, progress, onUnit));
  // A lane that fails stops the others at their next claim; the campaign waits for all of them.
  const stopOnError = (e: unknown): never => {
    Atomics.store(job.claims, STOPPED, 1);
    throw e;
  };
  const lanes = [runLane(job, (u, runs, c) => progress(u.index, runs, c.operations), onUnit, options.firmware), ...threads.map((t) => t.finished)];
  try {
    const failed = (await Promise.allSettled(lanes.map((l) => l.catch(stopOnError)))).find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
  } finally {
    await Promise.all(threads.map((t) => t.stop()));
  }
  results.sort((a, b) => a.unit.index - b.unit.index);
  return summarise(spec, workers, results, performance.now() - started);
}

function addCounters(into: FuzzCounters, c: FuzzCounters): void {
  into.operations += c.operations;
  into.instructions += c.instructions;
  into.cycles += c.cycles;
  for (const [kind, outcomes] of Object.entries(c.byKind)) {
    const k = (into.byKind[kind] ??= {});
    for (const [o, n] of Object.entries(outcomes)) k[o] = (k[o] ?? 0) + n;
  }
}

function summarise(spec: CampaignSpec, workers: number, results: readonly UnitResult[], wallMs: number): CampaignReport {
  const counters = emptyCounters();
  for (const r of results) addCounters(counters, r.report.counters);
  return {
    spec,
    workers,
    units: results.map((r) => ({ index: r.unit.index, seed: r.unit.seed, runs: r.report.runs, failed: r.report.failure !== undefined })),
    runs: results.reduce((n, r) => n + r.report.runs, 0),
    counters,
    coverage: mergeCoverage(results.map((r) => r.report.coverage)),
    wallMs,
    failures: results.flatMap((r) =>
      r.report.failure
        ? [{ ...r.report.failure, seed: r.unit.seed, campaignRun: r.unit.index * UNIT_RUNS + r.report.failure.run, replay: `ism-sim fuzz --replay ${r.unit.seed}:${r.report.failure.path}` }]
        : [],
    ),
  };
}

/** The campaign summary of several shards' reports (`ism-sim fuzz merge`). */
export function mergeCampaigns(reports: readonly CampaignReport[]): CampaignReport & { readonly missingShards: number[] } {
  if (reports.length === 0) throw new UsageError('merge needs at least one report');
  const first = reports[0].spec;
  for (const r of reports) {
    const s = r.spec;
    if (s.seed !== first.seed || s.runs !== first.runs || s.seconds !== first.seconds || s.shard.n !== first.shard.n || s.commandsPerRun !== first.commandsPerRun) {
      throw new UsageError(`reports are of different campaigns: seed ${s.seed} runs ${s.runs ?? '-'} seconds ${s.seconds ?? '-'} shards ${s.shard.n} vs seed ${first.seed} runs ${first.runs ?? '-'} seconds ${first.seconds ?? '-'} shards ${first.shard.n}`);
    }
  }
  const shards = reports.map((r) => r.spec.shard.k);
  const dup = shards.find((k, i) => shards.indexOf(k) !== i);
  if (dup !== undefined) throw new UsageError(`shard ${dup}/${first.shard.n} appears twice`);
  const counters = emptyCounters();
  for (const r of reports) addCounters(counters, r.counters);
  const missingShards = Array.from({ length: first.shard.n }, (_, i) => i + 1).filter((k) => !shards.includes(k));
  return {
    spec: { ...first, shard: { k: 0, n: first.shard.n } },
    workers: reports.reduce((n, r) => n + r.workers, 0),
    units: reports.flatMap((r) => r.units).sort((a, b) => a.index - b.index),
    runs: reports.reduce((n, r) => n + r.runs, 0),
    counters,
    coverage: mergeCoverage(reports.map((r) => r.coverage)),
    wallMs: Math.max(...reports.map((r) => r.wallMs)),
    failures: reports.flatMap((r) => r.failures).sort((a, b) => a.campaignRun - b.campaignRun),
    missingShards,
  };
}

