import { describe, expect, it } from 'vitest';
import { Simulator } from '../../rtl/hdl/index.ts';
import { IsmMachine } from '../../models/host/machine.ts';
import { IsmDriver } from '../../models/ism/ism-driver.ts';
import { KernelIsmAccess } from '../../models/ism/kernel-access.ts';

/**
 * Found by the soak (a reset of the daemon's function mid-move left its CPU waiting forever):
 * the function unit sent the device-reset pulse in an edge where the CPU offered its next
 * instruction, and dropped that instruction although the CPU saw it taken (valid & ready); with
 * the drop fixed, a pulse sent while an instruction was taken stayed high for ever.
 */
describe('function unit: device reset pulse and the instruction handshake', () => {
  it('an instruction offered in the edge of the reset pulse is taken and answered; the pulse lasts one cycle', async () => {
    const outcomes: string[] = [];
    for (let delay = 1; delay <= 12; delay++) {
      const sim = new Simulator();
      const m = new IsmMachine(sim, { vms: 2 });
      let token: bigint | undefined;
      sim.process('vm1', async () => {
        const d = new IsmDriver(sim, new KernelIsmAccess(m.vms[1].zdev));
        await d.probe();
        token = (await d.registerDmb({ length: 16384, rgid: m.vms[0].vm.ism.gid })).token;
      });
      sim.process('vm0', async () => {
        const d = new IsmDriver(sim, new KernelIsmAccess(m.vms[0].zdev));
        await d.probe();
        await sim.until(() => token !== undefined);
        sim.process('reset', async () => {
          await sim.tick(delay);
          await m.vms[0].zdev.hotReset(); // mid-move: disable (device reset pending), enable
        });
        await d.move(token!, 0, true, 0, new Uint8Array(8192).fill(1));
        const t = sim.cycle;
        await d.command('QUERY_INFO'); // answered (ISM_ERROR or not), well before the CPU's timeout
        outcomes.push(`delay ${delay}: ${sim.cycle - t < 50_000 ? 'answered' : 'slow'}`);
      });
      await sim.run({ maxCycles: 200_000 }).catch((e: Error) => outcomes.push(`delay ${delay}: ${e.message.slice(0, 80)}`));
      sim.dispose();
    }
    expect(outcomes).toEqual(Array.from({ length: 12 }, (_, i) => `delay ${i + 1}: answered`));
  });
});
