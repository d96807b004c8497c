import { describe, expect, it } from 'vitest';
import { Simulator } from '../../rtl/hdl/index.ts';
import { IsmMachine } from '../../models/host/machine.ts';
import { IsmDriver, type Dmb } from '../../models/ism/ism-driver.ts';
import { KernelIsmAccess } from '../../models/ism/kernel-access.ts';
import { findBench } from '../../bench/testbenches/index.ts';

describe('one driver used by several processes at once', () => {
  it('concurrent DMB registrations claim distinct SBA indices (the index is taken before REG_DMB)', async () => {
    const sim = new Simulator();
    const m = new IsmMachine(sim, { vms: 2 });
    const driver = new IsmDriver(sim, new KernelIsmAccess(m.vms[0].zdev));
    const got: Dmb[] = [];
    let probed = false;
    sim.process('probe', async () => {
      await driver.probe();
      probed = true;
    });
    for (let k = 0; k < 4; k++) {
      sim.process(`user${k}`, async () => {
        await sim.until(() => probed);
        got.push(await driver.registerDmb({ length: 4096, rgid: m.vms[1].vm.ism.gid }));
      });
    }
    await sim.run({ maxCycles: 2_000_000 });
    sim.dispose();
    expect(got.map((d) => d.sbaIndex).sort((a, b) => a - b)).toEqual([32, 33, 34, 35]);
    expect(new Set(got.map((d) => d.token)).size).toBe(4);
  });
});

describe('bench daemon', () => {
  it('one vfio daemon serves a console and a disk to two VMs at the same time', async () => {
    const s = await findBench('daemon')!.run({ seed: 2, vms: 3 });
    const notes = s.notes.join('\n');
    expect(notes).toContain('vm1 console: hostname -> vm0');
    expect(notes).toContain('echo served by one daemon -> served by one daemon');
    expect(notes).toMatch(/vm2 disk: 262144 bytes written, flushed, read back and verified/);
  });
});

describe('driver teardown after a function reset', () => {
  it('remove() still unregisters SBA and IEQ and frees every page when the device forgot the DMBs', async () => {
    const sim = new Simulator();
    const m = new IsmMachine(sim, { vms: 2 });
    const vm = m.vms[0];
    const pagesBefore = vm.pages.allocatedPages;
    const driver = new IsmDriver(sim, new KernelIsmAccess(vm.zdev));
    const pagesForAccess = vm.pages.allocatedPages - pagesBefore; // the access path's own buffers
    let commands: Record<string, number> = {};
    sim.process('fw', async () => {
      await driver.probe();
      await driver.registerDmb({ length: 8192, rgid: m.vms[1].vm.ism.gid });
      await driver.registerDmb({ length: 4096, rgid: m.vms[1].vm.ism.gid });
      await vm.zdev.hotReset(); // the device drops SBA, IEQ and DMBs
      await driver.remove();
      commands = { ...driver.counts.commands };
    });
    await sim.run({ maxCycles: 2_000_000 });
    sim.dispose();
    expect(commands.UNREG_DMB).toBe(2);
    expect(commands.UNREG_IEQ).toBe(1);
    expect(commands.UNREG_SBA).toBe(1);
    expect(vm.pages.allocatedPages - pagesBefore).toBe(pagesForAccess);
  });
});
