import { runCampaign, type CampaignSpec } from '../fuzz-campaign.ts';
import type { PerfRow } from './row.ts';

/**
 * `ism-sim fuzz --workers 1` against `--workers 2` on the same campaign (the same units, so the
 * same checked calls): checked calls per second of each and their ratio. Each worker thread is
 * its own V8 isolate and pays tsx start-up and JIT warm-up (about 2 s on a 2-core box), as a user
 * does, so the campaign is long enough (3,000 runs) for that to matter little. Interleaved, best
 * of two each: the machine may be shared, so one run alone is noisy.
 */
async function fuzzWorkers(): Promise<PerfRow[]> {
  const spec: CampaignSpec = { seed: 1, runs: 3000, commandsPerRun: 24, shard: { k: 1, n: 1 } };
  const rate = async (workers: number): Promise<number> => {
    const r = await runCampaign(spec, { workers });
    if (r.failures.length > 0) throw new Error(`fuzz failed during the benchmark: ${r.failures[0].message}`);
    return r.counters.operations / (r.wallMs / 1000);
  };
  let one = 0;
  let two = 0;
  for (let i = 0; i < 2; i++) {
    one = Math.max(one, await rate(1));
    two = Math.max(two, await rate(2));
  }
  return [
    { name: 'vfio-ism fuzz --workers 1: checked calls per second (3,000 runs, seed 1)', value: one, unit: 'calls/s' },
    { name: 'vfio-ism fuzz --workers 2: checked calls per second (same campaign)', value: two, unit: 'calls/s' },
    { name: 'vfio-ism fuzz --workers 2 / --workers 1 (target ≥ 1.8 on 2 idle cores)', value: two / one, unit: '×' },
  ];
}

export const FUZZ_WORKER_SECTIONS = [fuzzWorkers];
