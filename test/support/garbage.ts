import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** A full garbage collection, without starting the test process with --expose-gc. */
export function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

/**
 * Bytes of ArrayBuffers still reachable after a full collection. Unlike a WeakRef (whose target
 * V8 keeps alive until the current job ends), this tells inside one job what the job still holds.
 */
export function liveArrayBufferBytes(): number {
  collectGarbage();
  // A second collection first finishes the first one's sweep of ArrayBuffers (a background job).
  collectGarbage();
  return process.memoryUsage().arrayBuffers;
}
