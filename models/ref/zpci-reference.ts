/**
 * Transaction-level reference model of PCILG / PCISTG / PCISTB (and their MIO forms): a pure
 * function from (function state and configuration, instruction, storage and device contents)
 * to the architectural outcome and the device-side writes it implies. Written from the check
 * table of /work/shared/spec/zpci.md §11 (order of QEMU hw/s390x/s390-pci-inst.c service calls)
 * plus the choices documented in rtl/zpci/README.md; used as the scoreboard of the property tests.
 * Deliberately table-driven, not a copy of the RTL's if-chain.
 */
import {
  CC,
  CheckRow,
  FH_ENABLE,
  FunctionState,
  Op,
  Pic,
  Status,
} from '../../rtl/zpci/codes.ts';
import { MIO_BAR_STRIDE, type FunctionConfig } from '../../rtl/zpci/function-config.ts';

export interface RefFunction {
  readonly config: FunctionConfig;
  /** Current function handle. */
  readonly fh: number;
  readonly state: FunctionState;
}

export interface RefInstruction {
  readonly op: Op;
  readonly fh: number;
  readonly pcias: number;
  /** The request word's length; PCISTB decodes the low 13 bits, PCILG/PCISTG the low 4 (spec §2). */
  readonly len: number;
  /** PCI offset, or the MIO address for the MIO forms. */
  readonly offset: bigint;
  /** PCISTG register (right-aligned). */
  readonly data: bigint;
  /** PCISTB source address. */
  readonly gaddr: bigint;
  readonly problemState: boolean;
  readonly r2Odd: boolean;
}

/** What the device answers when asked (only consulted when the instruction reaches it). */
export type DeviceAnswer = { readonly kind: 'ok' } | { readonly kind: 'busy' } | { readonly kind: 'error'; readonly code: number };

export interface RefEnvironment {
  readonly storage: { readonly size: number; read(address: number, length: number): Uint8Array };
  /** Device contents in address order (BAR or config space 15). */
  readonly device: { read(space: number, offset: bigint, length: number): Uint8Array };
  readonly answer: DeviceAnswer;
}

export type RefOutcome =
  | { readonly kind: 'cc'; readonly cc: number; readonly status: number; readonly data: bigint }
  | { readonly kind: 'exception'; readonly code: number };

export interface RefWrite {
  readonly space: number;
  readonly offset: bigint;
  readonly bytes: Uint8Array;
}

export interface RefResult {
  readonly outcome: RefOutcome;
  readonly writes: readonly RefWrite[];
  /** The table row that decided (codes.ts CheckRow; PASSED when the device was reached). */
  readonly row: number;
}

type Kind = 'load' | 'store' | 'block';

/** Everything the rules look at, derived once. */
interface Facts {
  kind: Kind;
  mio: boolean;
  problemState: boolean;
  r2Odd: boolean;
  fhGiven: number;
  fhCurrent: number;
  state: FunctionState;
  cfg: FunctionConfig;
  /** Resolved address space and offset (MIO: decoded from the address; -1 if no window). */
  space: number;
  offset: bigint;
  len: number;
  gaddr: bigint;
  storageSize: number;
}

interface Rule {
  readonly row: number;
  readonly applies: (f: Facts) => boolean;
  readonly fails: (f: Facts) => boolean;
  readonly outcome: (f: Facts) => RefOutcome;
}

const exception = (code: number) => (): RefOutcome => ({ kind: 'exception', code });
const ccOnly = (cc: number, status = 0) => (): RefOutcome => ({ kind: 'cc', cc, status, data: 0n });
const isBarSpace = (s: number): boolean => s >= 0 && s <= 5;
const single = (f: Facts): boolean => f.kind !== 'block';
const block = (f: Facts): boolean => f.kind === 'block';
const barSize = (f: Facts): bigint => (isBarSpace(f.space) ? f.cfg.barSizes[f.space] : 0n);
const page = (a: bigint): number => Number(a % 4096n);

