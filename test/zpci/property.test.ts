/**
 * Property tests: random instruction streams — valid and invalid — through the RTL (CPU BFM →
 * function unit → store-block engine → ScratchDevice) must give the reference model's outcome
 * and exactly its device-side writes; the RTL assertions must never fire. The fast-check seed is
 * printed; set FC_SEED to replay.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { genericFunctionConfig, ismFunctionConfig, MIO_BAR_STRIDE, type FunctionConfig } from '../../rtl/zpci/function-config.ts';
import { FH_ENABLE, Op, type FunctionState } from '../../rtl/zpci/codes.ts';
import { zpciReference, type DeviceAnswer, type RefInstruction } from '../../models/ref/zpci-reference.ts';
import { ProgramException } from '../../models/host/cpu.ts';
import { withRig } from './support.ts';
import { propertySeed } from '../support/seed.ts';

const SEED = propertySeed(0x2e7a, 'zPCI instruction streams');

const CONFIGS: Record<string, FunctionConfig> = {
  strict: genericFunctionConfig(),
  strictMio: genericFunctionConfig({ mioCapable: true, maxstbl: 256, configSize: 256 }),
  ism: ismFunctionConfig(),
  // The strict source-page rule is an option (check row 0x12); one configuration keeps it covered.
  ismSmall: ismFunctionConfig({ maxstbl: 1000, sourceBoundaryCheck: true, barSizes: [1n << 15n, 0n, 1n << 13n, 0n, 1000n, 0n] }),
};

type FhChoice = 'current' | 'noEnable' | 'stale' | 'random';
interface InsnStep {
  kind: 'insn';
  op: Op;
  fh: FhChoice;
  randomFh: number;
  pcias: number;
  len: number;
  offset: bigint;
  data: bigint;
  gaddr: bigint;
  problemState: boolean;
  r2Odd: boolean;
  answer: DeviceAnswer;
  /** Fold the operands into a legal instruction for the function (so successes are common). */
  legalize: boolean;
}
interface ServiceStep {
  kind: 'service';
  action: 'disable' | 'enable' | 'setError' | 'resetBlock' | 'resetError';
}
type Step = InsnStep | ServiceStep;

const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });

/** Offsets of every alignment, near 4 KiB boundaries, inside and past the BARs, and wild. */
const offsetArb = fc.oneof(
  { weight: 4, arbitrary: fc.bigInt({ min: 0n, max: 0x9000n }) },
  { weight: 3, arbitrary: fc.tuple(fc.integer({ min: 0, max: 16 }), fc.integer({ min: -4100, max: 8 })).map(([p, d]) => BigInt(Math.max(0, p * 4096 + d))) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 0x1fff }).map((k) => BigInt(k * 8)) },
  { weight: 1, arbitrary: u64 },
);

const lenArb = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(1, 2, 3, 4, 8, 9, 15, 16, 24, 128) },
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 8192 }) },
  { weight: 2, arbitrary: fc.constantFrom(120, 127, 128, 129, 136, 256, 257, 999, 1000, 1001, 4088, 4095, 4096, 4097, 8191, 8192) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 300 }) },
);

const gaddrArb = fc.oneof(
  { weight: 4, arbitrary: fc.bigInt({ min: 0n, max: 0x10000n }) },
  { weight: 3, arbitrary: fc.tuple(fc.integer({ min: 0, max: 16 }), fc.integer({ min: -4100, max: 8 })).map(([p, d]) => BigInt(Math.max(0, p * 4096 + d))) },
  { weight: 1, arbitrary: u64 },
);

const answerArb: fc.Arbitrary<DeviceAnswer> = fc.oneof(
  { weight: 17, arbitrary: fc.constant({ kind: 'ok' } as const) },
  { weight: 2, arbitrary: fc.constant({ kind: 'busy' } as const) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 255 }).map((code) => ({ kind: 'error', code }) as const) },
);

