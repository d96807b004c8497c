import { IsmMachine } from '../../models/host/machine.ts';
import { FileImage } from '../../models/ism/block-device.ts';
import { blockSession } from '../../models/ism/session.ts';
import { DEFAULT_CLOCK_PERIOD_PS } from '../../rtl/timing.ts';
import { KERNEL_DRIVER_MAXSTBL, runBench, traceIfAsked, type Testbench } from '../harness.ts';

/** ISM_BLOCKDEV_BYTES overrides the transfer size; ISM_BLOCKDEV_IMAGE serves a file instead of RAM. */
const BYTES = Number(process.env.ISM_BLOCKDEV_BYTES ?? 2 * 1024 * 1024);
const BLOCKDEV_SCOPES = ['vm0.cpu_port', 'vm1.cpu_port', 'vm0.ism', 'vm1.ism', 'net'];

/**
 * Remote block device: VM 0's daemon (vfio) serves an in-memory image of 512-byte sectors; VM 1
 * (in-kernel driver) writes BYTES in 128 KiB requests, flushes, reads everything back and checks
 * every byte. Throughput in simulated MB/s (at the configured clock) and wall-clock MB/s.
 */
export const blockdevBench: Testbench = {
  name: 'blockdev',
  description: 'remote block device over ISM: VM 1 writes and reads back 2 MiB of sectors served by the VM 0 daemon (vfio)',
  vms: { min: 2, max: 2, default: 2 },
  seeded: true,
  maxstbl: KERNEL_DRIVER_MAXSTBL,
  run: (options) =>
    runBench('blockdev', options, async (ctx) => {
      const { sim, note } = ctx;
      const m = new IsmMachine(sim, { vms: 2, maxstbl: options.maxstbl });
      // Every beat of 2 MiB each way, and a clock over a million cycles, would make a ~125 MiB
      // waveform: by default trace the instruction handshakes and the adapters, without clk.
      traceIfAsked(sim, options, 'blockdev: VM 1 writes and reads back sectors served by the VM 0 daemon over ISM', { scopes: BLOCKDEV_SCOPES, clock: false });
      if (options.vcdPath && !(options.scopes && options.scopes.length > 0)) note(`waveform: scopes ${BLOCKDEV_SCOPES.join(' ')}, no clk (choose scopes with --scope; that also restores clk)`);
      const path = process.env.ISM_BLOCKDEV_IMAGE;
      const image = path ? new FileImage(path) : undefined;
      const started = performance.now();
      const r = blockSession(sim, m, { bytes: BYTES, seed: options.seed, image });
      await sim.run({ maxCycles: 500_000_000 });
      const wall = (performance.now() - started) / 1000;
      image?.close();
      ctx.count(m.vms[0].cpu.stats);
      ctx.count(m.vms[1].cpu.stats);
      if (!r.verified) throw new Error(`blockdev: read-back differs at byte ${r.mismatchAt}`);
      const seconds = (c: number) => (c * DEFAULT_CLOCK_PERIOD_PS) / 1e12;
      const mbs = (bytes: number, s: number) => (bytes / s / 1e6).toFixed(1);
      note(`${r.bytes} bytes written, flushed and read back through ${r.requests} requests (${path ? `image ${path}` : 'in-memory image'}); every byte verified`);
      note(`write: ${r.writeCycles} cycles = ${mbs(r.bytes, seconds(r.writeCycles))} MB/s simulated; read: ${r.readCycles} cycles = ${mbs(r.bytes, seconds(r.readCycles))} MB/s simulated (clock period ${DEFAULT_CLOCK_PERIOD_PS} ps)`);
      note(`total ${2 * r.bytes} bytes moved: ${mbs(2 * r.bytes, seconds(r.writeCycles + r.readCycles))} MB/s simulated, ${mbs(2 * r.bytes, wall)} MB/s wall clock (${wall.toFixed(2)} s)`);
    }),
};
