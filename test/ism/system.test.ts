/** The whole path: CPU instructions → zPCI function unit / store-block engine → ISM adapter → network. */
import { describe, expect, it } from 'vitest';
import { Simulator } from '../../rtl/hdl/index.ts';
import { IsmMachine } from '../../models/host/machine.ts';
import { IsmStatus, moveOffset } from '../../rtl/ism/commands.ts';
import { ismTwoVm } from '../../bench/testbenches/ism-two-vm.ts';
import { IsmDriver } from '../../models/ism/ism-driver.ts';
import { KernelIsmAccess } from '../../models/ism/kernel-access.ts';

describe('ISM system', () => {
  it('elaborates every component under its own scope', () => {
    const sim = new Simulator();
    new IsmMachine(sim, { vms: 3 });
    const scopes = new Set(sim.signals.map((s) => s.name.split('.').slice(0, -1).join('.')));
    for (const s of ['net', 'vm0.cpu_port', 'vm0.pfu', 'vm0.sbe', 'vm0.dev_port', 'vm0.ism', 'vm2.ism']) expect(scopes.has(s), s).toBe(true);
    sim.dispose();
  });

  it('config space through PCILG space 15; a refused move is cc 1 with the device status', async () => {
    const sim = new Simulator();
    const m = new IsmMachine(sim, { vms: 2 });
    const [vm0] = m.vms;
    let vendor = 0;
    let moveRc = 0;
    let cc = -1;
    let status = -1;
    sim.process('fw', async () => {
      vendor = (await vm0.insn.configLoad(vm0.fh, 0, 4)).value;
      vm0.memory.write(0x20000, new Uint8Array(64).fill(1));
      moveRc = await new IsmDriver(sim, new KernelIsmAccess(vm0.zdev)).move(0x55n << 32n, 0, true, 0, new Uint8Array(64).fill(1));
      const r = await vm0.cpu.pcistb(vm0.fh, 0, moveOffset(0x55n << 32n, 0, false, 0), 0x20000n, 64);
      cc = r.cc;
      status = r.status;
    });
    await sim.run({ maxCycles: 100_000 });
    sim.dispose();
    expect(vendor).toBe(0x04ed1014);
    expect(moveRc).toBeLessThan(0);
    expect([cc, status]).toEqual([1, IsmStatus.MOVE_UNKNOWN_TOKEN]);
  });

  it('the two-VM bench passes', async () => {
    const s = await ismTwoVm.run({ seed: 3, vms: 2 });
    expect(s.notes.join('\n')).toMatch(/65536 bytes verified/);
  });
});
