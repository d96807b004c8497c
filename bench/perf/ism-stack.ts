import { Simulator } from '../../rtl/hdl/index.ts';
import { DEFAULT_CLOCK_PERIOD_PS } from '../../rtl/timing.ts';
import { IsmMachine } from '../../models/host/machine.ts';
import { blockSession, consoleSession } from '../../models/ism/session.ts';
import type { PerfRow } from './row.ts';

/** The ISM stack: block device throughput (simulated and wall) and console round trip. */
async function ismStack(): Promise<PerfRow[]> {
  const bytes = 1 << 20;
  let sim = new Simulator();
  const t = performance.now();
  const b = blockSession(sim, new IsmMachine(sim, { vms: 2 }), { bytes, seed: 1 });
  await sim.run({ maxCycles: 500_000_000 });
  const wall = (performance.now() - t) / 1000;
  sim.dispose();
  if (!b.verified) throw new Error('ism-stack perf: block read-back differs');
  const simSeconds = ((b.writeCycles + b.readCycles) * DEFAULT_CLOCK_PERIOD_PS) / 1e12;
  sim = new Simulator();
  const c = consoleSession(sim, new IsmMachine(sim, { vms: 2 }), ['echo a', 'echo bb', 'hostname', 'rev abc']);
  await sim.run({ maxCycles: 50_000_000 });
  sim.dispose();
  const rtt = c.exchanges.map((x) => x.roundTripCycles);
  return [
    { name: 'ISM stack: block device write+read 1 MiB, simulated throughput', value: (2 * bytes) / simSeconds / 1e6, unit: 'MB/s' },
    { name: 'ISM stack: block device write+read 1 MiB, wall-clock throughput', value: (2 * bytes) / wall / 1e6, unit: 'MB/s' },
    { name: 'ISM stack: console round trip (4-line script: line -> echo, output, prompt), mean', value: rtt.reduce((x, y) => x + y, 0) / rtt.length, unit: 'cycles' },
  ];
}

export const ISM_STACK_SECTIONS: readonly (() => Promise<PerfRow[]>)[] = [ismStack];
