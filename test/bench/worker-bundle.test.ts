import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import type { LaneJob, WorkerMessage } from '../../bench/fuzz-campaign.ts';
import { PROJECT_ROOT } from '../../bench/project.ts';
import { buildBundle, cachedBundle, hashedSources } from '../../bench/worker-bundle.ts';
import { TEST_WAVES_DIR } from '../support/waves.ts';

const ENTRY = 'bench/fuzz-worker.ts';
const dir = mkdtempSync(join(tmpdir(), 'ism-sim-worker-bundle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Run a one-unit campaign job in a worker thread started from `entry`: the messages it posts. */
function runJob(entry: string | URL): Promise<WorkerMessage[]> {
  const job: LaneJob = {
    spec: { seed: 3, runs: 5, commandsPerRun: 4, shard: { k: 1, n: 1 } },
    wavesDir: TEST_WAVES_DIR,
    claims: new Int32Array(new SharedArrayBuffer(8)),
  };
  const worker = new Worker(entry);
  const messages: WorkerMessage[] = [];
  return new Promise<WorkerMessage[]>((resolve, reject) => {
    worker.on('message', (m: WorkerMessage) => {
      messages.push(m);
      if (m.kind === 'finished' || m.kind === 'error') resolve(messages);
    });
    worker.once('error', reject);
    worker.postMessage(job);
  }).finally(() => worker.terminate());
}

describe('fuzz worker threads start from a cached bundle (issue 10: --workers 2 ≥ 1.8× one worker)', () => {
  it('the bundle contains only sources its name\'s hash covers, and each keeps its own import.meta.url', async () => {
    const { code, inputs } = await buildBundle(ENTRY);
    const hashed = new Set(hashedSources());
    const own = inputs.filter((f) => !f.startsWith('node_modules/'));
    expect(own).toContain(ENTRY);
    expect(own).toContain('bench/project.ts');
    expect(own.filter((f) => !hashed.has(f))).toEqual([]);
    // project.ts finds the project root from its own URL, not from the bundle's place in the cache.
    expect(code).toContain(JSON.stringify(pathToFileURL(join(PROJECT_ROOT, 'bench/project.ts')).href));
  });

  it('is built once and reused; two builds at once leave one complete bundle and no temporary file', async () => {
    const cache = join(dir, 'cache');
    const [a, b] = await Promise.all([cachedBundle(ENTRY, cache), cachedBundle(ENTRY, cache)]);
    expect(a).toBeDefined();
    expect(b).toBe(a);
    expect(readdirSync(cache)).toEqual([a!.slice(cache.length + 1)]);
    expect(readFileSync(a!, 'utf8')).toBe((await buildBundle(ENTRY)).code);
    expect(await cachedBundle(ENTRY, cache)).toBe(a);
  });

  it('deletes bundles of the entry nobody started for an hour when it writes a new one', async () => {
    const cache = join(dir, 'pruned');
    const old = join(cache, 'bench-fuzz-worker-ts-000000000000000000000000.mjs');
    const recent = join(cache, 'bench-fuzz-worker-ts-111111111111111111111111.mjs');
    const other = join(cache, 'other-entry-000000000000000000000000.mjs');
    mkdirSync(cache);
    for (const f of [old, recent, other]) writeFileSync(f, '');
    const twoHoursAgo = new Date(Date.now() - 2 * 60 * 60 * 1000);
    for (const f of [old, other]) utimesSync(f, twoHoursAgo, twoHoursAgo);
    const fresh = await cachedBundle(ENTRY, cache);
    expect(existsSync(fresh!)).toBe(true);
    expect(existsSync(old)).toBe(false);
    expect(existsSync(recent)).toBe(true);
    expect(existsSync(other)).toBe(true);
  });

  it('a worker started from the bundle runs a unit', async () => {
    const bundle = await cachedBundle(ENTRY, join(dir, 'run'));
    const messages = await runJob(bundle!);
    expect(messages.map((m) => m.kind)).toEqual(expect.arrayContaining(['unit', 'finished']));
    const unit = messages.find((m) => m.kind === 'unit');
    expect(unit?.kind === 'unit' && unit.result.report.runs).toBe(5);
  });

  it('when the bundle cannot be built it says so with undefined, and the tsx entry runs the worker', async () => {
    const blocked = join(dir, 'a-file');
    writeFileSync(blocked, '');
    expect(await cachedBundle(ENTRY, join(blocked, 'cache'))).toBeUndefined();
    const messages = await runJob(new URL('../../bench/fuzz-worker.mjs', import.meta.url));
    expect(messages.at(-1)?.kind).toBe('finished');
    expect(messages.some((m) => m.kind === 'unit' && m.result.report.runs === 5)).toBe(true);
  });
});
