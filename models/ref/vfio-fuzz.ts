import fc from 'fast-check';
import { Simulator } from '../../rtl/hdl/simulator.ts';
import { VcdWriter } from '../../rtl/hdl/vcd-writer.ts';
import { FunctionState } from '../../rtl/zpci/codes.ts';
import { ScratchMachine } from '../host/zpci-machine.ts';
import { ccOutcome, picOutcome } from '../host/cpu.ts';
import { Errno, errnoName } from '../linux/errno.ts';
import type { VfioIsmFirmwareFactory } from '../vfio/firmware.ts';
import type { PlantedFault } from '../vfio/ism-vfio-pci.ts';
import { regionOffset, type RegionInfo } from '../vfio/regions.ts';
import { VfioDevice, VfioError } from '../vfio/vfio-device.ts';
import { DeviceBytes } from './device-bytes.ts';
import { FuzzCoverage, type CoverageTable } from './fuzz-coverage.ts';
import { DEVICE_ERROR_STATUSES, InstructionFaultInjector, describeFault, faultAnswer, type InjectedFault } from './instruction-fault-injector.ts';
import { InstructionMonitor } from './instruction-monitor.ts';
import { RuleBroken, checkLegality, checkNothingAfterFailure, checkSequence, foldBusyRetries } from './vfio-call-rules.ts';
import {
  attemptedWithBadBuffer,
  expectedAccess,
  expectedFailure,
  expectedInstructions,
  expectedRegionInfo,
  type ExpectedInstruction,
  type FailedAnswer,
  type VfioFunctionModel,
} from './vfio-ism-reference.ts';

/**
 * Model-based property fuzzing of the vfio-ism I/O paths: random sequences of pread, pwrite and
 * region-info calls (fc.commands) on a RAM-backed function with a random maxstbl, with faults
 * injected at random instructions of a call (device error with each status, the function going
 * into the error state or away, program checks) and device BUSY. Each call is checked against
 * the reference: the instructions issued (legality, sequence, the failing one's answer), then
 * the return value and errno, the user's buffer and the device's bytes.
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

/** A fault planned for the next read or write: its `at`-th instruction (busy retries not counted) fails. */
interface ArmedFault {
  readonly at: number;
  readonly fault: InjectedFault;
}

interface Model {
  readonly f: VfioFunctionModel;
  /** The device's bytes as the reference expects them. */
  readonly bytes: DeviceBytes;
  /** The function's state as the reference sees it: 'error' after an error-state fault until recovered. */
  state: 'ok' | 'error';
  armed: ArmedFault | undefined;
}

