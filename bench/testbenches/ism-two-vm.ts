import { IsmMachine } from '../../models/host/machine.ts';
import { randomBytes } from '../../models/host/prng.ts';
import { IsmDriver, type DmbSignal } from '../../models/ism/ism-driver.ts';
import { KernelIsmAccess } from '../../models/ism/kernel-access.ts';
import { DEFAULT_TIMING } from '../../rtl/timing.ts';
import { KERNEL_DRIVER_MAXSTBL, runBench, traceIfAsked, type Testbench } from '../harness.ts';

const SIZE = 64 * 1024;
const DMB_IDX = 32;

function check(cond: boolean, what: string): void {
  if (!cond) throw new Error(`ism-two-vm: ${what}`);
}

/**
 * Two VMs on one ISM network, each with the in-kernel ISM driver (drivers/s390/net/ism_drv.c
 * logic over the zPCI helpers). VM1 probes its function (REG_SBA, REG_IEQ, QUERY_INFO, READ_GID)
 * and registers a 64 KiB DMB for VM0; VM0 moves 64 KiB into it in 4 KiB PCISTBs with the signal
 * on the last; VM1's MSI fires and its interrupt handler reports the DMB bit and DMBE mask; the
 * bytes are checked. Every command and move is a real CPU instruction through the zPCI unit.
 */
export const ismTwoVm: Testbench = {
  name: 'ism-two-vm',
  description: 'two VMs: VM1 registers a DMB for VM0, VM0 moves 64 KiB in 4 KiB chunks with the signal on the last, VM1 gets the MSI',
  vms: { min: 2, max: 2, default: 2 },
  seeded: true,
  maxstbl: KERNEL_DRIVER_MAXSTBL,
  run: (options) =>
    runBench('ism-two-vm', options, async (ctx) => {
      const { sim, note } = ctx;
      const m = new IsmMachine(sim, { vms: 2, maxstbl: options.maxstbl });
      traceIfAsked(sim, options, 'ism-two-vm: 64 KiB move with signal between two VMs');
      const [vm0, vm1] = m.vms;
      let token: bigint | undefined;
      let dmbIova = -1;
      let lastPcistbDone = 0;
      const signals: DmbSignal[] = [];

      const data = randomBytes(options.seed, SIZE);

      sim.process('vm1_firmware', async () => {
        const driver = new IsmDriver(sim, new KernelIsmAccess(vm1.zdev));
        await driver.probe();
        check(driver.gid === vm1.vm.ism.gid, 'READ_GID');
        driver.dmbSignals$.subscribe((s) => signals.push(s));
        const peer = vm0.vm.ism.gid; // learnt over CLC in SMC-D
        const dmb = await driver.registerDmb({ length: SIZE, rgid: peer, sbaIndex: DMB_IDX });
        token = dmb.token;
        dmbIova = dmb.iova;
        note(`VM1 registered DMB token 0x${token.toString(16)} (${SIZE} bytes, sba_idx ${DMB_IDX}) at cycle ${sim.cycle}`);
        await sim.until(() => signals.length > 0, { timeout: 2_000_000, what: 'vm1 DMB signal' });
        const msiCycle = signals[0].cycle;
        check(signals[0].sbaIndex === DMB_IDX, `signalled index ${signals[0].sbaIndex}`);
        check(signals[0].mask === 0x8000, `dmbe_mask 0x${signals[0].mask.toString(16)}`);
        const got = vm1.memory.read(dmbIova, SIZE);
        check(got.every((b, i) => b === data[i]), 'DMB contents');
        note(`VM1 MSI at cycle ${msiCycle}, ${msiCycle - lastPcistbDone} cycles after the last PCISTB completed; ${SIZE} bytes verified, handler saw DMB bit ${DMB_IDX}, mask 0x8000`);
      });

      sim.process('vm0_firmware', async () => {
        const driver = new IsmDriver(sim, new KernelIsmAccess(vm0.zdev));
        await driver.probe();
        await sim.until(() => token !== undefined, { timeout: 1_000_000, what: 'DMB token from VM1' });
        const start = sim.cycle;
        const rc = await driver.move(token!, 0, true, 0, data);
        check(rc === 0, `move rc ${rc}`);
        lastPcistbDone = sim.cycle;
        note(
          `VM0 moved ${SIZE} bytes in ${driver.counts.moveChunks} PCISTBs: ${sim.cycle - start} cycles, ` +
            `${vm0.cpu.lastCycles} cycles per 4 KiB PCISTB (CPU view; adapter side ${DEFAULT_TIMING.ism.moveLookupCycles + 512 + DEFAULT_TIMING.ism.moveCommitCycles})`,
        );
      });

      await sim.run({ maxCycles: 5_000_000 });
      ctx.count(vm0.cpu.stats);
      ctx.count(vm1.cpu.stats);
      check(vm1.vm.ism.msiPulses === 1, `VM1 MSIs: ${vm1.vm.ism.msiPulses}`);
      check(vm0.vm.ism.msiPulses === 0, 'VM0 got no MSI');
    }),
};
