import { Simulator } from '../../rtl/hdl/index.ts';
import { IsmMachine, type IsmMachineOptions } from '../../models/host/machine.ts';

/** Run `body` as the only testbench process of a fresh ISM machine of `vms` VMs; rethrow what it threw. */
export async function onIsmMachine(
  vms: number,
  body: (m: IsmMachine, sim: Simulator) => Promise<void>,
  options: Partial<IsmMachineOptions> = {},
): Promise<void> {
  const sim = new Simulator();
  const m = new IsmMachine(sim, { memorySize: 8 << 20, ...options, vms });
  let failure: unknown = null;
  sim.process('tb', async () => {
    try {
      await body(m, sim);
    } catch (e) {
      failure = e;
    }
  });
  await sim.run({ maxCycles: 2_000_000 });
  sim.dispose();
  if (failure) throw failure;
}
