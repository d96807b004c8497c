import fc from 'fast-check';
import { Simulator } from '../../rtl/hdl/simulator.ts';
import { VcdWriter } from '../../rtl/hdl/vcd-writer.ts';
import { isMio } from '../../rtl/zpci/codes.ts';
import { ScratchMachine } from '../host/zpci-machine.ts';
import { errnoName } from '../linux/errno.ts';
import type { VfioIsmFirmwareFactory } from '../vfio/firmware.ts';
import type { PlantedFault } from '../vfio/ism-vfio-pci.ts';
import { regionOffset } from '../vfio/regions.ts';
import { VfioDevice, VfioError } from '../vfio/vfio-device.ts';
import { InstructionMonitor, type ObservedInstruction } from './instruction-monitor.ts';
import { expectedAccess, expectedRegionInfo, type VfioFunctionModel } from './vfio-ism-reference.ts';

/**
 * Model-based property fuzzing of the vfio-ism I/O paths: random sequences of pread, pwrite
 * and region-info calls (fc.commands) on a RAM-backed function with a random maxstbl, checked
 * against the reference (return value and errno, bytes read, device bytes written, nothing
 * changed by a failed call) and against hardware legality of every instruction issued.
 */

const TWO_48 = 1n << 48n;

/** Where a generated position points: absolute, or relative to the BAR end or to 2^48. */
interface PositionSpec {
  readonly base: 'abs' | 'end' | 'top';
  readonly value: number;
}

export interface FuzzCase {
  readonly maxstbl: number;
  readonly bar4Size: bigint;
}

interface Model {
  readonly f: VfioFunctionModel;
  /** Device bytes written so far, keyed `${space}:${position}`. */
  readonly bytes: Map<string, number>;
}

interface Real {
  readonly dev: VfioDevice;
  readonly machine: ScratchMachine;
  readonly monitor: InstructionMonitor;
  readonly counters: FuzzCounters;
}

export interface FuzzCounters {
  operations: number;
  instructions: number;
  cycles: number;
  byKind: Record<string, Record<string, number>>;
}

function resolve(f: VfioFunctionModel, index: number, spec: PositionSpec): bigint {
  if (spec.base === 'abs') return regionOffset(index) + BigInt(spec.value);
  const size = index === 7 ? BigInt(f.cfgSize) : index <= 5 ? f.barSizes[index] : 0n;
  const anchor = spec.base === 'end' ? size : TWO_48;
  const pos = anchor - BigInt(spec.value);
  return regionOffset(index) + (pos < 0n ? 0n : pos);
}

function initialByte(space: number, position: bigint): number {
  if (space !== 15 || position > 3n) return 0;
  return [0x14, 0x10, 0xed, 0x04][Number(position)];
}

function modelBytes(model: Model, space: number, position: bigint, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const p = position + BigInt(i);
    out.push(model.bytes.get(`${space}:${p}`) ?? initialByte(space, p));
  }
  return out;
}

function pattern(n: number, seed: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (seed * 131 + i * 7 + (i >> 8)) & 0xff);
}

/** Every instruction the hardware saw must be one the driver may legally issue. */
function checkLegal(seen: readonly ObservedInstruction[], f: VfioFunctionModel, fh: number): void {
  for (const i of seen) {
    const where = `${i.kind} len ${i.len} at 0x${i.offset.toString(16)} (cycle ${i.cycle})`;
    if (isMio(i.op)) throw new Error(`illegal: MIO form issued: ${where}`);
    if (i.fh !== fh) throw new Error(`illegal: stale handle 0x${i.fh.toString(16)} (current 0x${fh.toString(16)}): ${where}`);
    if (i.pic !== undefined) throw new Error(`program exception 0x${i.pic.toString(16)}: ${where}`);
    if (i.cc !== undefined && i.cc !== 0 && i.cc !== 2) throw new Error(`cc ${i.cc} status ${i.status}: ${where}`);
    if (i.kind === 'PCILG') {
      if (![1, 2, 4, 8].includes(i.len)) throw new Error(`illegal PCILG length: ${where}`);
      if (Number(i.offset % 8n) + i.len > 8) throw new Error(`illegal: PCILG crosses a doubleword: ${where}`);
    } else if (i.kind === 'PCISTB') {
      if (i.len < 1 || i.len > f.maxstbl) throw new Error(`illegal: PCISTB longer than maxstbl ${f.maxstbl}: ${where}`);
      if (Number(i.offset % 4096n) + i.len > 4096) throw new Error(`illegal: PCISTB crosses 4 KiB on the PCI side: ${where}`);
      if (Number(i.gaddr % 4096n) + i.len > 4096) throw new Error(`illegal: PCISTB source crosses 4 KiB in storage: ${where}`);
    }
  }
}

