import { ismFunctionConfig } from '../../rtl/zpci/function-config.ts';
import { pcistbCycles, beatCount, stallsForPattern } from '../../rtl/zpci/timing-formulas.ts';
import { DEFAULT_TIMING } from '../../rtl/timing.ts';
import { runBench, type Testbench } from '../harness.ts';
import { buildZpciBench, check, rng } from './zpci-mixed.ts';

const PATTERN = [true, true, true, false];

export const pcistb: Testbench = {
  name: 'pcistb',
  seeded: true,
  maxstbl: { min: 1, max: 8191, default: 4096 },
  description: 'PCI Store Block on an ISM function: 1..maxstbl bytes, unaligned, touching 4 KiB, with device back-pressure',
  run: (options) =>
    runBench('pcistb', options, async (ctx) => {
      const { sim, note } = ctx;
      const maxstbl = options.maxstbl ?? 4096;
      // A block never crosses 4 KiB, so no length exceeds min(maxstbl, 4096).
      const longest = Math.min(maxstbl, 4096);
      const { cpu, dev, mem, fh } = buildZpciBench(ctx, 'pcistb: PCI Store Block', ismFunctionConfig({ maxstbl }), { readyPattern: PATTERN });
      const rand = rng(options.seed);
      mem.write(0, Uint8Array.from({ length: 1 << 17 }, () => Math.floor(rand() * 256)));
      let bytes = 0;
      let blockCycles = 0;
      let n = 0;
      sim.process('firmware', async () => {
        await sim.tick();
        const lens = [1, 7, 8, 64, 128, 1000, 4096].map((l) => Math.min(l, longest));
        for (let i = 0; i < 120; i++) {
          const len = i < lens.length ? lens[i] : 1 + Math.floor(rand() * longest);
          // Every other block ends exactly on a 4 KiB boundary.
          let off = i % 2 ? (1 + Math.floor(rand() * 200)) * 4096 - len : Math.floor(rand() * (1 << 19));
          const over = (off & 0xfff) + len - 4096;
          if (over > 0) off -= over;
          let g = Math.floor(rand() * ((1 << 17) - len));
          const gover = (g & 0xfff) + len - 4096;
          if (gover > 0) g -= gover;
          const r = await cpu.pcistb(fh, 0, BigInt(off), BigInt(g), len);
          check(r.cc === 0, `PCISTB ${i}`);
          const want = pcistbCycles(DEFAULT_TIMING.zpci, {
            n: len,
            offset: off,
            gaddr: g,
            headerLatency: 2,
            doneLatency: 3,
            stalls: stallsForPattern(PATTERN, beatCount(len, off)),
          });
          check(cpu.lastCycles === want, `PCISTB ${i} took ${cpu.lastCycles} cycles, formula ${want}`);
          const got = dev.load(0, BigInt(off), len);
          const src = mem.read(g, len);
          check(got.every((b, k) => b === src[k]), `PCISTB ${i} bytes`);
          bytes += len;
          blockCycles += cpu.lastCycles;
          n++;
        }
      });
      await sim.run();
      ctx.count(cpu.stats);
      note(`${n} blocks, ${bytes} bytes verified; ${(bytes / blockCycles).toFixed(2)} bytes/cycle with ready pattern 1110 and memoryLatency ${DEFAULT_TIMING.zpci.memoryLatency}`);
      const full = pcistbCycles(DEFAULT_TIMING.zpci, { n: 4096, offset: 0, gaddr: 0, headerLatency: 2, doneLatency: 3, stalls: stallsForPattern(PATTERN, 512) });
      note(`a 4096-byte aligned block: ${full} cycles by the formula (${dev.counts.stallCycles} stall cycles in this run)`);
    }),
};