/** The check table, top to bottom; the first failing applicable rule decides. */
const RULES: readonly Rule[] = [
  { row: CheckRow.PROBLEM_STATE, applies: () => true, fails: (f) => f.problemState, outcome: exception(Pic.PRIVILEGED) },
  { row: CheckRow.R2_ODD, applies: single, fails: (f) => f.r2Odd, outcome: exception(Pic.SPECIFICATION) },
  { row: CheckRow.MIO_UNSUPPORTED, applies: (f) => f.mio, fails: (f) => !f.cfg.mioCapable, outcome: exception(Pic.OPERAND) },
  { row: CheckRow.MIO_NO_FUNCTION, applies: (f) => f.mio, fails: (f) => f.space < 0, outcome: ccOnly(CC.INVALID) },
  { row: CheckRow.FH_NOT_ENABLED, applies: (f) => f.mio, fails: (f) => f.state === FunctionState.DISABLED, outcome: ccOnly(CC.INVALID) },
  { row: CheckRow.FH_NOT_ENABLED, applies: (f) => !f.mio, fails: (f) => (f.fhGiven & FH_ENABLE) === 0, outcome: ccOnly(CC.INVALID) },
  { row: CheckRow.FH_MISMATCH, applies: (f) => !f.mio, fails: (f) => f.fhGiven !== f.fhCurrent, outcome: ccOnly(CC.INVALID) },
  {
    row: CheckRow.FUNC_ERROR,
    applies: () => true,
    fails: (f) => f.state === FunctionState.ERROR || f.state === FunctionState.PERMANENT_ERROR,
    outcome: ccOnly(CC.ERROR, Status.BLOCKED),
  },
  {
    row: CheckRow.BAD_AS,
    applies: () => true,
    fails: (f) => !(isBarSpace(f.space) || (f.kind !== 'block' && f.space === 15)),
    outcome: ccOnly(CC.ERROR, Status.INVAL_AS),
  },
  {
    row: CheckRow.BAR_LEN,
    applies: (f) => single(f) && isBarSpace(f.space),
    fails: (f) => f.len < 1 || f.len > 8 - Number(f.offset % 8n),
    outcome: exception(Pic.OPERAND),
  },
  {
    row: CheckRow.DEVICE_REGION,
    applies: (f) => single(f) && isBarSpace(f.space),
    fails: (f) => f.offset + BigInt(f.len) > barSize(f),
    outcome: exception(Pic.OPERAND),
  },
  {
    row: CheckRow.CFG_LEN,
    applies: (f) => single(f) && f.space === 15,
    fails: (f) => ![1, 2, 4].includes(f.len) || Number(f.offset % 4n) + f.len > 4,
    outcome: exception(Pic.OPERAND),
  },
  {
    row: CheckRow.CFG_OUT_OF_RANGE,
    applies: (f) => single(f) && f.space === 15,
    fails: (f) => f.offset >= BigInt(f.cfg.configSize),
    outcome: (f) => ({ kind: 'cc', cc: CC.OK, status: 0, data: f.kind === 'load' ? (1n << BigInt(8 * f.len)) - 1n : 0n }),
  },
  {
    row: CheckRow.STB_OFFSET_ALIGN,
    applies: (f) => block(f) && !f.cfg.relaxedAlignment,
    fails: (f) => f.offset % 8n !== 0n,
    outcome: exception(Pic.SPECIFICATION),
  },
  {
    row: CheckRow.STB_LENGTH,
    applies: block,
    fails: (f) =>
      f.cfg.relaxedAlignment ? f.len === 0 || f.len > f.cfg.maxstbl : f.len <= 8 || f.len % 8 !== 0 || f.len > f.cfg.maxstbl,
    outcome: exception(Pic.SPECIFICATION),
  },
  { row: CheckRow.STB_PCI_BOUNDARY, applies: block, fails: (f) => page(f.offset) + f.len > 4096, outcome: exception(Pic.SPECIFICATION) },
  {
    row: CheckRow.STB_SOURCE_ALIGN,
    applies: (f) => block(f) && !f.cfg.relaxedAlignment,
    fails: (f) => f.gaddr % 8n !== 0n,
    outcome: exception(Pic.SPECIFICATION),
  },
  {
    // An option of the function (sourceBoundaryCheck), off by default: Linux and QEMU do not check it.
    row: CheckRow.STB_SOURCE_BOUNDARY,
    applies: (f) => block(f) && f.cfg.sourceBoundaryCheck,
    fails: (f) => page(f.gaddr) + f.len > 4096,
    outcome: exception(Pic.SPECIFICATION),
  },
  { row: CheckRow.DEVICE_REGION, applies: block, fails: (f) => f.offset + BigInt(f.len) > barSize(f), outcome: exception(Pic.OPERAND) },
  {
    row: CheckRow.STORAGE_ACCESS,
    applies: block,
    fails: (f) => f.gaddr + BigInt(f.len) > BigInt(f.storageSize),
    outcome: exception(Pic.ADDRESSING),
  },
];

