import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { mergeCoverage, type CoverageTable } from '../models/ref/fuzz-coverage.ts';
import type { VfioIsmFirmwareFactory } from '../models/vfio/firmware.ts';
import { loadDriverOption } from './driver-option.ts';
import { UsageError } from './usage-error.ts';
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

/** The units of this shard, in order (timed campaigns: an endless sequence, cut by the clock). */
export function* shardUnits(spec: CampaignSpec): Generator<Omit<FuzzUnit, 'seconds'>> {
  const total = spec.runs === undefined ? Number.POSITIVE_INFINITY : Math.ceil(spec.runs / UNIT_RUNS);
  for (let index = spec.shard.k - 1; index < total; index += spec.shard.n) {
    const runs = spec.runs === undefined ? UNIT_RUNS : Math.min(UNIT_RUNS, spec.runs - index * UNIT_RUNS);
    yield { index, seed: unitSeed(spec, index), runs, commandsPerRun: spec.commandsPerRun };
  }
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

/** One worker thread running units it is sent; the .mjs entry registers tsx, as bench/ism-sim.mjs does. */
class UnitWorker {
  private readonly worker = new Worker(new URL('./fuzz-worker.mjs', import.meta.url));
  run(unit: FuzzUnit, onRun: (runs: number, calls: number) => void): Promise<FuzzReport> {
    return new Promise((resolve, reject) => {
      const onMessage = (m: { kind: 'progress'; runs: number; calls: number } | { kind: 'done'; report: FuzzReport } | { kind: 'error'; message: string }): void => {
        if (m.kind === 'progress') return onRun(m.runs, m.calls);
        this.worker.off('message', onMessage);
        this.worker.off('error', reject);
        if (m.kind === 'done') resolve(m.report);
        else reject(new Error(`fuzz worker: ${m.message}`));
      };
      this.worker.on('message', onMessage);
      this.worker.once('error', reject);
      this.worker.postMessage(unit);
    });
  }
  stop(): Promise<number> {
    return this.worker.terminate();
  }
}

/**
 * Run this shard's units on `workers` threads (1: in this thread), each worker taking the next
 * unit when it finishes one. After a failure no new unit starts; the report lists every unit run.
 */
export async function runCampaign(spec: CampaignSpec, options: CampaignOptions): Promise<CampaignReport> {
  const started = performance.now();
  const deadline = spec.seconds === undefined ? undefined : started + spec.seconds * 1000;
  const units = shardUnits(spec);
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
  let failed = false;
  const next = (): FuzzUnit | undefined => {
    if (failed) return undefined;
    const left = deadline === undefined ? undefined : (deadline - performance.now()) / 1000;
    if (left !== undefined && left <= 0) return undefined;
    const u = units.next();
    return u.done ? undefined : { ...u.value, seconds: left, wavesDir: options.wavesDir, driver: options.driver };
  };
  const lane = async (worker: UnitWorker | undefined): Promise<void> => {
    for (let unit = next(); unit; unit = next()) {
      const u = unit;
      const report = worker
        ? await worker.run(u, (runs, calls) => progress(u.index, runs, calls))
        : await runUnit(u, (runs, c) => progress(u.index, runs, c.operations), options.firmware);
      progress(u.index, report.runs, report.counters.operations);
      results.push({ unit: u, report });
      if (report.failure) failed = true;
    }
  };
  // No idle threads: a campaign of fewer units than workers starts only as many as it has.
  const unitCount = spec.runs === undefined ? Number.POSITIVE_INFINITY : [...shardUnits(spec)].length;
  const workers = Math.max(1, Math.min(options.workers, unitCount));
  if (options.firmware && workers > 1) throw new Error('a firmware factory runs in this thread only: use one worker');
  if (workers === 1) await lane(undefined);
  else {
    const pool = Array.from({ length: workers }, () => new UnitWorker());
    try {
      await Promise.all(pool.map((w) => lane(w)));
    } finally {
      await Promise.all(pool.map((w) => w.stop()));
    }
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