const insnArb: fc.Arbitrary<InsnStep> = fc.record({
  kind: fc.constant('insn' as const),
  op: fc.oneof(
    { weight: 10, arbitrary: fc.constantFrom<Op>(Op.PCILG, Op.PCISTG, Op.PCISTB, Op.PCISTB) },
    { weight: 1, arbitrary: fc.constantFrom<Op>(Op.PCILG_MIO, Op.PCISTG_MIO, Op.PCISTB_MIO) },
  ),
  fh: fc.oneof(
    { weight: 12, arbitrary: fc.constant<FhChoice>('current') },
    { weight: 1, arbitrary: fc.constantFrom<FhChoice>('noEnable', 'stale', 'random') },
  ),
  randomFh: fc.integer({ min: 0, max: 0xffff_ffff }),
  pcias: fc.oneof({ weight: 6, arbitrary: fc.constantFrom(0, 2, 15) }, { weight: 2, arbitrary: fc.integer({ min: 0, max: 15 }) }),
  len: lenArb,
  offset: offsetArb,
  data: u64,
  gaddr: gaddrArb,
  problemState: fc.integer({ min: 0, max: 40 }).map((x) => x === 0),
  r2Odd: fc.integer({ min: 0, max: 40 }).map((x) => x === 0),
  answer: answerArb,
  legalize: fc.boolean(),
});

const serviceArb: fc.Arbitrary<ServiceStep> = fc.record({
  kind: fc.constant('service' as const),
  action: fc.constantFrom('disable', 'enable', 'setError', 'resetBlock', 'resetError'),
});

const stepsArb = fc.array(fc.oneof({ weight: 12, arbitrary: insnArb }, { weight: 1, arbitrary: serviceArb }), { minLength: 1, maxLength: 24 });

/** A device image shared by the RTL's ScratchDevice and the reference's shadow. */
class Shadow {
  private readonly spaces = new Map<number, Map<bigint, number>>();
  constructor(private readonly configSize: number) {
    this.write(15, 0n, Uint8Array.of(0x14, 0x10, 0xed, 0x04)); // ScratchDevice's IDs, little-endian
  }
  read(space: number, offset: bigint, len: number): Uint8Array {
    const m = this.spaces.get(space);
    return Uint8Array.from({ length: len }, (_, i) => m?.get(offset + BigInt(i)) ?? 0);
  }
  write(space: number, offset: bigint, bytes: Uint8Array): void {
    let m = this.spaces.get(space);
    if (!m) this.spaces.set(space, (m = new Map()));
    bytes.forEach((b, i) => m.set(offset + BigInt(i), b));
  }
}

/** Rewrite an instruction's operands into a legal one for `config` (the handle and options stay random). */
function legalize(step: InsnStep, config: FunctionConfig, memSize: number): void {
  const n = (v: bigint, m: number): number => Number(v % BigInt(m));
  if (step.op === Op.PCISTB || step.op === Op.PCISTB_MIO) {
    const bar = step.pcias & 1 && config.barSizes[2] > 0n ? 2 : 0;
    step.pcias = bar;
    const barSize = Number(config.barSizes[bar]);
    const strict = !config.relaxedAlignment;
    const max = config.maxstbl;
    const len = strict ? 16 + 8 * (step.len % ((max - 16) / 8 + 1)) : 1 + (step.len % max);
    let off = n(step.offset, barSize - len + 1);
    if (strict) off &= ~7;
    const over = (off & 0xfff) + len - 4096;
    if (over > 0) off -= over;
    let g = n(step.gaddr, memSize - len + 1);
    if (strict) g &= ~7;
    const gover = (g & 0xfff) + len - 4096;
    if (config.sourceBoundaryCheck && gover > 0) g -= gover;
    step.len = len;
    step.offset = BigInt(off);
    step.gaddr = BigInt(g);
  } else {
    const space = [0, 2, 15][step.pcias % 3];
    step.pcias = space;
    const len = space === 15 ? [1, 2, 4][step.len % 3] : [1, 2, 4, 8][step.len % 4];
    const size = space === 15 ? config.configSize : Number(config.barSizes[space]);
    step.len = len;
    step.offset = BigInt(Math.floor(n(step.offset, size) / len) * len);
  }
}

/** How often each (instruction, deciding row, outcome) was exercised. */
const coverage = new Map<string, number>();

