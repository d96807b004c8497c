import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Simulator } from '../../rtl/hdl/index.ts';
import { IsmMachine } from '../../models/host/machine.ts';
import { smcdTransfer, type SmcdEndPlan } from '../../models/ism/smcd-transfer.ts';
import { Op } from '../../rtl/zpci/codes.ts';
import { InstructionMonitor, VFIO_ISM_DRIVER_RULES } from '../../models/ref/instruction-monitor.ts';
import { propertySeed } from '../support/seed.ts';

const DMB_OFFSET_MASK = (1n << 23n) - 1n;

function stream(salt: number, n: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 131 + salt * 17 + (i >> 9)) & 0xff);
}

/**
 * SMC-D between two VMs on the real simulated hardware (in-kernel ISM driver on both), full
 * duplex, with random stream lengths, RMB (DMB) and send-buffer sizes — including rings smaller
 * than Linux's 16 KiB so that wrap-around and closed windows happen often — and random write
 * sizes, read sizes and read pauses: every byte arrives once and in order, both ways, and every
 * PCISTB was accepted (cc 0), page-crossing sources included, and only the CDC writes carried the
 * signal.
 */
describe('SMC-D data path over the ISM hardware (property)', () => {
  it('delivers random byte streams once and in order through ring wrap-around and closed windows', async () => {
    const seed = propertySeed(0x5dcd, 'SMC-D streams');
    const end = fc.record({
      length: fc.integer({ min: 0, max: 10_000 }),
      dmbLength: fc.integer({ min: 300, max: 9000 }),
      sndbufSize: fc.integer({ min: 200, max: 9000 }),
      writeSizes: fc.array(fc.integer({ min: 1, max: 9000 }), { minLength: 1, maxLength: 4 }),
      readSizes: fc.array(fc.integer({ min: 1, max: 6000 }), { minLength: 1, maxLength: 4 }),
      readPauses: fc.array(fc.integer({ min: 0, max: 500 }), { minLength: 1, maxLength: 3 }),
    });
    await fc.assert(
      fc.asyncProperty(fc.tuple(end, end), async (ends) => {
        const sim = new Simulator();
        const machine = new IsmMachine(sim, { vms: 2, memorySize: 16 << 20 });
        const monitors = machine.vms.map((vm) => new InstructionMonitor(sim, vm.vm.hw.cpuPort, VFIO_ISM_DRIVER_RULES));
        const plans = ends.map(
          (e, i): SmcdEndPlan => ({
            stream: stream(i + 1, e.length),
            options: { dmbLength: e.dmbLength, sndbufSize: e.sndbufSize },
            writeSizes: e.writeSizes,
            readSizes: e.readSizes,
            readPauses: e.readPauses,
          }),
        ) as [SmcdEndPlan, SmcdEndPlan];
        const results = smcdTransfer(machine, plans);
        try {
          await sim.run({ maxCycles: 200_000_000 });
        } finally {
          sim.dispose();
        }
        expect(results[1].received).toEqual(plans[0].stream);
        expect(results[0].received).toEqual(plans[1].stream);
        for (const m of monitors) {
          const stores = m.seen.filter((i) => i.op === Op.PCISTB);
          expect(stores.every((i) => i.cc === 0)).toBe(true);
          // The signal rides only on the CDC write (32 bytes at DMB offset 0); data goes from +32.
          for (const i of stores.filter((x) => x.pcias === 0)) {
            const signal = (i.offset >> 23n) & 1n;
            const at = Number(i.offset & DMB_OFFSET_MASK);
            if (signal) expect({ at, len: i.len }).toEqual({ at: 0, len: 32 });
            else expect(at).toBeGreaterThanOrEqual(32);
          }
        }
      }),
      { seed, numRuns: 10, endOnFailure: false },
    );
  }, 120_000);
});