interface Real {
  readonly target: VfioDevice;
  readonly machine: ScratchMachine;
  readonly monitor: InstructionMonitor;
  readonly injector: InstructionFaultInjector;
  readonly counters: FuzzCounters;
  readonly coverage: FuzzCoverage;
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

function modelBytes(model: Model, space: number, position: bigint, n: number): number[] {
  const out: number[] = [];
  const first = Number(position);
  for (let i = 0; i < n; i++) out.push(model.bytes.get(space, first + i));
  return out;
}

function pattern(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (seed * 131 + i * 7 + (i >> 8)) & 0xff;
  return out;
}

/** What a user buffer holds before a read: never what the device or a stale register would give. */
function poison(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = 0x80 | ((seed * 29 + i * 13) & 0x7f);
  return out;
}

function account(real: Real): void {
  const seen = real.monitor.seen;
  real.counters.instructions += seen.length;
  for (const i of seen) {
    const k = (real.counters.byKind[i.kind] ??= {});
    const outcome = i.pic !== undefined ? picOutcome(i.pic) : i.cc === undefined ? 'cc?' : ccOutcome(i.cc, i.status!);
    k[outcome] = (k[outcome] ?? 0) + 1;
  }
  real.monitor.clear();
}

function describeRet(ret: number): string {
  return ret < 0 ? `-${errnoName(-ret)}` : String(ret);
}

function describeAt(index: number, at: PositionSpec): string {
  return `region ${index}, ${at.base}${at.base === 'abs' ? '+' : '-'}${at.value}`;
}

/** The call's failing step per the reference: the function's error state, or an armed fault that applies. */
function failingStep(model: Model, instructions: readonly ExpectedInstruction[], plan: ArmedFault | undefined): { at: number; answer: FailedAnswer } | undefined {
  if (instructions.length === 0) return undefined;
  if (model.state === 'error') return { at: 0, answer: faultAnswer({ kind: 'error-state' }, instructions[0].kind)! };
  if (!plan || plan.at >= instructions.length) return undefined;
  const answer = faultAnswer(plan.fault, instructions[plan.at].kind);
  return answer && { at: plan.at, answer };
}

/**
 * One checked read or write: arm the planned fault, make the call, then check the rules in
 * order (legality of every instruction, busy retries, the expected instruction sequence and the
 * failing instruction's answer) before the return value, the user's buffer and the device.
 */
interface CallSpec {
  readonly index: number;
  readonly at: PositionSpec;
  readonly count: number;
  readonly write?: Uint8Array;
  readonly salt: number;
  /** The user's buffer is not mapped (copy_to_user / copy_from_user fail). */
  readonly badBuffer: boolean;
}

/** What the reference expects of a call, worked out before it is made. */
interface CallExpectation {
  readonly name: string;
  readonly offset: bigint;
  readonly plan: ArmedFault | undefined;
  readonly access: ReturnType<typeof expectedAccess>;
  readonly instructions: readonly ExpectedInstruction[];
  readonly faulted: boolean;
  readonly failure: { at: number; answer: FailedAnswer } | undefined;
  readonly expected: { ret: number; instructions: readonly ExpectedInstruction[]; completed: number };
}

function expectCall(model: Model, call: CallSpec): CallExpectation {
  const { f } = model;
  const isWrite = call.write !== undefined;
  const offset = resolve(f, call.index, call.at);
  const name = `${isWrite ? 'pwrite' : 'pread'}(${call.count} @ 0x${offset.toString(16)}${call.badBuffer ? ', unmapped buffer' : ''})`;
  const plan = model.armed;
  model.armed = undefined;
  const access = expectedAccess(f, offset, call.count, isWrite);
  const all = expectedInstructions(f, offset, call.count, isWrite);
  const faulted = call.badBuffer && all.length > 0;
  const instructions = faulted ? attemptedWithBadBuffer(all, isWrite) : all;
  const failure = failingStep(model, instructions, plan);
  const expected = failure
    ? expectedFailure(instructions, failure.at, failure.answer)
    : faulted
      ? { ret: -Errno.EFAULT, instructions, completed: 0 }
      : { ret: access.ret, instructions, completed: Math.max(access.ret, 0) };
  return { name, offset, plan, access, instructions, faulted, failure, expected };
}

/**
 * The call itself stays a small async function; the expectation and the checks are plain
 * functions, so the optimising compiler (which every fuzz worker thread runs again) compiles and
 * recompiles small pieces instead of one large async body.
 */
async function checkedCall(model: Model, real: Real, call: CallSpec): Promise<void> {
  const e = expectCall(model, call);
  const { user } = real.target;
  const before = call.write ?? poison(call.count, call.salt);
  const buf = call.badBuffer ? user.base + user.size : user.allocate(call.count);
  if (!call.badBuffer) user.copyTo(buf, before);
  const writesBefore = real.machine.hw.dev!.writeCount;
  const fh = real.machine.zdev.fh;
  if (e.plan && model.state === 'ok') real.injector.arm(e.plan.at, e.plan.fault);
  const ret = call.write !== undefined ? await real.target.pwriteRaw(buf, call.count, e.offset) : await real.target.preadRaw(buf, call.count, e.offset);
  real.injector.disarm();
  checkCall(model, real, call, e, ret, fh);
  if (call.write === undefined && !call.badBuffer) checkUserBuffer(e, call, before, user.copyFrom(buf, call.count) as Uint8Array, model);
  checkDevice(model, real, call, e, ret, writesBefore);
  account(real);
  await settleFault(model, real, e.plan, e.failure);
}

/** Count the call, then the rules on its instructions and its return value. */
function checkCall(model: Model, real: Real, call: CallSpec, e: CallExpectation, ret: number, fh: number): void {
  const { f } = model;
  const { name, failure, expected } = e;
  real.counters.operations++;
  real.coverage.callShape(f, e.offset, call.count);
  real.coverage.fault(e.plan?.fault, e.plan?.at ?? 0, e.instructions.length, model.state === 'error', call.write === undefined, failure !== undefined);
  checkNothingAfterFailure(real.monitor.seen, failure, name);
  checkLegality(real.monitor.seen, f.maxstbl, fh, name);
  const seen = foldBusyRetries(real.monitor.seen, name);
  checkSequence(seen, expected.instructions, failure, name);
  if (ret !== expected.ret) throw new RuleBroken('return value of the reference', name, `returned ${describeRet(ret)}, expected ${describeRet(expected.ret)}`);
  real.coverage.errnoPath(f, e.offset, call.count, call.write !== undefined, ret, failure?.answer, e.faulted && !failure);
}

/** A read's user buffer: the device's bytes up to the return value, untouched past it. */
function checkUserBuffer(e: CallExpectation, call: CallSpec, before: Uint8Array, after: Uint8Array, model: Model): void {
  const { name, failure, expected, access } = e;
  const want = access.space === undefined ? [] : modelBytes(model, access.space, access.position!, expected.completed);
  for (let i = 0; i < call.count; i++) {
    if (i < expected.completed && after[i] !== want[i]) {
      throw new RuleBroken('bytes read are the device\'s', name, `byte ${i} is 0x${after[i].toString(16)}, device holds 0x${want[i].toString(16)}`);
    }
    if (i >= expected.completed && after[i] !== before[i]) {
      const rule = failure ? 'a failed load copies nothing to the user' : 'bytes past the return value are untouched';
      throw new RuleBroken(rule, name, `user byte ${i} changed from 0x${before[i].toString(16)} to 0x${after[i].toString(16)} (${expected.completed} bytes completed)`);
    }
  }
}

/** The device's bytes: a read or a failed write changes none, a write leaves what it wrote. */
function checkDevice(model: Model, real: Real, call: CallSpec, e: CallExpectation, ret: number, writesBefore: number): void {
  const { name, failure, expected, access, plan } = e;
  const scratch = real.machine.hw.dev!;
  const space = access.space;
  if (call.write === undefined) {
    if (scratch.writeCount !== writesBefore) throw new RuleBroken('a read changes no device contents', name, `${scratch.writeCount - writesBefore} device writes`);
  } else if (failure && plan?.fault.kind === 'unavailable') {
    // The function was taken away mid-call: its reset dropped whatever the completed steps wrote.
  } else if (space !== undefined && expected.completed > 0) {
    const written = call.write;
    const first = Number(access.position!);
    for (let i = 0; i < expected.completed; i++) model.bytes.set(space, first + i, written[i]);
    const back = scratch.load(space, access.position!, expected.completed);
    const diff = back.findIndex((b, i) => b !== written[i]);
    if (diff >= 0) throw new RuleBroken('the device holds the bytes written', name, `device byte ${diff} is 0x${back[diff].toString(16)}, wrote 0x${written[diff].toString(16)}`);
  } else if (scratch.writeCount !== writesBefore) {
    throw new RuleBroken('a failed write changes nothing', name, `failed with ${describeRet(ret)} but the device saw ${scratch.writeCount - writesBefore} writes`);
  }
}

/** After a call: the error state stays until recovered; a function taken away comes back with a new handle and a reset device. */
async function settleFault(model: Model, real: Real, plan: ArmedFault | undefined, failure: { at: number } | undefined): Promise<void> {
  if (!plan || !failure || model.state !== 'ok') return;
  if (plan.fault.kind === 'error-state') model.state = 'error';
  if (plan.fault.kind === 'unavailable') {
    const pfu = real.machine.hw.pfu;
    if (pfu.currentState === FunctionState.DISABLED) pfu.enable();
    await real.machine.sim.tick(4);
    model.bytes.clear();
  }
}

class ReadCommand implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly index: number,
    readonly at: PositionSpec,
    readonly count: number,
    readonly salt: number,
    readonly badBuffer: boolean,
  ) {}
  check(): boolean {
    return true;
  }
  run(model: Model, real: Real): Promise<void> {
    return checkedCall(model, real, { index: this.index, at: this.at, count: this.count, salt: this.salt, badBuffer: this.badBuffer });
  }
  toString(): string {
    return `pread(${describeAt(this.index, this.at)}, ${this.count}${this.badBuffer ? ', unmapped buffer' : ''})`;
  }
}

