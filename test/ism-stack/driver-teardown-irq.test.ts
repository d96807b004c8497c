import { describe, expect, it } from 'vitest';
import { Simulator } from '../../rtl/hdl/index.ts';
import { Sba } from '../../rtl/ism/commands.ts';
import { IsmMachine } from '../../models/host/machine.ts';
import { IsmDriver } from '../../models/ism/ism-driver.ts';
import { KernelIsmAccess } from '../../models/ism/kernel-access.ts';

describe('ISM driver interrupt handler without an event queue (found by the soak)', () => {
  it('an interrupt with the event bit set while the IEQ is unregistered and the SBA still is reads no queue and does not crash', async () => {
    const sim = new Simulator();
    const m = new IsmMachine(sim, { vms: 2 });
    const driver = new IsmDriver(sim, new KernelIsmAccess(m.vms[0].zdev));
    let outcome = 'not run';
    sim.process('fw', async () => {
      await driver.probe();
      // The teardown's UNREG_IEQ went through; its UNREG_SBA has not (yet, or it failed).
      await (driver as unknown as { unregisterIeq(): Promise<void> }).unregisterIeq();
      const sba = driver.sbaAddress;
      m.vms[0].memory.writeU8(sba + Sba.SUMMARY_BYTE, Sba.EVENT_MASK);
      try {
        driver.poll(); // what a waiting channel does after a quiet spell
        outcome = 'handled';
      } catch (e) {
        outcome = (e as Error).message;
      }
    });
    await sim.run({ maxCycles: 200_000 });
    sim.dispose();
    expect(outcome).toBe('handled');
  });
});
