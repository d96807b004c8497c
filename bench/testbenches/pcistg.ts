import { genericFunctionConfig } from '../../rtl/zpci/function-config.ts';
import { singleAccessCycles } from '../../rtl/zpci/timing-formulas.ts';
import { DEFAULT_TIMING } from '../../rtl/timing.ts';
import { runBench, type Testbench } from '../harness.ts';
import { buildZpciBench, check, rng } from './zpci-mixed.ts';

export const pcistg: Testbench = {
  name: 'pcistg',
  seeded: true,
  description: 'PCI Store: BAR stores of 1/2/4/8 bytes, config writes, stores dropped past config space, device errors',
  run: (options) =>
    runBench('pcistg', options, async (ctx) => {
      const { sim, note } = ctx;
      const { cpu, dev, fh } = buildZpciBench(ctx, 'pcistg: PCI Store', genericFunctionConfig(), { storeLatency: 3 });
      const rand = rng(options.seed);
      const shadow = new Uint8Array(4096);
      let n = 0;
      sim.process('firmware', async () => {
        await sim.tick();
        for (let i = 0; i < 400; i++) {
          const len = [1, 2, 4, 8][i % 4];
          const off = Math.floor((rand() * 4088) / len) * len;
          const data = BigInt(Math.floor(rand() * 2 ** 32)) << 32n | BigInt(Math.floor(rand() * 2 ** 32));
          const r = await cpu.pcistg(fh, 2, BigInt(off), len, data);
          check(r.cc === 0 && cpu.lastCycles === singleAccessCycles(DEFAULT_TIMING.zpci, 3), `PCISTG ${i}`);
          for (let k = 0; k < len; k++) shadow[off + k] = Number((data >> BigInt(8 * (len - 1 - k))) & 0xffn);
          n++;
        }
        check(dev.load(2, 0n, 4096).every((b, k) => b === shadow[k]), 'BAR 2 image');
        check((await cpu.pcistg(fh, 15, 0x44n, 4, 0x78563412n)).cc === 0, 'config store');
        check((await cpu.pcilg(fh, 15, 0x44n, 4)).data === 0x78563412n, 'config store read back');
        const before = dev.writes.length;
        check((await cpu.pcistg(fh, 15, 4096n, 4, 1n)).cc === 0 && dev.writes.length === before, 'store past config space dropped');
        dev.errorNext = 1;
        dev.errorCode = 0x2c;
        const e = await cpu.pcistg(fh, 2, 0n, 8, 0n);
        check(e.cc === 1 && e.status === 0x2c, 'device error → cc 1');
      });
      await sim.run();
      ctx.count(cpu.stats);
      note(`${n} BAR stores verified against the device image, ${singleAccessCycles(DEFAULT_TIMING.zpci, 3)} cycles each`);
    }),
};