class WriteCommand implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly index: number,
    readonly at: PositionSpec,
    readonly count: number,
    readonly fill: number,
    readonly badBuffer: boolean,
  ) {}
  check(): boolean {
    return true;
  }
  run(model: Model, real: Real): Promise<void> {
    return checkedCall(model, real, { index: this.index, at: this.at, count: this.count, write: pattern(this.count, this.fill), salt: this.fill, badBuffer: this.badBuffer });
  }
  toString(): string {
    return `pwrite(${describeAt(this.index, this.at)}, ${this.count}${this.badBuffer ? ', unmapped buffer' : ''})`;
  }
}

class RegionInfoCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly index: number) {}
  check(): boolean {
    return true;
  }
  async run(model: Model, real: Real): Promise<void> {
    const expected = expectedRegionInfo(model.f, this.index);
    const name = `regionInfo(${this.index})`;
    let got: { ret: number; info?: RegionInfo };
    try {
      got = { ret: 0, info: real.target.regionInfo(this.index) };
    } catch (e) {
      if (!(e instanceof VfioError)) throw e;
      got = { ret: -e.errno };
    }
    real.counters.operations++;
    real.coverage.regionInfo(got.ret);
    if (got.ret !== expected.ret) throw new RuleBroken('return value of the reference', name, `${describeRet(got.ret)}, expected ${describeRet(expected.ret)}`);
    const text = (v: unknown): string => JSON.stringify(v, (_, x) => (typeof x === 'bigint' ? x.toString() : x));
    if (got.ret === 0 && text(got.info) !== text(expected.info)) throw new RuleBroken('region info of the reference', name, `${text(got.info)}, expected ${text(expected.info)}`);
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

/** The next read or write meets a fault at its `at`-th instruction (nothing happens if it issues fewer). */
class FaultCommand implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly at: number,
    readonly fault: InjectedFault,
  ) {}
  check(): boolean {
    return true;
  }
  async run(model: Model): Promise<void> {
    model.armed = { at: this.at, fault: this.fault };
  }
  toString(): string {
    return `fault(instruction ${this.at} of the next call: ${describeFault(this.fault)})`;
  }
}

