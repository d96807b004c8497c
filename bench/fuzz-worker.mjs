// A fuzz worker thread without the cached bundle (bench/worker-bundle.ts could not build it):
// registers tsx, as bench/ism-sim.mjs does, and runs the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./fuzz-worker.ts');