function kindOf(op: Op): Kind {
  if (op === Op.PCILG || op === Op.PCILG_MIO) return 'load';
  if (op === Op.PCISTG || op === Op.PCISTG_MIO) return 'store';
  return 'block';
}

function decodeMio(cfg: FunctionConfig, address: bigint): { space: number; offset: bigint } {
  for (let bar = 0; bar < 6; bar++) {
    const start = cfg.mioBase + BigInt(bar) * MIO_BAR_STRIDE;
    if (cfg.barSizes[bar] !== 0n && address >= start && address - start < cfg.barSizes[bar]) return { space: bar, offset: address - start };
  }
  return { space: -1, offset: 0n };
}

function bigEndian(bytes: Uint8Array): bigint {
  return bytes.reduce((v, b) => (v << 8n) | BigInt(b), 0n);
}

function registerBytes(value: bigint, len: number): Uint8Array {
  return Uint8Array.from({ length: len }, (_, i) => Number((value >> BigInt(8 * (len - 1 - i))) & 0xffn));
}

/** The architectural outcome of one instruction. Pure: reads env, mutates nothing. */
export function zpciReference(fn: RefFunction, insn: RefInstruction, env: RefEnvironment): RefResult {
  const kind = kindOf(insn.op);
  const mio = insn.op >= Op.PCILG_MIO;
  const resolved = mio ? decodeMio(fn.config, BigInt.asUintN(64, insn.offset)) : { space: insn.pcias, offset: BigInt.asUintN(64, insn.offset) };
  const facts: Facts = {
    kind,
    mio,
    problemState: insn.problemState,
    r2Odd: insn.r2Odd,
    fhGiven: insn.fh >>> 0,
    fhCurrent: fn.fh >>> 0,
    state: fn.state,
    cfg: fn.config,
    space: resolved.space,
    offset: resolved.offset,
    len: kind === 'block' ? insn.len & 0x1fff : insn.len & 0xf,
    gaddr: BigInt.asUintN(64, insn.gaddr),
    storageSize: env.storage.size,
  };
  for (const rule of RULES) {
    if (rule.applies(facts) && rule.fails(facts)) return { outcome: rule.outcome(facts), writes: [], row: rule.row };
  }
  // Every check passed: the device is asked.
  const answer = env.answer;
  if (answer.kind === 'busy') return { outcome: { kind: 'cc', cc: CC.BUSY, status: 0, data: 0n }, writes: [], row: CheckRow.PASSED };
  if (answer.kind === 'error') return { outcome: { kind: 'cc', cc: CC.ERROR, status: answer.code, data: 0n }, writes: [], row: CheckRow.PASSED };
  const { space, offset, len } = facts;
  switch (kind) {
    case 'load':
      return { outcome: { kind: 'cc', cc: CC.OK, status: 0, data: bigEndian(env.device.read(space, offset, len)) }, writes: [], row: CheckRow.PASSED };
    case 'store':
      return { outcome: { kind: 'cc', cc: CC.OK, status: 0, data: 0n }, writes: [{ space, offset, bytes: registerBytes(insn.data, len) }], row: CheckRow.PASSED };
    case 'block':
      return {
        outcome: { kind: 'cc', cc: CC.OK, status: 0, data: 0n },
        writes: [{ space, offset, bytes: env.storage.read(Number(facts.gaddr), len) }],
        row: CheckRow.PASSED,
      };
  }
}