/** The service element recovers a function in the error state (MPCIFC reset-error). */
class RecoverCommand implements fc.AsyncCommand<Model, Real> {
  check(): boolean {
    return true;
  }
  async run(model: Model, real: Real): Promise<void> {
    real.machine.hw.pfu.resetError();
    await real.machine.sim.tick();
    model.state = 'ok';
  }
  toString(): string {
    return 'recoverFunction()';
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

// Each status of a device error about as often as each other fault (fc.constantFrom leans towards its first value).
const injectedFault: fc.Arbitrary<InjectedFault> = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 0, max: DEVICE_ERROR_STATUSES.length - 1 }).map((i) => ({ kind: 'device-error' as const, status: DEVICE_ERROR_STATUSES[i] })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'error-state' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'unavailable' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'program-check' as const, via: 'problem-state' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'program-check' as const, via: 'odd-r2' as const }) },
);
/** Now and then a call's user buffer is not mapped. */
const unmapped = fc.oneof({ weight: 15, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) });

/** Mostly the first few instructions of a call, sometimes deep inside a long read. */
const faultPoint = fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 3 }) }, { weight: 1, arbitrary: fc.integer({ min: 4, max: 80 }) });

export const MAXSTBL_CLASSES = [8, 64, 128, 256, 1000, 2048, 4096, 8191] as const;

const fuzzCase: fc.Arbitrary<FuzzCase> = fc.record({
  maxstbl: fc.constantFrom(...MAXSTBL_CLASSES),
  bar4Size: fc.constantFrom(0n, 4096n, 1n << 16n),
});

