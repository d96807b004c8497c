import type { Simulator } from '../../rtl/hdl/index.ts';
import { DEFAULT_TIMING } from '../../rtl/timing.ts';
import { ismFunctionConfig, type FunctionConfig } from '../../rtl/zpci/function-config.ts';
import type { ScratchDeviceOptions } from '../../rtl/zpci/scratch-device.ts';
import { ZpciVm } from '../../rtl/zpci/zpci-vm.ts';
import { Cpu, type InstructionResult } from '../../models/host/cpu.ts';
import { GuestMemory } from '../../models/host/guest-memory.ts';
import { runBench, traceIfAsked, type BenchContext, type BenchOptions, type Testbench } from '../harness.ts';

import { rng } from '../../models/host/prng.ts';

export { rng };

export interface ZpciBenchRig {
  vm: ZpciVm;
  cpu: Cpu;
  mem: GuestMemory;
  dev: NonNullable<ZpciVm['dev']>;
  fh: number;
}

/** Elaborate one VM (scopes vm0.cpu_port, vm0.pfu, vm0.sbe, vm0.sbe.mem, vm0.dev_port, vm0.dev) and enable its function. */
export function buildZpciBench(
  ctx: BenchContext,
  comment: string,
  config: FunctionConfig = ismFunctionConfig({ maxstbl: ctx.options.maxstbl ?? 4096 }),
  scratch: Omit<ScratchDeviceOptions, 'barSizes' | 'configSize'> = {},
): ZpciBenchRig {
  const mem = new GuestMemory(1 << 20);
  const vm = new ZpciVm(ctx.sim, { config, memory: mem, scratch });
  traceIfAsked(ctx.sim, ctx.options, comment);
  const cpu = new Cpu(ctx.sim, vm.cpuPort);
  const fh = vm.pfu.enable();
  return { vm, cpu, mem, dev: vm.dev!, fh };
}

/** Linux's __zpci_load/__zpci_store_block loop: re-issue after a delay while cc is 2 (busy). */
export async function retryBusy(sim: Simulator, issue: () => Promise<InstructionResult>, delay: number, onRetry: () => void): Promise<InstructionResult> {
  for (;;) {
    const r = await issue();
    if (r.cc !== 2) return r;
    onRetry();
    await sim.tick(delay);
  }
}

export function check(cond: boolean, what: string): void {
  if (!cond) throw new Error(`bench check failed: ${what}`);
}

export const zpciMixed: Testbench = {
  name: 'zpci-mixed',
  seeded: true,
  maxstbl: { min: 1, max: 8191, default: 4096 },
  description: 'PCILG, PCISTG and PCISTB mixed on an ISM-like function, device BUSY injected, firmware busy retries',
  run: (options: BenchOptions) =>
    runBench('zpci-mixed', options, async (ctx) => {
      const { sim, note } = ctx;
      const { vm, cpu, mem, dev, fh } = buildZpciBench(ctx, 'zpci-mixed: PCILG/PCISTG/PCISTB with busy retries', undefined, {
        readyPattern: [true, true, true, false],
      });
      const rand = rng(options.seed);
      const delay = 50; // shorter than DEFAULT_TIMING.zpci.busyRetryDelay to keep the bench brisk
      let retries = 0;
      const shadow = new Uint8Array(1 << 16); // BAR 0 image the firmware expects
      mem.write(0, Uint8Array.from({ length: 1 << 16 }, () => Math.floor(rand() * 256)));
      const N = 600;
      sim.process('firmware', async () => {
        await sim.tick();
        for (let i = 0; i < N; i++) {
          dev.busyNext = rand() < 0.15 ? 1 + Math.floor(rand() * 3) : 0;
          const kind = rand();
          if (kind < 0.3) {
            const len = [1, 2, 4, 8][Math.floor(rand() * 4)];
            const off = Math.floor((rand() * 0xfff8) / len) * len;
            const r = await retryBusy(sim, () => cpu.pcilg(fh, 0, BigInt(off), len), delay, () => retries++);
            let want = 0n;
            for (let k = 0; k < len; k++) want = (want << 8n) | BigInt(shadow[off + k]);
            check(r.cc === 0 && r.data === want, `PCILG ${i} at 0x${off.toString(16)} returned ${r.data.toString(16)}, wanted ${want.toString(16)}`);
          } else if (kind < 0.55) {
            const len = [1, 2, 4, 8][Math.floor(rand() * 4)];
            const off = Math.floor((rand() * 0xfff8) / len) * len;
            const data = BigInt(Math.floor(rand() * 2 ** 32)) * 0x1_0000_0001n;
            const r = await retryBusy(sim, () => cpu.pcistg(fh, 0, BigInt(off), len, data), delay, () => retries++);
            check(r.cc === 0, `PCISTG ${i}`);
            for (let k = 0; k < len; k++) shadow[off + k] = Number((data >> BigInt(8 * (len - 1 - k))) & 0xffn);
          } else {
            const len = 1 + Math.floor(rand() * Math.min(512, options.maxstbl ?? 4096));
            let off = Math.floor(rand() * (0x10000 - len));
            const over = (off & 0xfff) + len - 4096;
            if (over > 0) off -= over;
            let g = Math.floor(rand() * (0xf000 - len));
            const gover = (g & 0xfff) + len - 4096;
            if (gover > 0) g -= gover;
            const r = await retryBusy(sim, () => cpu.pcistb(fh, 0, BigInt(off), BigInt(g), len), delay, () => retries++);
            check(r.cc === 0, `PCISTB ${i}`);
            shadow.set(mem.read(g, len), off);
          }
        }
        const image = dev.load(0, 0n, 1 << 16);
        check(image.every((b, k) => b === shadow[k]), 'device BAR 0 image equals the firmware shadow');
      });
      await sim.run();
      ctx.count(cpu.stats);
      note(`${N} instructions, ${retries} busy retries (delay ${delay} cycles; Linux uses ${DEFAULT_TIMING.zpci.busyRetryDelay}), BAR 0 image verified`);
      note(`device: ${dev.counts.loads} loads, ${dev.counts.stores} stores, ${dev.counts.blocks} blocks, ${dev.counts.beats} beats, ${dev.counts.stallCycles} back-pressure stalls, ${dev.counts.busy} BUSY answers`);
      check(vm.pfu.currentState === 1, 'function still enabled');
    }),
};
