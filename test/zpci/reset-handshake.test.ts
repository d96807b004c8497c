import { describe, expect, it } from 'vitest';
import { Simulator } from '../../rtl/hdl/index.ts';
import { ScratchMachine } from '../../models/host/zpci-machine.ts';
import { createRequest } from '../../models/linux/zpci.ts';

describe('PCI function unit: a function reset and an instruction in the same cycle', () => {
  it('an instruction issued in the cycle of the reset pulse was lost (the CPU waited forever): it is taken, after the reset', async () => {
    const sim = new Simulator();
    const machine = new ScratchMachine(sim);
    let result: { rc: number } | null = null;
    sim.process('firmware', async () => {
      machine.zdev.enable();
      await sim.tick(2);
      machine.hw.dev!.poke(2, 0n, Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8));
      machine.hw.pfu.functionLevelReset();
      const resetsBefore = machine.hw.dev!.counts.resets;
      result = await machine.zdev.insn.load(createRequest(machine.zdev.fh, 2, 8), 0n);
      expect(machine.hw.dev!.counts.resets).toBe(resetsBefore + 1);
    });
    await sim.run({ maxCycles: 10_000 });
    sim.dispose();
    // Taken after the reset: the device memory was cleared before the load reached it.
    expect(result).toEqual({ rc: 0, data: 0n });
  });
});
