import { parentPort } from 'node:worker_threads';
import { runLane, type LaneJob, type WorkerMessage } from './fuzz-campaign.ts';

/** Progress goes to the parent at most this often: each unit's end reports its final counts anyway. */
const PROGRESS_EVERY_MS = 100;

/**
 * A fuzz worker thread (`ism-sim fuzz --workers n`): takes units of the campaign it is sent until
 * none is left, posting progress and each unit's report. Started from the cached bundle of this
 * file, or through tsx (fuzz-worker.mjs) when no bundle can be built.
 */
if (!parentPort) throw new Error('bench/fuzz-worker.ts runs only as a worker thread of `ism-sim fuzz`');
const port = parentPort;
const post = (m: WorkerMessage): void => port.postMessage(m);
port.once('message', async (job: LaneJob) => {
  let posted = performance.now();
  try {
    await runLane(
      job,
      (unit, runs, counters) => {
        const now = performance.now();
        if (now - posted < PROGRESS_EVERY_MS) return;
        posted = now;
        post({ kind: 'progress', index: unit.index, runs, calls: counters.operations });
      },
      (result) => post({ kind: 'unit', result }),
    );
    post({ kind: 'finished' });
  } catch (e) {
    post({ kind: 'error', message: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  }
});