function account(real: Real): void {
  const seen = real.monitor.seen;
  real.counters.instructions += seen.length;
  for (const i of seen) {
    const k = (real.counters.byKind[i.kind] ??= {});
    const outcome = i.pic !== undefined ? `pic${i.pic.toString(16)}` : `cc${i.cc ?? '?'}`;
    k[outcome] = (k[outcome] ?? 0) + 1;
  }
  real.monitor.clear();
}

async function errnoOr<T>(p: Promise<T>): Promise<T | number> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof VfioError) return -e.errno;
    throw e;
  }
}

function describeRet(ret: number): string {
  return ret < 0 ? `-${errnoName(-ret)}` : String(ret);
}

class ReadCommand implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly index: number,
    readonly at: PositionSpec,
    readonly count: number,
  ) {}
  check(): boolean {
    return true;
  }
  async run(model: Model, real: Real): Promise<void> {
    const offset = resolve(model.f, this.index, this.at);
    const expected = expectedAccess(model.f, offset, this.count, false);
    const writesBefore = real.machine.hw.dev!.writeCount;
    const got = await errnoOr(real.dev.pread(this.count, offset));
    real.counters.operations++;
    const ret = typeof got === 'number' ? got : got.length;
    if (ret !== expected.ret) throw new Error(`pread(${this.count} @ 0x${offset.toString(16)}) returned ${describeRet(ret)}, expected ${describeRet(expected.ret)}`);
    if (typeof got !== 'number' && expected.space !== undefined) {
      const want = modelBytes(model, expected.space, expected.position!, ret);
      const diff = want.findIndex((b, i) => b !== got[i]);
      if (diff >= 0) throw new Error(`pread(${this.count} @ 0x${offset.toString(16)}): byte ${diff} is 0x${got[diff].toString(16)}, device holds 0x${want[diff].toString(16)}`);
    }
    if (real.machine.hw.dev!.writeCount !== writesBefore) throw new Error('a read changed device contents');
    checkLegal(real.monitor.seen, model.f, real.machine.zdev.fh);
    account(real);
  }
  toString(): string {
    return `pread(region ${this.index}, ${this.at.base}${this.at.base === 'abs' ? '+' : '-'}${this.at.value}, ${this.count})`;
  }
}

class WriteCommand implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly index: number,
    readonly at: PositionSpec,
    readonly count: number,
    readonly fill: number,
  ) {}
  check(): boolean {
    return true;
  }
  async run(model: Model, real: Real): Promise<void> {
    const offset = resolve(model.f, this.index, this.at);
    const data = pattern(this.count, this.fill);
    const expected = expectedAccess(model.f, offset, this.count, true);
    const scratch = real.machine.hw.dev!;
    const writesBefore = scratch.writeCount;
    const got = await errnoOr(real.dev.pwrite(data, offset));
    real.counters.operations++;
    if (got !== expected.ret) throw new Error(`pwrite(${this.count} @ 0x${offset.toString(16)}) returned ${describeRet(got)}, expected ${describeRet(expected.ret)}`);
    if (expected.ret > 0) {
      for (let i = 0; i < expected.ret; i++) model.bytes.set(`${expected.space}:${expected.position! + BigInt(i)}`, data[i]);
      const back = scratch.load(expected.space!, expected.position!, expected.ret);
      const diff = back.findIndex((b, i) => b !== data[i]);
      if (diff >= 0) throw new Error(`pwrite(${this.count} @ 0x${offset.toString(16)}): device byte ${diff} is 0x${back[diff].toString(16)}, wrote 0x${data[diff].toString(16)}`);
    } else if (scratch.writeCount !== writesBefore) {
      throw new Error(`pwrite(${this.count} @ 0x${offset.toString(16)}) failed with ${describeRet(got)} but changed device contents`);
    }
    checkLegal(real.monitor.seen, model.f, real.machine.zdev.fh);
    account(real);
  }
  toString(): string {
    return `pwrite(region ${this.index}, ${this.at.base}${this.at.base === 'abs' ? '+' : '-'}${this.at.value}, ${this.count})`;
  }
}

class RegionInfoCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly index: number) {}
  check(): boolean {
    return true;
  }
  async run(model: Model, real: Real): Promise<void> {
    const expected = expectedRegionInfo(model.f, this.index);
    let got: { ret: number; info?: unknown };
    try {
      got = { ret: 0, info: real.dev.regionInfo(this.index) };
    } catch (e) {
      if (!(e instanceof VfioError)) throw e;
      got = { ret: -e.errno };
    }
    real.counters.operations++;
    if (got.ret !== expected.ret) throw new Error(`region info ${this.index}: ${describeRet(got.ret)}, expected ${describeRet(expected.ret)}`);
    if (got.ret === 0 && JSON.stringify(got.info, (_, v) => (typeof v === 'bigint' ? v.toString() : v)) !== JSON.stringify(expected.info, (_, v) => (typeof v === 'bigint' ? v.toString() : v))) {
      throw new Error(`region info ${this.index} differs from the reference`);
    }
  }
  toString(): string {
    return `regionInfo(${this.index})`;
  }
}

/** The device answers BUSY to the next few accesses: the driver must retry, invisibly to the user. */
class BusyCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly times: number) {}
  check(): boolean {
    return true;
  }
  async run(_model: Model, real: Real): Promise<void> {
    real.machine.hw.dev!.busyNext = this.times;
  }
  toString(): string {
    return `deviceBusy(${this.times})`;
  }
}

const regionIndex = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(0, 2, 7) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 12 }) },
);
const position: fc.Arbitrary<PositionSpec> = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 0x2100 }).map((value) => ({ base: 'abs' as const, value })) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(fc.integer({ min: 0, max: 40 }), fc.integer({ min: -24, max: 24 }))
      .map(([page, delta]) => ({ base: 'abs' as const, value: Math.max(0, page * 4096 + delta) })),
  },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 40 }).map((value) => ({ base: 'end' as const, value })) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 40 }).map((value) => ({ base: 'top' as const, value })) },
);
function countArb(maxstbl: number): fc.Arbitrary<number> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: 0, max: 24 }) },
    { weight: 3, arbitrary: fc.integer({ min: 1, max: 300 }) },
    { weight: 2, arbitrary: fc.integer({ min: Math.max(0, maxstbl - 8), max: maxstbl + 8 }) },
    { weight: 1, arbitrary: fc.integer({ min: 4088, max: 4104 }) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 8300 }) },
  );
}

const fuzzCase: fc.Arbitrary<FuzzCase> = fc.record({
  maxstbl: fc.constantFrom(8, 64, 128, 256, 1000, 2048, 4096, 8191),
  bar4Size: fc.constantFrom(0n, 4096n, 1n << 16n),
});

function commandsFor(maxstbl: number, size: number): fc.Arbitrary<Iterable<fc.AsyncCommand<Model, Real>>> {
  // Reads are capped lower than writes: each byte of a long read is one more PCILG.
  const readCount = countArb(maxstbl).map((n) => (n > 600 ? n % 600 : n));
  return fc.commands(
    [
      fc.tuple(regionIndex, position, readCount).map(([i, p, n]) => new ReadCommand(i, p, n)),
      fc.tuple(regionIndex, position, countArb(maxstbl), fc.integer({ min: 0, max: 255 })).map(([i, p, n, s]) => new WriteCommand(i, p, n, s)),
      fc.integer({ min: 0, max: 12 }).map((i) => new RegionInfoCommand(i)),
      fc.integer({ min: 1, max: 3 }).map((n) => new BusyCommand(n)),
    ],
    { size: size <= 10 ? 'small' : 'medium', maxCommands: size },
  );
}

export interface FuzzOptions {
  readonly seed: number;
  /** Property runs (each a fresh system and a command sequence). */
  readonly runs?: number;
  /** Stop after this many seconds instead (runs becomes unlimited). */
  readonly seconds?: number;
  /** Commands per run at most. */
  readonly commandsPerRun?: number;
  /** Test-only: a fault planted in the driver. */
  readonly plantedFault?: PlantedFault;
  /** The driver under test (default: the process default, normally the TypeScript port). */
  readonly firmware?: VfioIsmFirmwareFactory;
  /** Where a counterexample's waveform goes (default waves/). */
  readonly wavesDir?: string;
  readonly onRun?: (runsDone: number, counters: FuzzCounters) => void;
}

