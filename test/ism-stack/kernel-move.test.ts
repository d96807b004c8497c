/**
 * The in-kernel ISM move path as Linux has it (drivers/s390/net/ism_drv.c ism_move → __ism_move):
 * chunks split at target 4 KiB boundaries, each stored straight from the caller's buffer, so a
 * chunk's source may cross a page, which the hardware accepts by default. The vfio-ism driver's
 * promise never to do that is a driver invariant the instruction monitor checks on its own.
 */
import { describe, expect, it } from 'vitest';
import { Simulator } from '../../rtl/hdl/index.ts';
import { Op } from '../../rtl/zpci/codes.ts';
import { IsmMachine } from '../../models/host/machine.ts';
import { IsmDriver } from '../../models/ism/ism-driver.ts';
import { KernelIsmAccess } from '../../models/ism/kernel-access.ts';
import { VfioIsmAccess } from '../../models/ism/vfio-access.ts';
import { VfioDevice } from '../../models/vfio/vfio-device.ts';
import { InstructionMonitor, VFIO_ISM_DRIVER_RULES, type ObservedInstruction } from '../../models/ref/instruction-monitor.ts';

const DMB_OFFSET_MASK = (1n << 23n) - 1n;

/** BAR 0 stores as (DMB offset, length, source address, cc). */
function moves(seen: readonly ObservedInstruction[]): [number, number, number, number | undefined][] {
  return seen
    .filter((i) => i.op === Op.PCISTB && i.pcias === 0)
    .map((i) => [Number(i.offset & DMB_OFFSET_MASK), i.len, Number(i.gaddr), i.cc]);
}

/**
 * VM 1 (user space, over vfio) registers a DMB for VM 0; VM 0 (in-kernel driver) runs `send`.
 * Both CPU ports are watched with the vfio-ism driver's rules.
 */
async function kernelSender(send: (drv: IsmDriver, token: bigint, m: IsmMachine) => Promise<void>, vfioMove?: (drv: IsmDriver, token: bigint) => Promise<void>) {
  const sim = new Simulator();
  const m = new IsmMachine(sim, { vms: 2, memorySize: 16 << 20 });
  const monitors = m.vms.map((vm) => new InstructionMonitor(sim, vm.vm.hw.cpuPort, VFIO_ISM_DRIVER_RULES));
  let token = 0n;
  let kernelToken = 0n;
  let dmbIova = 0;
  let sent = false;
  const failures: unknown[] = [];
  sim.process('vm0_kernel', async () => {
    try {
      const drv = new IsmDriver(sim, new KernelIsmAccess(m.vms[0].zdev));
      await drv.probe();
      kernelToken = (await drv.registerDmb({ length: 16384, rgid: m.vms[1].vm.ism.gid })).token;
      await sim.until(() => token !== 0n, { timeout: 1_000_000 });
      monitors[0].clear();
      await send(drv, token, m);
      sent = true;
    } catch (e) {
      failures.push(e);
    }
  });
  sim.process('vm1_user', async () => {
    try {
      const drv = new IsmDriver(sim, new VfioIsmAccess(VfioDevice.open(m.vms[1].zdev)));
      await drv.probe();
      const dmb = await drv.registerDmb({ length: 16384, rgid: m.vms[0].vm.ism.gid });
      dmbIova = dmb.iova;
      token = dmb.token;
      await sim.until(() => kernelToken !== 0n && sent, { timeout: 1_000_000 });
      if (vfioMove) await vfioMove(drv, kernelToken);
    } catch (e) {
      failures.push(e);
    }
  });
  await sim.run({ maxCycles: 5_000_000 });
  sim.dispose();
  if (failures.length) throw failures[0];
  return { m, monitors, dmbIova };
}

describe('in-kernel ism_move stores from the caller buffer (issue 11 item 2)', () => {
  it('kernel move stores from the caller buffer, not a staging page: each chunk source is the caller address + its position', async () => {
    const payload = Uint8Array.from({ length: 8192 }, (_, i) => (i * 31 + 5) & 0xff);
    let caller = 0;
    const { m, monitors, dmbIova } = await kernelSender(async (drv, token, machine) => {
      caller = machine.vms[0].pages.allocate(payload.length);
      machine.vms[0].memory.write(caller, payload);
      // SMC-D's data write: DMB offset 32, right after the CDC message.
      expect(await drv.move(token, 0, false, 32, { address: caller, length: payload.length })).toBe(0);
    });
    expect(moves(monitors[0].seen)).toEqual([
      [32, 4064, caller, 0],
      [4096, 4096, caller + 4064, 0], // source [4064, 8160) crosses a page: accepted
      [8192, 32, caller + 8160, 0],
    ]);
    expect(m.vms[1].memory.read(dmbIova + 32, payload.length)).toEqual(payload);
  }, 60_000);

  it('kernel move of bytes keeps them in one caller buffer: consecutive chunks have consecutive sources', async () => {
    const payload = Uint8Array.from({ length: 8192 }, (_, i) => (i * 7) & 0xff);
    const { m, monitors, dmbIova } = await kernelSender(async (drv, token) => {
      expect(await drv.move(token, 0, true, 32, payload)).toBe(0);
    });
    const chunks = moves(monitors[0].seen);
    expect(chunks.map(([off, len]) => [off, len])).toEqual([
      [32, 4064],
      [4096, 4096],
      [8192, 32],
    ]);
    expect(chunks[1][2]).toBe(chunks[0][2] + 4064);
    expect(chunks[2][2]).toBe(chunks[0][2] + 8160);
    expect(chunks.every((c) => c[3] === 0)).toBe(true);
    expect(m.vms[1].memory.read(dmbIova + 32, payload.length)).toEqual(payload);
  }, 60_000);
});

describe('vfio-ism driver invariant in the instruction monitor (issue 11 item 1)', () => {
  it('the rule "PCISTB source crosses 4 KiB" flags the kernel path (which the hardware accepts) and never the vfio-ism driver', async () => {
    const payload = Uint8Array.from({ length: 10_000 }, (_, i) => (i * 13) & 0xff);
    const { monitors } = await kernelSender(
      async (drv, token) => {
        expect(await drv.move(token, 0, true, 32, payload)).toBe(0);
      },
      async (drv, token) => {
        // Unaligned target, unaligned length: the variant driver still stores from its page-aligned buffer.
        expect(await drv.move(token, 0, true, 3000, payload)).toBe(0);
      },
    );
    expect(monitors[0].violations.map((v) => [v.rule, Number(v.instruction.offset & DMB_OFFSET_MASK), v.instruction.cc])).toEqual([
      ['PCISTB source crosses 4 KiB', 4096, 0],
      ['PCISTB source crosses 4 KiB', 8192, 0],
    ]);
    expect(moves(monitors[1].seen).length).toBeGreaterThanOrEqual(4);
    expect(monitors[1].violations).toEqual([]);
  }, 60_000);
});
