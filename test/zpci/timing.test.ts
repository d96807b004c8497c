/** Cycle-count tests: measured instruction cycles equal the formulas of rtl/TIMING.md § zPCI. */
import { describe, expect, it } from 'vitest';
import { ismFunctionConfig, genericFunctionConfig, MIO_BAR_STRIDE } from '../../rtl/zpci/function-config.ts';
import { DEFAULT_TIMING, type ZpciTiming } from '../../rtl/timing.ts';
import {
  beatCount,
  checkOnlyCycles,
  fetchDoublewords,
  pcistbCycles,
  pcistbRefusedCycles,
  singleAccessCycles,
  stallsForPattern,
} from '../../rtl/zpci/timing-formulas.ts';
import { outcome, withRig } from './support.ts';

const timings: ZpciTiming[] = [
  DEFAULT_TIMING.zpci,
  { ...DEFAULT_TIMING.zpci, checkCycles: 1, memoryLatency: 1 },
  { ...DEFAULT_TIMING.zpci, checkCycles: 5, memoryLatency: 7 },
];

describe('formula arithmetic', () => {
  it('fetch and beat counts and the default PCISTB figure', () => {
    expect(fetchDoublewords(4096, 0)).toBe(512);
    expect(fetchDoublewords(4096, 1)).toBe(513);
    expect(beatCount(1, 7)).toBe(1);
    expect(beatCount(2, 7)).toBe(2);
    expect(stallsForPattern([true, false], 4)).toBe(3);
    expect(stallsForPattern([false, false, true], 2)).toBe(4);
    // Default timing, 128-byte aligned PCISTB, header 2, done 3, no back-pressure:
    // 4 + 2 + 2 + 20 + 16 + 16 + 0 + 3 = 63.
    expect(pcistbCycles(DEFAULT_TIMING.zpci, { n: 128, offset: 0, gaddr: 0, headerLatency: 2, doneLatency: 3, stalls: 0 })).toBe(63);
    expect(singleAccessCycles(DEFAULT_TIMING.zpci, 4)).toBe(8);
    expect(checkOnlyCycles(DEFAULT_TIMING.zpci)).toBe(3);
  });
});

describe.each(timings)('timing %o', (timing) => {
  it('PCILG / PCISTG = 1 + checkCycles + deviceLatency + 1, for several device latencies; busy likewise', async () => {
    for (const [load, store] of [
      [1, 1],
      [4, 3],
      [9, 13],
    ]) {
      await withRig(
        ismFunctionConfig(),
        async ({ cpu, vm, sim, dev }) => {
          const fh = vm.pfu.enable();
          await sim.tick();
          await cpu.pcilg(fh, 0, 0n, 8);
          expect(cpu.lastCycles).toBe(singleAccessCycles(timing, load));
          await cpu.pcistg(fh, 0, 0n, 8, 1n);
          expect(cpu.lastCycles).toBe(singleAccessCycles(timing, store));
          await cpu.pcilg(fh, 15, 0n, 4);
          expect(cpu.lastCycles).toBe(singleAccessCycles(timing, load));
          dev.busyNext = 1;
          expect((await cpu.pcistg(fh, 0, 0n, 8, 1n)).cc).toBe(2);
          expect(cpu.lastCycles).toBe(singleAccessCycles(timing, store));
        },
        { timing, scratch: { loadLatency: load, storeLatency: store } },
      );
    }
  });

  it('outcomes decided by the checks take 1 + checkCycles', async () => {
    await withRig(
      genericFunctionConfig(),
      async ({ cpu, vm, sim }) => {
        const fh = vm.pfu.enable();
        await sim.tick();
        const cases = [
          () => cpu.pcilg(fh, 0, 0n, 8, { problemState: true }),
          () => cpu.pcilg(0, 0, 0n, 8),
          () => cpu.pcistg(fh, 9, 0n, 8, 0n),
          () => cpu.pcistb(fh, 0, 0n, 3n, 16),
          () => cpu.pcilg(fh, 15, 8192n, 4),
        ];
        for (const c of cases) {
          await outcome(c());
          expect(cpu.lastCycles).toBe(checkOnlyCycles(timing));
        }
      },
      { timing },
    );
  });

  it('PCISTB(n) across lengths, alignments, header/done latencies', async () => {
    const blocks = [
      { n: 1, offset: 0n, gaddr: 0n },
      { n: 8, offset: 0n, gaddr: 0n },
      { n: 13, offset: 0x45n, gaddr: 0x103n },
      { n: 64, offset: 0x7n, gaddr: 0x1001n },
      { n: 4096, offset: 0x1000n, gaddr: 0x2000n },
      { n: 4000, offset: 0x2003n, gaddr: 0x3007n },
    ];
    for (const [headerLatency, doneLatency] of [
      [1, 1],
      [2, 3],
      [6, 8],
    ]) {
      await withRig(
        ismFunctionConfig(),
        async ({ cpu, vm, sim }) => {
          const fh = vm.pfu.enable();
          await sim.tick();
          for (const b of blocks) {
            expect((await cpu.pcistb(fh, 0, b.offset, b.gaddr, b.n)).cc).toBe(0);
            expect(cpu.lastCycles).toBe(pcistbCycles(timing, { ...b, headerLatency, doneLatency, stalls: 0 }));
          }
        },
        { timing, scratch: { headerLatency, doneLatency } },
      );
    }
  });
});

