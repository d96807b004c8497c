import { COSIM_SECTIONS } from './cosim.ts';
import { DEVICE_PATH_SECTIONS } from './device-path.ts';
import { FUZZ_WORKER_SECTIONS } from './fuzz-workers.ts';
import { ISM_PATH_SECTIONS } from './ism-path.ts';
import { ISM_STACK_SECTIONS } from './ism-stack.ts';
import type { PerfRow } from './row.ts';
import { SKIPPING_SECTIONS } from './skipping.ts';

/** Further benchmark sections (device path, fuzz throughput); each returns its rows. */
export const PERF_SECTIONS: readonly (() => Promise<PerfRow[]>)[] = [...DEVICE_PATH_SECTIONS, ...ISM_PATH_SECTIONS, ...ISM_STACK_SECTIONS, ...FUZZ_WORKER_SECTIONS, ...SKIPPING_SECTIONS, ...COSIM_SECTIONS];
