import { join } from 'node:path';
import { loadCosimDriver } from '../../models/cosim/cosim-driver.ts';
import { cosimAvailability } from '../../models/cosim/toolchain.ts';
import { runVfioFuzz } from '../../models/ref/vfio-fuzz.ts';
import type { PerfRow } from './row.ts';

/** The C variant driver of the cosim tests (ours): what `--driver` runs in this figure. */
const C_DRIVER = join('test', 'cosim', 'drivers', 'our-ism-variant.c');

/**
 * Checked fuzz calls per second through a C driver run by cosim against the TypeScript port,
 * in one run: same seed, same runs, same calls (the driver is the only difference).
 */
async function cosimFuzzThroughput(): Promise<PerfRow[]> {
  const availability = cosimAvailability();
  if (!availability.available) throw new Error(availability.reason);
  const firmware = await loadCosimDriver(C_DRIVER);
  const runs = 300;
  const c = await runVfioFuzz({ seed: 1, runs, firmware });
  const ts = await runVfioFuzz({ seed: 1, runs });
  for (const r of [c, ts]) if (r.failure) throw new Error(`fuzz failed during the benchmark: ${r.failure.message}`);
  const perSecond = (r: typeof c): number => r.counters.operations / (r.wallMs / 1000);
  return [
    { name: `cosim: fuzz checked calls/s through the C driver (${C_DRIVER}, seed 1, ${runs} runs)`, value: perSecond(c), unit: 'calls/s' },
    { name: 'cosim: fuzz checked calls/s through the TypeScript port (same seed and runs)', value: perSecond(ts), unit: 'calls/s' },
    { name: 'cosim: C driver speed relative to the TypeScript port', value: perSecond(c) / perSecond(ts), unit: '×' },
  ];
}

export const COSIM_SECTIONS: readonly (() => Promise<PerfRow[]>)[] = [cosimFuzzThroughput];