describe('PCISTB with back-pressure and refused headers', () => {
  const patterns: boolean[][] = [[true, false], [false, false, true], [true, true, true, false], [false, true, true, true, true, true, true, true]];
  for (const pattern of patterns) {
    it(`ready pattern ${pattern.map((x) => (x ? 1 : 0)).join('')}: stalls counted on the wires match the pattern`, async () => {
      const timing = DEFAULT_TIMING.zpci;
      await withRig(
        ismFunctionConfig(),
        async ({ cpu, vm, sim }) => {
          const fh = vm.pfu.enable();
          await sim.tick();
          const port = vm.devPort;
          for (const b of [
            { n: 100, offset: 0x13n, gaddr: 0x201n },
            { n: 2048, offset: 0x800n, gaddr: 0x4000n },
          ]) {
            let stalls = 0;
            let beats = 0;
            let fetches = 0;
            const watcher = sim.process('watch', async () => {
              for (;;) {
                await sim.tick();
                if (port.beatValid.value && !port.beatReady.value) stalls++;
                if (port.beatValid.value && port.beatReady.value) beats++;
                if (vm.sbe.mem.rspValid.value) fetches++;
                if (vm.cpuPort.rspValid.value) return;
              }
            });
            expect((await cpu.pcistb(fh, 0, b.offset, b.gaddr, b.n)).cc).toBe(0);
            await sim.until(() => watcher.done);
            const nBeats = beatCount(b.n, b.offset);
            expect(beats).toBe(nBeats);
            expect(fetches).toBe(fetchDoublewords(b.n, b.gaddr));
            expect(stalls).toBe(stallsForPattern(pattern, nBeats));
            expect(cpu.lastCycles).toBe(pcistbCycles(timing, { ...b, headerLatency: 2, doneLatency: 3, stalls }));
          }
        },
        { scratch: { readyPattern: pattern } },
      );
    });
  }

  // rtl/TIMING.md once said the last beat moves in V+2+A+M+F+B+S; the model (and an independent
  // check of the formula) take it in V+1+A+M+F+B+S, the cycle before the edge that consumes it.
  for (const pattern of [[true], [true, false]]) {
    it(`timeline (ready ${pattern.map((x) => (x ? 1 : 0)).join('')}): first beat in V+2+A+M+F, last beat moves in V+1+A+M+F+B+S`, async () => {
      const timing = DEFAULT_TIMING.zpci;
      const [A, D] = [2, 3];
      await withRig(
        ismFunctionConfig(),
        async ({ cpu, vm, sim }) => {
          const fh = vm.pfu.enable();
          await sim.tick();
          const port = vm.devPort;
          for (const b of [
            { n: 100, offset: 0x13n, gaddr: 0x201n },
            { n: 4096, offset: 0x1000n, gaddr: 0x2000n },
          ]) {
            let firstBeat = -1;
            let lastBeatMoves = -1;
            let rsp = -1;
            let stalls = 0;
            const watcher = sim.process('watch', async () => {
              for (;;) {
                await sim.tick();
                if (port.beatValid.value && firstBeat < 0) firstBeat = sim.cycle;
                if (port.beatValid.value && !port.beatReady.value) stalls++;
                if (port.beatValid.value && port.beatReady.value && port.beatLast.value) lastBeatMoves = sim.cycle;
                if (vm.cpuPort.rspValid.value) {
                  rsp = sim.cycle;
                  return;
                }
              }
            });
            expect((await cpu.pcistb(fh, 0, b.offset, b.gaddr, b.n)).cc).toBe(0);
            await sim.until(() => watcher.done);
            const v = rsp - cpu.lastCycles + 1 + timing.checkCycles;
            const [M, F, B] = [timing.memoryLatency, fetchDoublewords(b.n, b.gaddr), beatCount(b.n, b.offset)];
            expect(firstBeat - v).toBe(2 + A + M + F);
            expect(lastBeatMoves - v).toBe(1 + A + M + F + B + stalls);
            expect(rsp - v).toBe(3 + A + M + F + B + stalls + D);
          }
        },
        { scratch: { readyPattern: pattern } },
      );
    });
  }

  it('a header answered BUSY or ERROR: nothing fetched, 4 + checkCycles + headerLatency', async () => {
    for (const headerLatency of [1, 5]) {
      await withRig(
        ismFunctionConfig(),
        async ({ cpu, vm, sim, dev }) => {
          const fh = vm.pfu.enable();
          await sim.tick();
          dev.busyNext = 1;
          expect((await cpu.pcistb(fh, 0, 0n, 0n, 64)).cc).toBe(2);
          expect(cpu.lastCycles).toBe(pcistbRefusedCycles(DEFAULT_TIMING.zpci, headerLatency));
          dev.errorNext = 1;
          expect((await cpu.pcistb(fh, 0, 0n, 0n, 64)).cc).toBe(1);
          expect(cpu.lastCycles).toBe(pcistbRefusedCycles(DEFAULT_TIMING.zpci, headerLatency));
          expect(dev.writes).toEqual([]);
        },
        { scratch: { headerLatency } },
      );
    }
  });
});