export interface FuzzReport {
  readonly seed: number;
  readonly runs: number;
  readonly counters: FuzzCounters;
  readonly wallMs: number;
  readonly failed: boolean;
  /** fast-check's replay path of the shrunk counterexample. */
  readonly path?: string;
  readonly error?: string;
  readonly counterexample?: string;
  readonly vcdPath?: string;
}

/** One property run: a fresh machine, the command sequence, optionally traced. */
async function runCase(c: FuzzCase, cmds: Iterable<fc.AsyncCommand<Model, Real>>, counters: FuzzCounters, options: FuzzOptions, vcdPath?: string): Promise<void> {
  const sim = new Simulator();
  const machine = new ScratchMachine(sim, {
    config: { maxstbl: c.maxstbl, barSizes: [TWO_48, 0n, 1n << 13n, 0n, c.bar4Size, 0n] },
    scratch: { readyPattern: [true, true, false] },
  });
  const monitor = new InstructionMonitor(sim, machine.hw.cpuPort);
  if (vcdPath) VcdWriter.toFile(sim, vcdPath, { comment: `vfio-ism fuzz counterexample seed ${options.seed}` });
  const f: VfioFunctionModel = { maxstbl: c.maxstbl, barSizes: machine.hw.pfu.config.barSizes, cfgSize: machine.hw.pfu.config.configSize };
  let failure: unknown;
  sim.process('fuzz', async () => {
    const dev = VfioDevice.open(machine.zdev, { plantedFault: options.plantedFault, firmware: options.firmware });
    try {
      await fc.asyncModelRun(() => ({ model: { f, bytes: new Map() }, real: { dev, machine, monitor, counters } }), cmds);
    } catch (e) {
      failure = e;
    }
  });
  try {
    await sim.run({ maxCycles: 20_000_000 });
  } finally {
    counters.cycles += sim.cycle;
    sim.dispose();
  }
  if (failure) throw failure;
}

/** Run the property; on failure replay the shrunk counterexample with a waveform. */
export async function runVfioFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const counters: FuzzCounters = { operations: 0, instructions: 0, cycles: 0, byKind: {} };
  let runsDone = 0;
  const size = options.commandsPerRun ?? 24;
  const property = fc.asyncProperty(
    fuzzCase.chain((c) => fc.tuple(fc.constant(c), commandsFor(c.maxstbl, size))),
    async ([c, cmds]) => {
      await runCase(c, cmds, counters, options);
      runsDone++;
      options.onRun?.(runsDone, counters);
    },
  );
  const started = performance.now();
  const timed = options.seconds !== undefined;
  const details = await fc.check(property, {
    seed: options.seed,
    numRuns: timed ? Number.MAX_SAFE_INTEGER : (options.runs ?? 100),
    interruptAfterTimeLimit: timed ? options.seconds! * 1000 : undefined,
    markInterruptAsFailure: false,
  });
  const wallMs = performance.now() - started;
  if (!details.failed || details.counterexample === null) {
    return { seed: options.seed, runs: runsDone, counters, wallMs, failed: false };
  }
  const [c, cmds] = details.counterexample[0];
  const vcdPath = `${options.wavesDir ?? 'waves'}/counterexample-${options.seed}.vcd`;
  let replayError: unknown;
  try {
    await runCase(c, cmds, { operations: 0, instructions: 0, cycles: 0, byKind: {} }, options, vcdPath);
  } catch (e) {
    replayError = e;
  }
  const error = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
  return {
    seed: options.seed,
    runs: runsDone,
    counters,
    wallMs,
    failed: true,
    path: details.counterexamplePath ?? undefined,
    error: replayError instanceof Error ? replayError.message : error,
    counterexample: `maxstbl ${c.maxstbl}, BAR4 ${c.bar4Size} bytes: ${[...cmds].map(String).join('; ')}`,
    vcdPath,
  };
}

/** The lines a person needs to reproduce a failure. */
export function describeFailure(r: FuzzReport): string {
  return [
    `property failed: ${r.error}`,
    `  seed ${r.seed}, path ${r.path} (replay: ism-sim fuzz --seed ${r.seed} --runs <same runs>)`,
    `  counterexample: ${r.counterexample}`,
    `  waveform of the counterexample: ${r.vcdPath}`,
  ].join('\n');
}
