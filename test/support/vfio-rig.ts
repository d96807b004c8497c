import { Simulator } from '../../rtl/hdl/index.ts';
import { ScratchMachine, type ScratchMachineOptions } from '../../models/host/zpci-machine.ts';
import { InstructionMonitor } from '../../models/ref/instruction-monitor.ts';
import type { VfioIsmFirmwareFactory } from '../../models/vfio/firmware.ts';
import type { IsmVfioOptions } from '../../models/vfio/ism-vfio-pci.ts';
import { VfioDevice } from '../../models/vfio/vfio-device.ts';

export interface VfioRig {
  sim: Simulator;
  machine: ScratchMachine;
  dev: VfioDevice;
  monitor: InstructionMonitor;
}

/**
 * Run `body` as the user program of a one-VM system with a RAM-backed function, its vfio-ism
 * device opened with `options.driver` (firmware: the TypeScript port unless given).
 */
export async function withVfioDevice(
  body: (rig: VfioRig) => Promise<void>,
  options: { machine?: ScratchMachineOptions; driver?: IsmVfioOptions & { firmware?: VfioIsmFirmwareFactory } } = {},
): Promise<void> {
  const sim = new Simulator();
  const machine = new ScratchMachine(sim, options.machine);
  const monitor = new InstructionMonitor(sim, machine.hw.cpuPort);
  let failure: unknown;
  sim.process('firmware', async () => {
    const dev = VfioDevice.open(machine.zdev, options.driver);
    // The function reset of open: the unit raises the pulse at the next edge, the device acts on
    // it at the one after; backdoor pokes come after that.
    await sim.tick(2);
    try {
      await body({ sim, machine, dev, monitor });
    } catch (e) {
      failure = e;
    }
  });
  await sim.run({ maxCycles: 5_000_000 });
  sim.dispose();
  if (failure) throw failure;
}