describe('MIO forms on a MIO-capable function', () => {
  it('take the same cycles as the function-handle forms: PCILG/PCISTG 1 + C + L + 1, PCISTB by the block formula', async () => {
    const config = genericFunctionConfig({ mioCapable: true, maxstbl: 256 });
    for (const timing of timings) {
      await withRig(
        config,
        async ({ cpu, vm, sim, mem }) => {
          vm.pfu.enable();
          await sim.tick();
          const bar2 = config.mioBase + 2n * MIO_BAR_STRIDE;
          expect((await cpu.pcilgMio(bar2 + 0x10n, 8)).cc).toBe(0);
          expect(cpu.lastCycles).toBe(singleAccessCycles(timing, 4));
          expect((await cpu.pcistgMio(bar2 + 0x18n, 4, 0xabcdn)).cc).toBe(0);
          expect(cpu.lastCycles).toBe(singleAccessCycles(timing, 3));
          mem.write(0x800, new Uint8Array(128).fill(9));
          expect((await cpu.pcistbMio(bar2 + 0x100n, 0x800n, 128)).cc).toBe(0);
          expect(cpu.lastCycles).toBe(pcistbCycles(timing, { n: 128, offset: 0x100, gaddr: 0x800, headerLatency: 2, doneLatency: 3, stalls: 0 }));
          // An address outside every BAR window is decided by the checks.
          expect((await cpu.pcilgMio(config.mioBase - 8n, 8)).cc).toBe(3);
          expect(cpu.lastCycles).toBe(checkOnlyCycles(timing));
        },
        { timing, scratch: { loadLatency: 4, storeLatency: 3, headerLatency: 2, doneLatency: 3 } },
      );
    }
  });
});
