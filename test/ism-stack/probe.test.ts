import { describe, expect, it } from 'vitest';
import { onIsmMachine } from '../support/ism-machine-run.ts';
import { IsmEventType, IsmRc, type IeqEntry } from '../../rtl/ism/commands.ts';
import { IsmDriver } from '../../models/ism/ism-driver.ts';
import { KernelIsmAccess } from '../../models/ism/kernel-access.ts';
import { LinuxError } from '../../models/linux/errno.ts';
import { FaultyAccess } from './faulty-access.ts';
import { VfioIsmAccess } from '../../models/ism/vfio-access.ts';
import { VfioDevice } from '../../models/vfio/vfio-device.ts';
import type { IsmVmMachine } from '../../models/host/machine.ts';

/** The driver's path to VM `vm`'s function: in the kernel, or through vfio from user space. */
const paths = {
  kernel: (vm: IsmVmMachine) => new KernelIsmAccess(vm.zdev),
  vfio: (vm: IsmVmMachine) => new VfioIsmAccess(VfioDevice.open(vm.zdev)),
};

describe('IsmDriver.probe follows ism_dev_init (issue 11 items 3 and 4)', () => {
  it.each(['kernel', 'vfio'] as const)('interrupts subscribed too late (%s): an event posted between REG_IEQ and READ_GID is not lost, nor are later ones', async (path) => {
    await onIsmMachine(2, async (m, sim) => {
      const peer = new IsmDriver(sim, new KernelIsmAccess(m.vms[0].zdev));
      await peer.probe();
      const access = new FaultyAccess(paths[path](m.vms[1]));
      const driver = new IsmDriver(sim, access);
      const events: IeqEntry[] = [];
      driver.events$.subscribe((e) => events.push(e));
      const ourGid = m.vms[1].vm.ism.gid;
      // The peer signals us while we are still probing: after REG_IEQ, before READ_GID.
      access.beforeDoorbell.QUERY_INFO = async () => {
        expect(await peer.signalEvent(ourGid, 0x83, 0x1234n)).toBe(IsmRc.OK);
      };
      await driver.probe();
      await sim.tick(200);
      expect(events.map((e) => [e.type, e.code, e.tok, e.info])).toEqual([[IsmEventType.SWR, 0x83, peer.gid, 0x1234n]]);
      // With the first event drained, `e` was cleared: a later event interrupts again.
      expect(await peer.signalEvent(ourGid, 0x80, 7n)).toBe(IsmRc.OK);
      await sim.tick(200);
      expect(events.map((e) => e.code)).toEqual([0x83, 0x80]);
    });
  });

  it('a failed QUERY_INFO aborted the probe: query_info always returns 0, so the probe goes on', async () => {
    await onIsmMachine(1, async (m, sim) => {
      const access = new FaultyAccess(new KernelIsmAccess(m.vms[0].zdev));
      access.failResponse = 'QUERY_INFO';
      const driver = new IsmDriver(sim, access);
      await driver.probe();
      expect(driver.gid).toBe(m.vms[0].vm.ism.gid);
      expect(driver.queryInfo).toEqual({});
      expect(access.doorbells).toEqual(['REG_SBA', 'REG_IEQ', 'QUERY_INFO', 'READ_GID']);
    });
  });

  it('a failed REG_IEQ left the SBA registered: it unwinds with UNREG_SBA, frees its pages, and a retried probe succeeds', async () => {
    await onIsmMachine(1, async (m, sim) => {
      const vm = m.vms[0];
      const access = new FaultyAccess(new KernelIsmAccess(vm.zdev));
      const pagesBefore = vm.zdev.pages.allocatedPages;
      access.failDoorbell = 'REG_IEQ';
      const first = new IsmDriver(sim, access);
      await expect(first.probe()).rejects.toBeInstanceOf(LinuxError);
      expect(access.doorbells).toEqual(['REG_SBA', 'UNREG_SBA']);
      expect(vm.vm.ism.sbaAddress).toBeNull();
      expect(vm.zdev.pages.allocatedPages).toBe(pagesBefore);
      const retry = new IsmDriver(sim, access);
      await retry.probe();
      expect(retry.gid).toBe(vm.vm.ism.gid);
      expect(vm.vm.ism.sbaAddress).not.toBeNull();
      expect(vm.vm.ism.ieqAddress).not.toBeNull();
    });
  });

  it('a failed READ_GID left SBA and IEQ registered: it unwinds with UNREG_IEQ and UNREG_SBA, and a retried probe succeeds', async () => {
    await onIsmMachine(1, async (m, sim) => {
      const vm = m.vms[0];
      const access = new FaultyAccess(new KernelIsmAccess(vm.zdev));
      const pagesBefore = vm.zdev.pages.allocatedPages;
      access.failDoorbell = 'READ_GID';
      const first = new IsmDriver(sim, access);
      await expect(first.probe()).rejects.toBeInstanceOf(LinuxError);
      expect(access.doorbells).toEqual(['REG_SBA', 'REG_IEQ', 'QUERY_INFO', 'UNREG_IEQ', 'UNREG_SBA']);
      expect(vm.vm.ism.sbaAddress).toBeNull();
      expect(vm.vm.ism.ieqAddress).toBeNull();
      expect(vm.zdev.pages.allocatedPages).toBe(pagesBefore);
      const retry = new IsmDriver(sim, access);
      await retry.probe();
      expect(retry.gid).toBe(vm.vm.ism.gid);
    });
  });
});