/**
 * A run's calls: a plain array rather than fc.commands, whose shrinking depends on which commands
 * ran, so that a seed and a path alone replay a counterexample exactly.
 */
function commandsFor(maxstbl: number, size: number): fc.Arbitrary<fc.AsyncCommand<Model, Real>[]> {
  // Reads are capped lower than writes: each byte of a long read is one more PCILG.
  const readCount = countArb(maxstbl).map((n) => (n > 600 ? n % 600 : n));
  const command = fc.oneof(
    { weight: 4, arbitrary: fc.tuple(regionIndex, position, readCount, fc.integer({ min: 0, max: 255 }), unmapped).map(([i, p, n, s, b]): fc.AsyncCommand<Model, Real> => new ReadCommand(i, p, n, s, b)) },
    { weight: 4, arbitrary: fc.tuple(regionIndex, position, countArb(maxstbl), fc.integer({ min: 0, max: 255 }), unmapped).map(([i, p, n, s, b]): fc.AsyncCommand<Model, Real> => new WriteCommand(i, p, n, s, b)) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 12 }).map((i): fc.AsyncCommand<Model, Real> => new RegionInfoCommand(i)) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 3 }).map((n): fc.AsyncCommand<Model, Real> => new BusyCommand(n)) },
    { weight: 3, arbitrary: fc.tuple(faultPoint, injectedFault).map(([at, f]): fc.AsyncCommand<Model, Real> => new FaultCommand(at, f)) },
    { weight: 1, arbitrary: fc.constant<fc.AsyncCommand<Model, Real>>(new RecoverCommand()) },
  );
  return fc.array(command, { maxLength: size, size: size <= 10 ? 'small' : 'medium' });
}

export interface FuzzOptions {
  readonly seed: number;
  /** Generated property runs (each a fresh system and a command sequence); shrinking runs are not counted. */
  readonly runs?: number;
  /** Stop after this many seconds (without `runs`: as many runs as fit). */
  readonly seconds?: number;
  /** Commands per run at most. */
  readonly commandsPerRun?: number;
  /** Replay exactly one counterexample: fast-check's path printed with a failure. */
  readonly replayPath?: string;
  /** Test-only: a fault planted in the driver. */
  readonly plantedFault?: PlantedFault;
  /** The driver under test (default: the process default, normally the TypeScript port). */
  readonly firmware?: VfioIsmFirmwareFactory;
  /** Where a counterexample's waveform goes (default waves/). */
  readonly wavesDir?: string;
  /** Called after every generated run (not after shrinking runs). */
  readonly onRun?: (runsDone: number, counters: FuzzCounters) => void;
}

export interface FuzzFailure {
  /** The broken rule (or the error's message when no rule names it). */
  readonly rule: string;
  readonly message: string;
  /** 1-based index of the generated run that failed first. */
  readonly run: number;
  /** fast-check's replay path of the shrunk counterexample. */
  readonly path: string;
  readonly counterexample: string;
  readonly vcdPath: string;
}

export interface FuzzReport {
  readonly seed: number;
  /** Generated runs executed (a failing run included, shrinking runs not). */
  readonly runs: number;
  readonly counters: FuzzCounters;
  readonly coverage: CoverageTable;
  readonly wallMs: number;
  readonly failure?: FuzzFailure;
}

