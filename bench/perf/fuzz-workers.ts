import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { FuzzJson } from '../fuzz-results.ts';
import { PROJECT_ROOT } from '../project.ts';
import { cachedBundle } from '../worker-bundle.ts';
import type { PerfRow } from './row.ts';

const RUNS = 40_000;

/**
 * `ism-sim fuzz --workers 1` against `--workers 2` on one long campaign (40,000 runs, seed 1, 24
 * calls per run at most: 400 units, the same checked calls whatever the workers; about 20 s on one
 * lane). Each is a fresh `ism-sim fuzz` process, as a user runs it, and the figure is the calls per
 * second its summary prints: the campaign's wall time, which includes JIT warm-up on both sides
 * and the second lane's thread start-up and warm-up (about 1 s, a fixed cost: on a 10,000-run
 * campaign it held the ratio to 1.24). The worker bundle is built before, as after a user's first
 * run. One pair, one lane first: two pairs would double the section to over a minute.
 */
async function fuzzWorkers(): Promise<PerfRow[]> {
  await cachedBundle('bench/fuzz-worker.ts');
  const dir = mkdtempSync(join(tmpdir(), 'ism-sim-bench-fuzz-'));
  const run = async (workers: number): Promise<FuzzJson> => {
    const json = join(dir, `workers-${workers}.json`);
    const args = ['fuzz', '--runs', String(RUNS), '--seed', '1', '--commands', '24', '--workers', String(workers), '--no-progress', '--json', json];
    await promisify(execFile)(process.execPath, [join(PROJECT_ROOT, 'bench', 'ism-sim.mjs'), ...args], { cwd: PROJECT_ROOT });
    return JSON.parse(readFileSync(json, 'utf8')) as FuzzJson;
  };
  let one = 0;
  let two = 0;
  let calls: number | undefined;
  try {
    for (const workers of [1, 2]) {
      const r = await run(workers);
      if (r.result !== 'passed') throw new Error(`fuzz failed during the benchmark: ${r.failures[0]?.message}`);
      calls ??= r.counters.operations;
      if (r.counters.operations !== calls) throw new Error(`--workers ${workers} checked ${r.counters.operations} calls, not ${calls}: the campaign must not depend on the workers`);
      if (workers === 1) one = r.callsPerSecond;
      else two = r.callsPerSecond;
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const campaign = `${RUNS.toLocaleString('en-US')} runs, seed 1, ${calls!.toLocaleString('en-US')} calls`;
  return [
    { name: `vfio-ism fuzz --workers 1: checked calls/s as the summary prints (${campaign}, fresh process)`, value: one, unit: 'calls/s' },
    { name: 'vfio-ism fuzz --workers 2: checked calls/s (same campaign and calls, thread start-up included)', value: two, unit: 'calls/s' },
    { name: 'vfio-ism fuzz --workers 2 / --workers 1 (target ≥ 1.8 on 2 idle cores)', value: two / one, unit: '×' },
  ];
}

export const FUZZ_WORKER_SECTIONS = [fuzzWorkers];
