import { Simulator } from '../../rtl/hdl/index.ts';
import { ScratchMachine } from '../../models/host/zpci-machine.ts';
import { runVfioFuzz } from '../../models/ref/vfio-fuzz.ts';
import type { PerfRow } from './row.ts';

/** Instructions per wall-clock second through the CPU model, function unit and scratch device. */
async function instructionThroughput(): Promise<PerfRow[]> {
  const sim = new Simulator();
  const m = new ScratchMachine(sim, { scratch: { logWrites: false } });
  const loads = 20_000;
  const blocks = 2_000;
  const source = m.pages.allocate(4096);
  m.memory.fill(source, 4096, 0x5a);
  let loadSeconds = 0;
  let blockSeconds = 0;
  let blockCycles = 0;
  sim.process('driver', async () => {
    m.zdev.enable();
    await sim.tick();
    const fh = m.zdev.fh;
    const must = (r: { cc: number }, what: string): void => {
      if (r.cc !== 0) throw new Error(`${what} answered cc ${r.cc}: the benchmark would measure a failure path`);
    };
    let t = performance.now();
    for (let i = 0; i < loads; i++) must(await m.cpu.pcilg(fh, 2, BigInt((i * 8) % 8192), 8), 'PCILG');
    loadSeconds = (performance.now() - t) / 1000;
    t = performance.now();
    const c0 = sim.cycle;
    for (let i = 0; i < blocks; i++) must(await m.cpu.pcistb(fh, 0, BigInt(i * 4096), BigInt(source), 4096), 'PCISTB');
    blockCycles = sim.cycle - c0;
    blockSeconds = (performance.now() - t) / 1000;
  });
  await sim.run();
  sim.dispose();
  return [
    { name: 'zPCI: PCILG 8 B through CPU model + function unit (scratch device)', value: loads / loadSeconds, unit: 'instructions/s' },
    { name: 'zPCI: PCISTB 4 KiB', value: blocks / blockSeconds, unit: 'instructions/s' },
    { name: 'zPCI: PCISTB 4 KiB, simulated cycles per instruction', value: blockCycles / blocks, unit: 'cycles' },
    { name: 'zPCI: PCISTB 4 KiB, wall-clock payload throughput', value: (blocks * 4096) / blockSeconds / 1e6, unit: 'MB/s' },
  ];
}

/** Checked vfio calls per second of the property fuzzer (the figure `ism-sim fuzz` prints). */
async function fuzzThroughput(): Promise<PerfRow[]> {
  const r = await runVfioFuzz({ seed: 1, seconds: 10 });
  if (r.failure) throw new Error(`fuzz failed during the benchmark: ${r.failure.message}`);
  return [
    { name: 'vfio-ism fuzz: checked calls per second (10 s, seed 1)', value: r.counters.operations / (r.wallMs / 1000), unit: 'calls/s' },
    { name: 'vfio-ism fuzz: simulated cycles per second', value: r.counters.cycles / (r.wallMs / 1000), unit: 'cycles/s' },
  ];
}

export const DEVICE_PATH_SECTIONS = [instructionThroughput, fuzzThroughput];