async function runStream(configName: string, memSeed: number, steps: Step[]): Promise<void> {
  const config = CONFIGS[configName];
  await withRig(
    config,
    async ({ cpu, vm, sim, dev, mem }) => {
      let x = memSeed >>> 0 || 1;
      const fill = new Uint8Array(mem.size);
      for (let i = 0; i < fill.length; i++) {
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        fill[i] = x & 0xff;
      }
      mem.write(0, fill);
      const shadow = new Shadow(config.configSize);
      vm.pfu.enable();
      await sim.tick();
      let staleFh = (vm.pfu.currentFh - (1 << 24)) >>> 0;
      for (const [i, step] of steps.entries()) {
        if (step.kind === 'service') {
          const pfu = vm.pfu;
          if (step.action === 'enable') {
            if (pfu.currentState === 0) {
              staleFh = pfu.currentFh | FH_ENABLE;
              pfu.enable();
            }
          } else pfu[step.action]();
          await sim.tick();
          continue;
        }
        if (step.legalize) legalize(step, config, mem.size);
        const fnState = vm.pfu.fnState.value as FunctionState;
        const currentFh = vm.pfu.fh.value;
        const fh =
          step.fh === 'current' ? currentFh : step.fh === 'noEnable' ? (currentFh & ~FH_ENABLE) >>> 0 : step.fh === 'stale' ? staleFh : step.randomFh;
        const isMioOp = step.op >= Op.PCILG_MIO;
        const offset = isMioOp && (step.legalize || step.offset < 0x9000n) ? config.mioBase + BigInt(step.pcias % 6) * MIO_BAR_STRIDE + step.offset : step.offset;
        const insn: RefInstruction = { op: step.op, fh, pcias: step.pcias, len: step.len, offset, data: step.data, gaddr: step.gaddr, problemState: step.problemState, r2Odd: step.r2Odd };
        const expected = zpciReference({ config, fh: currentFh, state: fnState }, insn, {
          storage: mem,
          device: shadow,
          answer: step.answer,
        });
        dev.busyNext = step.answer.kind === 'busy' ? 1 : 0;
        dev.errorNext = step.answer.kind === 'error' ? 1 : 0;
        if (step.answer.kind === 'error') dev.errorCode = step.answer.code;
        const o = { problemState: step.problemState, r2Odd: step.r2Odd };
        let got: object;
        try {
          const r = await (step.op === Op.PCILG
            ? cpu.pcilg(fh, step.pcias, offset, step.len, o)
            : step.op === Op.PCISTG
              ? cpu.pcistg(fh, step.pcias, offset, step.len, step.data, o)
              : step.op === Op.PCISTB
                ? cpu.pcistb(fh, step.pcias, offset, step.gaddr, step.len, o)
                : step.op === Op.PCILG_MIO
                  ? cpu.pcilgMio(offset, step.len, o)
                  : step.op === Op.PCISTG_MIO
                    ? cpu.pcistgMio(offset, step.len, step.data, o)
                    : cpu.pcistbMio(offset, step.gaddr, step.len, o));
          got = { kind: 'cc', cc: r.cc, status: r.status, data: r.data };
        } catch (e) {
          if (!(e instanceof ProgramException)) throw e;
          got = { kind: 'exception', code: e.code };
        }
        const writes = dev.writes.splice(0).map((w) => ({ space: w.space, offset: w.offset, bytes: w.bytes }));
        expect({ step: i, outcome: got, writes }).toEqual({ step: i, outcome: expected.outcome, writes: expected.writes });
        expect(vm.pfu.chkRow.value).toBe(expected.row);
        const key = `${['LG', 'STG', 'STB', 'LGm', 'STGm', 'STBm'][step.op]}:${expected.row}:${expected.outcome.kind === 'cc' ? `cc${expected.outcome.cc}` : 'pi'}`;
        coverage.set(key, (coverage.get(key) ?? 0) + 1);
        for (const w of expected.writes) shadow.write(w.space, w.offset, w.bytes);
      }
    },
    { memSize: 1 << 16 },
  );
}

describe('zPCI RTL vs reference model', () => {
  for (const name of Object.keys(CONFIGS)) {
    it(`random instruction streams on a ${name} function (seed ${SEED})`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 1, max: 2 ** 31 - 1 }), stepsArb, (memSeed, steps) => runStream(name, memSeed, steps)),
        { numRuns: 400, seed: SEED, verbose: 1 },
      );
    });
  }
  it('exercised every row of the table and successful blocks', () => {
    const rows = new Set([...coverage.keys()].map((k) => Number(k.split(':')[1])));
    if (process.env.ZPCI_COVERAGE) console.log([...coverage.entries()].sort().map(([k, n]) => `${k}=${n}`).join(' '));
    for (const row of [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0x10, 0x11, 0x12]) expect(rows, `row ${row}`).toContain(row);
    expect(coverage.get('STB:0:cc0') ?? 0).toBeGreaterThan(500);
    expect(coverage.get('LG:0:cc0') ?? 0).toBeGreaterThan(200);
    if (process.env.ZPCI_COVERAGE) console.log([...coverage.entries()].sort().map(([k, n]) => `${k}=${n}`).join('\n'));
  });
});
