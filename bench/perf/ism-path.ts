import { findBench } from '../testbenches/index.ts';
import type { PerfRow } from './row.ts';

/** The two-VM transfer benches: simulated cycles, wall time and the resulting rates. */
async function twoVmTransfers(): Promise<PerfRow[]> {
  const rows: PerfRow[] = [];
  for (const name of ['ism-two-vm', 'vfio-dmb-write']) {
    const s = await findBench(name)!.run({ seed: 1, vms: 2 });
    rows.push(
      { name: `${name}: 64 KiB DMB write, simulated cycles`, value: s.cycles, unit: 'cycles' },
      { name: `${name}: wall time (no VCD)`, value: s.wallMs, unit: 'ms' },
      { name: `${name}: simulated cycles per wall second`, value: s.cycles / (s.wallMs / 1000), unit: 'cycles/s' },
    );
    const perChunk = s.notes.join('\n').match(/(\d+) cycles per 4 KiB PCISTB/);
    if (perChunk) rows.push({ name: `${name}: cycles per 4 KiB move PCISTB (CPU view)`, value: Number(perChunk[1]), unit: 'cycles' });
  }
  const traced = await findBench('vfio-dmb-write')!.run({ seed: 1, vms: 2, vcdPath: 'waves/bench-vfio-dmb-write.vcd' });
  rows.push({ name: 'vfio-dmb-write: VCD bytes (all scopes)', value: traced.vcdBytes ?? 0, unit: 'B' });
  return rows;
}

export const ISM_PATH_SECTIONS = [twoVmTransfers];
