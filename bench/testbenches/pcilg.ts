import { genericFunctionConfig } from '../../rtl/zpci/function-config.ts';
import { singleAccessCycles, checkOnlyCycles } from '../../rtl/zpci/timing-formulas.ts';
import { DEFAULT_TIMING } from '../../rtl/timing.ts';
import { ProgramException } from '../../models/host/cpu.ts';
import { runBench, type Testbench } from '../harness.ts';
import { buildZpciBench, check, rng } from './zpci-mixed.ts';

export const pcilg: Testbench = {
  name: 'pcilg',
  seeded: true,
  description: 'PCI Load: BAR loads of 1/2/4/8 bytes, config-space reads, and rejected loads',
  run: (options) =>
    runBench('pcilg', options, async (ctx) => {
      const { sim, note } = ctx;
      const { cpu, dev, fh } = buildZpciBench(ctx, 'pcilg: PCI Load', genericFunctionConfig(), { loadLatency: 4 });
      const rand = rng(options.seed);
      const image = Uint8Array.from({ length: 4096 }, () => Math.floor(rand() * 256));
      dev.poke(0, 0n, image);
      let cycles = 0;
      let n = 0;
      sim.process('firmware', async () => {
        await sim.tick();
        for (let i = 0; i < 400; i++) {
          const len = [1, 2, 4, 8][i % 4];
          const off = Math.floor((rand() * 4088) / len) * len;
          const r = await cpu.pcilg(fh, 0, BigInt(off), len);
          let want = 0n;
          for (let k = 0; k < len; k++) want = (want << 8n) | BigInt(image[off + k]);
          check(r.cc === 0 && r.data === want, `PCILG at 0x${off.toString(16)}`);
          check(cpu.lastCycles === singleAccessCycles(DEFAULT_TIMING.zpci, 4), 'PCILG cycle count');
          cycles += cpu.lastCycles;
          n++;
        }
        // Config space: vendor/device ID arrive in address order (Linux swaps them).
        const id = await cpu.pcilg(fh, 15, 0n, 4);
        check(id.data === 0x1410ed04n, 'config ID in address order');
        check((await cpu.pcilg(fh, 15, 4096n, 4)).data === 0xffff_ffffn, 'config past the end reads all-ones');
        // Rejections, visible on the waveform as pfu.chk_row.
        for (const [bad, code] of [
          [() => cpu.pcilg(fh, 0, 5n, 4), 0x15],
          [() => cpu.pcilg(fh, 15, 0n, 3), 0x15],
          [() => cpu.pcilg(fh, 0, 0n, 8, { r2Odd: true }), 0x06],
        ] as const) {
          try {
            await bad();
            check(false, 'expected a program exception');
          } catch (e) {
            check(e instanceof ProgramException && e.code === code, `program exception 0x${code.toString(16)}`);
            check(cpu.lastCycles === checkOnlyCycles(DEFAULT_TIMING.zpci), 'rejection cycle count');
          }
        }
        check((await cpu.pcilg(0x8000_0000, 0, 0n, 8)).cc === 3, 'bad handle → cc 3');
        check((await cpu.pcilg(fh, 9, 0n, 8)).status === 20, 'bad space → status 20');
      });
      await sim.run();
      ctx.count(cpu.stats);
      note(`${n} BAR loads verified, ${cycles / n} cycles each (formula 1 + checkCycles + loadLatency + 1 = ${singleAccessCycles(DEFAULT_TIMING.zpci, 4)})`);
    }),
};
