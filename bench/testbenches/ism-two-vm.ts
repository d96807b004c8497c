import { IsmMachine } from '../../models/host/machine.ts';
import { Sba } from '../../rtl/ism/commands.ts';
import { DEFAULT_TIMING } from '../../rtl/timing.ts';
import { runBench, traceIfAsked, type Testbench } from '../harness.ts';

const SBA = 0x10000;
const IEQ = 0x11000;
const DMB = 0x100000;
const SOURCE = 0x200000;
const SIZE = 64 * 1024;
const DMB_IDX = 32;

function check(cond: boolean, what: string): void {
  if (!cond) throw new Error(`ism-two-vm: ${what}`);
}

/**
 * Two VMs on one ISM network. VM1 brings its function up (REG_SBA, REG_IEQ, READ_GID) and
 * registers a 64 KiB DMB for VM0; VM0 moves 64 KiB into it in 4 KiB PCISTBs with the signal on
 * the last; VM1's MSI fires and the bytes, the DMB bit, the DMBE mask and the summary bit are
 * checked. Every command and move is a real CPU instruction through the zPCI function unit.
 */
export const ismTwoVm: Testbench = {
  name: 'ism-two-vm',
  description: 'two VMs: VM1 registers a DMB for VM0, VM0 moves 64 KiB in 4 KiB chunks with the signal on the last, VM1 gets the MSI',
  run: (options) =>
    runBench('ism-two-vm', options, async (ctx) => {
      const { sim, note } = ctx;
      const m = new IsmMachine(sim, { vms: 2 });
      traceIfAsked(sim, options, 'ism-two-vm: 64 KiB move with signal between two VMs');
      const [vm0, vm1] = m.vms;
      let token: bigint | undefined;
      let lastPcistbDone = 0;
      let msiCycle = 0;
      const chunkCycles: number[] = [];

      // Source data in VM0's storage.
      let x = options.seed >>> 0 || 1;
      const data = Uint8Array.from({ length: SIZE }, () => {
        x ^= x << 13;
        x >>>= 0;
        x ^= x >>> 17;
        x ^= x << 5;
        x >>>= 0;
        return x & 0xff;
      });
      vm0.memory.write(SOURCE, data);

      sim.process('vm1_firmware', async () => {
        check((await vm1.command('REG_SBA', { sba: SBA })).ret === 0, 'REG_SBA');
        check((await vm1.command('REG_IEQ', { ieq: IEQ, len: 512 })).ret === 0, 'REG_IEQ');
        const gid = await vm1.command('READ_GID');
        check(gid.ret === 0 && gid.fields.gid === vm1.vm.ism.gid, 'READ_GID');
        const peer = vm0.vm.ism.gid; // learnt over CLC in SMC-D
        const reg = await vm1.command('REG_DMB', { dmb: DMB, dmb_len: SIZE, sba_idx: DMB_IDX, rgid: peer });
        check(reg.ret === 0, `REG_DMB ret ${reg.ret}`);
        token = reg.fields.dmb_tok;
        note(`VM1 registered DMB token 0x${token.toString(16)} (${SIZE} bytes, sba_idx ${DMB_IDX}) at cycle ${sim.cycle}`);
        await sim.until(() => vm1.vm.ism.msi.value === 1, { timeout: 2_000_000, what: 'vm1 MSI' });
        msiCycle = sim.cycle;
        // The interrupt handler's view: s, the DMB bit, the DMBE mask.
        const s = vm1.memory.readU8(SBA);
        const bit = vm1.memory.readU8(SBA + Sba.dmbBitByte(DMB_IDX));
        const mask = vm1.memory.readU16(SBA + Sba.dmbeMaskOffset(DMB_IDX));
        check((s & Sba.SUMMARY_MASK) !== 0, 'summary bit');
        check((bit & Sba.dmbBitMask(DMB_IDX)) !== 0, 'DMB bit');
        check(mask === 0x8000, `dmbe_mask 0x${mask.toString(16)}`);
        const got = vm1.memory.read(DMB, SIZE);
        check(got.every((b, i) => b === data[i]), 'DMB contents');
        note(`VM1 MSI at cycle ${msiCycle}, ${msiCycle - lastPcistbDone} cycles after the last PCISTB completed; ${SIZE} bytes verified, SBA s=1, DMB bit ${DMB_IDX}, mask 0x8000`);
      });

      sim.process('vm0_firmware', async () => {
        check((await vm0.command('REG_SBA', { sba: SBA })).ret === 0, 'vm0 REG_SBA');
        check((await vm0.command('REG_IEQ', { ieq: IEQ, len: 512 })).ret === 0, 'vm0 REG_IEQ');
        await sim.until(() => token !== undefined, { timeout: 1_000_000, what: 'DMB token from VM1' });
        const start = sim.cycle;
        const rc = await vm0.move(token!, 0, true, 0, SOURCE, SIZE, (c) => chunkCycles.push(c));
        check(rc === 0, `move rc ${rc}`);
        lastPcistbDone = sim.cycle;
        note(
          `VM0 moved ${SIZE} bytes in ${chunkCycles.length} PCISTBs: ${sim.cycle - start} cycles, ` +
            `${chunkCycles[0]} cycles per 4 KiB PCISTB (CPU view; adapter side ${DEFAULT_TIMING.ism.moveLookupCycles + 512 + DEFAULT_TIMING.ism.moveCommitCycles})`,
        );
      });

      await sim.run({ maxCycles: 5_000_000 });
      ctx.count(vm0.cpu.stats);
      ctx.count(vm1.cpu.stats);
      check(vm1.vm.ism.msiPulses === 1, `VM1 MSIs: ${vm1.vm.ism.msiPulses}`);
      check(vm0.vm.ism.msiPulses === 0, 'VM0 got no MSI');
    }),
};
