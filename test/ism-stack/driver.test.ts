import { describe, expect, it } from 'vitest';
import { Simulator } from '../../rtl/hdl/index.ts';
import { IsmMachine } from '../../models/host/machine.ts';
import { VfioDevice } from '../../models/vfio/vfio-device.ts';
import { IsmDriver, type DmbSignal } from '../../models/ism/ism-driver.ts';
import { VfioIsmAccess } from '../../models/ism/vfio-access.ts';
import { KernelIsmAccess } from '../../models/ism/kernel-access.ts';
import { COMMAND_BY_NAME, decodeHeader } from '../../rtl/ism/commands.ts';

const CODE_NAME = new Map([...COMMAND_BY_NAME.values()].map((c) => [c.code, c.name]));
const TOKEN_MASK = 0xffff_0000_0000n;

describe('IsmDriver over vfio (VM 0) and in-kernel (VM 1) on the hardware', () => {
  it('probe order on the wire, move chunks (one pwrite each, 4 KiB target boundaries, signal last), handler results', async () => {
    const sim = new Simulator();
    const m = new IsmMachine(sim, { vms: 2, memorySize: 16 << 20 });
    const doorbells: string[] = [];
    const pwrites: { offset: bigint; length: number }[] = [];
    const signals: DmbSignal[] = [];
    let rxToken = 0n;
    let rxIova = 0;
    let peerGid = 0n;
    let kernel: IsmDriver | undefined;
    const payload = Uint8Array.from({ length: 10_000 }, (_, i) => (i * 13) & 0xff);
    const failures: unknown[] = [];
    sim.process('vm0_user', async () => {
      try {
        const dev = VfioDevice.open(m.vms[0].zdev);
        const realPwrite = dev.pwrite.bind(dev);
        dev.pwrite = (bytes, offset) => {
          if (offset >> 48n === 2n && (offset & 0xffffn) === 0n) doorbells.push(CODE_NAME.get(decodeHeader(bytes).cmd) ?? '?');
          if (offset >> 48n === 0n) pwrites.push({ offset, length: bytes.length });
          return realPwrite(bytes, offset);
        };
        const user = new IsmDriver(sim, new VfioIsmAccess(dev));
        await user.probe();
        expect(doorbells).toEqual(['REG_SBA', 'REG_IEQ', 'QUERY_INFO', 'READ_GID']);
        expect(user.gid).toBe(m.vms[0].vm.ism.gid);
        peerGid = user.gid;
        await sim.until(() => rxToken !== 0n, { timeout: 1_000_000 });
        // 10 000 bytes at DMB offset 3000: chunks end at 4096, 8192, 12288, then the rest.
        expect(await user.move(rxToken, 0, true, 3000, payload)).toBe(0);
      } catch (e) {
        failures.push(e);
      }
    });
    sim.process('vm1_kernel', async () => {
      try {
        kernel = new IsmDriver(sim, new KernelIsmAccess(m.vms[1].zdev));
        await kernel.probe();
        kernel.dmbSignals$.subscribe((s) => signals.push(s));
        await sim.until(() => peerGid !== 0n, { timeout: 1_000_000 });
        const dmb = await kernel.registerDmb({ length: 16384, rgid: peerGid });
        expect(dmb.sbaIndex).toBe(32);
        rxIova = dmb.iova;
        rxToken = dmb.token;
        await sim.until(() => signals.length > 0, { timeout: 1_000_000 });
      } catch (e) {
        failures.push(e);
      }
    });
    await sim.run({ maxCycles: 5_000_000 });
    sim.dispose();
    if (failures.length) throw failures[0];
    expect(pwrites.map((p) => [Number(p.offset & 0xfffffn), p.length])).toEqual([
      [3000, 1096],
      [4096, 4096],
      [8192, 4096],
      [12288, 712],
    ]);
    const sf = pwrites.map((p) => Number((p.offset >> 23n) & 1n));
    expect(sf).toEqual([0, 0, 0, 1]);
    for (const p of pwrites) expect(p.offset & TOKEN_MASK).toBe(rxToken);
    expect(signals).toHaveLength(1);
    expect(signals[0].sbaIndex).toBe(32);
    expect(signals[0].mask).toBe(0x8000); // DMBE index 0, MSB-0 as the adapter documents
    expect(m.vms[1].memory.read(rxIova + 3000, payload.length)).toEqual(payload);
    // The handler cleared what it consumed.
    expect(kernel!.counts.interrupts).toBeGreaterThan(0);
  }, 60_000);
});
