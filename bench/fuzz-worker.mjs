// A fuzz worker thread: registers tsx (as bench/ism-sim.mjs does) so it can run the TypeScript
// fuzzer, then runs each unit the campaign sends and posts progress and the unit's report.
import { parentPort } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

if (!parentPort) throw new Error('bench/fuzz-worker.mjs runs only as a worker thread of `ism-sim fuzz`');
const port = parentPort;
register();
const { runUnit } = await import('./fuzz-campaign.ts');
port.on('message', async (unit) => {
  try {
    const report = await runUnit(unit, (runs, counters) => port.postMessage({ kind: 'progress', runs, calls: counters.operations }));
    port.postMessage({ kind: 'done', report });
  } catch (e) {
    port.postMessage({ kind: 'error', message: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  }
});