/** One property run: a fresh machine, the command sequence, optionally traced. */
async function runCase(c: FuzzCase, cmds: Iterable<fc.AsyncCommand<Model, Real>>, counters: FuzzCounters, coverage: FuzzCoverage, options: FuzzOptions, vcdPath?: string): Promise<void> {
  const sim = new Simulator();
  const machine = new ScratchMachine(sim, {
    config: { maxstbl: c.maxstbl, barSizes: [TWO_48, 0n, 1n << 13n, 0n, c.bar4Size, 0n] },
    scratch: { readyPattern: [true, true, false] },
  });
  const monitor = new InstructionMonitor(sim, machine.hw.cpuPort);
  const injector = new InstructionFaultInjector(machine.cpu, machine.hw.pfu, machine.hw.dev!);
  coverage.watch(sim, machine.hw.cpuPort, machine.hw.pfu);
  if (vcdPath) VcdWriter.toFile(sim, vcdPath, { comment: `vfio-ism fuzz counterexample seed ${options.seed}` });
  const f: VfioFunctionModel = { maxstbl: c.maxstbl, barSizes: machine.hw.pfu.config.barSizes, cfgSize: machine.hw.pfu.config.configSize };
  coverage.functionCase(c.maxstbl);
  let failure: unknown;
  sim.process('fuzz', async () => {
    const target = VfioDevice.open(machine.zdev, { plantedFault: options.plantedFault, firmware: options.firmware });
    try {
      await fc.asyncModelRun(() => ({ model: { f, bytes: new DeviceBytes(), state: 'ok' as const, armed: undefined } as Model, real: { target, machine, monitor, injector, counters, coverage } }), cmds);
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

export function emptyCounters(): FuzzCounters {
  return { operations: 0, instructions: 0, cycles: 0, byKind: {} };
}

/** Run the property (or replay one path); on failure replay the shrunk counterexample with a waveform. */
export async function runVfioFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const counters = emptyCounters();
  const coverage = new FuzzCoverage(MAXSTBL_CLASSES);
  // Runs fast-check generates, told apart from shrinking runs: after the first failure every call is a shrink.
  let generated = 0;
  let shrinking = false;
  const size = options.commandsPerRun ?? 24;
  const property = fc.asyncProperty(
    fuzzCase.chain((c) => fc.tuple(fc.constant(c), commandsFor(c.maxstbl, size))),
    async ([c, cmds]) => {
      if (!shrinking) generated++;
      try {
        await runCase(c, cmds, shrinking ? emptyCounters() : counters, shrinking ? new FuzzCoverage(MAXSTBL_CLASSES) : coverage, options);
      } catch (e) {
        shrinking = true;
        throw e;
      }
      if (!shrinking) options.onRun?.(generated, counters);
    },
  );
  const started = performance.now();
  const timed = options.seconds !== undefined && options.replayPath === undefined;
  const details = await fc.check(property, {
    seed: options.seed,
    path: options.replayPath,
    endOnFailure: options.replayPath !== undefined,
    // Timed with a run count too: whichever ends first.
    numRuns: options.runs ?? (timed ? Number.MAX_SAFE_INTEGER : 100),
    interruptAfterTimeLimit: timed ? options.seconds! * 1000 : undefined,
    markInterruptAsFailure: false,
  });
  const wallMs = performance.now() - started;
  const base = { seed: options.seed, runs: generated, counters, coverage: coverage.table(), wallMs };
  if (!details.failed || details.counterexample === null) return base;
  const [c, cmds] = details.counterexample[0];
  const vcdPath = `${options.wavesDir ?? 'waves'}/counterexample-${options.seed}.vcd`;
  let replayError: unknown = details.errorInstance;
  try {
    await runCase(c, cmds, emptyCounters(), new FuzzCoverage(MAXSTBL_CLASSES), options, vcdPath);
  } catch (e) {
    replayError = e;
  }
  const message = replayError instanceof Error ? replayError.message : String(replayError);
  return {
    ...base,
    failure: {
      rule: replayError instanceof RuleBroken ? replayError.rule : message,
      message,
      run: options.replayPath !== undefined ? Number(options.replayPath.split(':')[0]) + 1 : generated,
      path: details.counterexamplePath ?? '',
      counterexample: `maxstbl ${c.maxstbl}, BAR4 ${c.bar4Size} bytes: ${[...cmds].map(String).join('; ')}`,
      vcdPath,
    },
  };
}

/** The command that replays exactly this failure, as printed. */
export function replayCommand(r: FuzzReport): string {
  return `ism-sim fuzz --replay ${r.seed}:${r.failure!.path}`;
}

/** The lines a person needs to reproduce a failure. */
export function describeFailure(r: FuzzReport): string {
  const f = r.failure!;
  return [
    `property failed: ${f.message}`,
    `  broken rule: ${f.rule}`,
    `  first failing run: ${f.run} of seed ${r.seed} (path ${f.path})`,
    `  replay: ${replayCommand(r)}`,
    `  counterexample: ${f.counterexample}`,
    `  waveform of the counterexample: ${f.vcdPath}`,
  ].join('\n');
}
