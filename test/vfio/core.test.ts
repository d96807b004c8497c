import { describe, expect, it } from 'vitest';
import { onIsmMachine } from '../support/ism-machine-run.ts';
import { IsmMachine } from '../../models/host/machine.ts';
import { IsmDriver } from '../../models/ism/ism-driver.ts';
import { KernelIsmAccess } from '../../models/ism/kernel-access.ts';
import { VfioIsmAccess } from '../../models/ism/vfio-access.ts';
import { Errno } from '../../models/linux/errno.ts';
import { VfioDevice } from '../../models/vfio/vfio-device.ts';
import { vfioPciCoreState } from '../../models/vfio/pci-core.ts';
import { VFIO_PCI_CONFIG_REGION_INDEX, regionOffset } from '../../models/vfio/regions.ts';

const CONFIG = regionOffset(VFIO_PCI_CONFIG_REGION_INDEX);


/** What the adapter of VM `i` still holds for its function. */
function deviceState(m: IsmMachine, i: number): { sba: boolean; ieq: boolean; dmbs: number } {
  const ism = m.vms[i].vm.ism;
  return { sba: ism.sbaAddress !== null, ieq: ism.ieqAddress !== null, dmbs: ism.dmbsOwned.value };
}

describe('vfio-pci core around the ISM variant (vfio_pci_core_enable / _disable; issue 11 item 5)', () => {
  it('SBA, IEQ and DMBs survived a closed file: close disables and resets the function', async () => {
    await onIsmMachine(2, async (m, sim) => {
      const dev = VfioDevice.open(m.vms[0].zdev);
      const driver = new IsmDriver(sim, new VfioIsmAccess(dev));
      await driver.probe();
      await driver.registerDmb({ length: 8192, rgid: m.vms[1].vm.ism.gid });
      await sim.tick(4);
      expect(deviceState(m, 0)).toEqual({ sba: true, ieq: true, dmbs: 1 });
      const fhOpen = m.vms[0].zdev.fh;
      dev.close();
      await sim.tick(4);
      expect(deviceState(m, 0)).toEqual({ sba: false, ieq: false, dmbs: 0 });
      expect(m.vms[0].zdev.fh).not.toBe(fhOpen);
      expect(vfioPciCoreState(m.vms[0].zdev).needsReset).toBe(false);
    });
  });

  it('open did not reset: registrations a previous user left behind are gone once the file is open', async () => {
    await onIsmMachine(2, async (m, sim) => {
      const previous = new IsmDriver(sim, new KernelIsmAccess(m.vms[0].zdev));
      await previous.probe();
      await sim.tick(4);
      expect(deviceState(m, 0)).toMatchObject({ sba: true, ieq: true });
      const dev = VfioDevice.open(m.vms[0].zdev);
      expect(vfioPciCoreState(m.vms[0].zdev).resetWorks).toBe(true);
      await sim.tick(4);
      expect(deviceState(m, 0)).toEqual({ sba: false, ieq: false, dmbs: 0 });
      // The new user probes from a clean device (no ALREADY_REGISTERED).
      const driver = new IsmDriver(sim, new VfioIsmAccess(dev));
      await driver.probe();
      expect(driver.gid).toBe(m.vms[0].vm.ism.gid);
    });
  });

  it('every config error became EIO: a disabled function answers ENODEV, as zpci_cfg_load/store return it', async () => {
    await onIsmMachine(2, async (m, sim) => {
      const dev = VfioDevice.open(m.vms[0].zdev);
      await sim.tick(2);
      expect([...(await dev.pread(2, CONFIG))]).toEqual([0x14, 0x10]);
      m.vms[0].vm.hw.pfu.disable();
      await sim.tick(2);
      const buf = dev.user.allocate(4);
      expect(await dev.preadRaw(buf, 4, CONFIG)).toBe(-Errno.ENODEV);
      expect(await dev.pwriteRaw(buf, 4, CONFIG + 0x40n)).toBe(-Errno.ENODEV);
      // The BAR path still sees the instruction's cc 3 as EIO.
      expect(await dev.preadRaw(buf, 4, regionOffset(2))).toBe(-Errno.EIO);
    });
  });
});
