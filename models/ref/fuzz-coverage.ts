import type { Simulator } from '../../rtl/hdl/simulator.ts';
import { CC, CheckRow } from '../../rtl/zpci/codes.ts';
import type { CpuPort } from '../../rtl/zpci/cpu-port.ts';
import type { PciFunctionUnit } from '../../rtl/zpci/pci-function-unit.ts';
import { Errno } from '../linux/errno.ts';
import { VFIO_PCI_BAR5_REGION_INDEX, VFIO_PCI_CONFIG_REGION_INDEX, regionIndexOf, regionPosition } from '../vfio/regions.ts';
import { DEVICE_ERROR_STATUSES, type InjectedFault } from './instruction-fault-injector.ts';
import type { FailedAnswer, VfioFunctionModel } from './vfio-ism-reference.ts';

/** One covergroup: named bins and how often each was hit. Plain data (JSON, merging). */
export interface CoverageGroup {
  readonly group: string;
  readonly bins: { readonly bin: string; hits: number }[];
}
export type CoverageTable = CoverageGroup[];

const ROW_NAMES: Record<number, string> = {
  [CheckRow.PASSED]: 'all checks passed',
  [CheckRow.PROBLEM_STATE]: 'row 1 problem state',
  [CheckRow.R2_ODD]: 'row 2 odd r2',
  [CheckRow.FH_NOT_ENABLED]: 'row 3 fh not enabled',
  [CheckRow.FH_MISMATCH]: 'row 4 stale fh',
  [CheckRow.FUNC_ERROR]: 'row 5 error state',
  [CheckRow.BAD_AS]: 'row 6 bad address space',
  [CheckRow.BAR_LEN]: 'row 7 BAR length/doubleword',
  [CheckRow.CFG_LEN]: 'row 8 config length',
  [CheckRow.CFG_OUT_OF_RANGE]: 'row 9 config offset past size',
  [CheckRow.STB_OFFSET_ALIGN]: 'row 10 PCISTB offset alignment',
  [CheckRow.STB_LENGTH]: 'row 11 PCISTB length',
  [CheckRow.STB_PCI_BOUNDARY]: 'row 12 PCISTB crosses 4 KiB',
  [CheckRow.STB_SOURCE_ALIGN]: 'row 13 PCISTB source alignment',
  [CheckRow.DEVICE_REGION]: 'row 14 BAR absent or past end',
  [CheckRow.STORAGE_ACCESS]: 'row 15 source outside storage',
  [CheckRow.MIO_UNSUPPORTED]: 'row 0x10 MIO unsupported',
  [CheckRow.MIO_NO_FUNCTION]: 'row 0x11 MIO address in no BAR',
  [CheckRow.STB_SOURCE_BOUNDARY]: 'row 0x12 source crosses 4 KiB',
};

/**
 * Check-table rows a correct vfio-ism driver on an ISM function can reach: success, and the rows
 * the fault model provokes (problem state, odd r2, stale handle, error state). The others decide
 * only illegal instructions, which the driver never issues (the legality rules would fail first).
 */
const DRIVER_ROWS = [CheckRow.PASSED, CheckRow.PROBLEM_STATE, CheckRow.R2_ODD, CheckRow.FH_MISMATCH, CheckRow.FUNC_ERROR];

/**
 * The other rows decide only instructions a correct driver never issues; they are shown (a hit
 * means the driver issued an illegal instruction, which a rule reports) but not required. The
 * function unit's property test (test/zpci/property.test.ts) covers them against the reference.
 */
const ILLEGAL_GROUP = 'check row (illegal instructions, not required)';
const ILLEGAL_ROWS = Object.values(CheckRow).filter((r) => !DRIVER_ROWS.includes(r as (typeof DRIVER_ROWS)[number]));

const ERRNO_BINS = [
  'read ok',
  'read clamped at BAR end',
  'read/write count 0 → 0',
  'read/write bad region index → EINVAL',
  'read/write absent BAR → EINVAL',
  'read/write at or past BAR end → EINVAL',
  'read cc 1 → EIO',
  'read cc 3 → EIO',
  'read program check → ENXIO',
  'read unmapped user buffer → EFAULT',
  'write ok',
  'write longer than maxstbl → EINVAL',
  'write crosses 4 KiB → EINVAL',
  'write cc 1 → EIO',
  'write cc 3 → EIO',
  'write program check → ENXIO',
  'write unmapped user buffer → EFAULT',
  'config read ok',
  'config write ok',
  'config past its size → EFAULT',
  'config cc 1 → EIO',
  'config cc 3 → EIO',
  'config program check → ENXIO',
  'config read unmapped user buffer → EFAULT',
  'config write unmapped user buffer → EFAULT',
  'region info BAR/config',
  'region info bad index → EINVAL',
];

const OFFSET_BINS = [
  'at a 4 KiB boundary',
  '1..8 past a 4 KiB boundary',
  '1..8 before a 4 KiB boundary',
  'call crosses 4 KiB',
  '1..8 before the BAR end',
  'at the BAR end',
  'call runs past the BAR end',
  'BAR 0 top (2^48 - 8 .. 2^48)',
];

const FAULT_BINS = [
  ...DEVICE_ERROR_STATUSES.map((st) => `device error status ${st}`),
  'error state at the first instruction',
  'error state between two accesses of one read',
  'calls while in the error state',
  'function taken away (cc 3) mid-call',
  'program check (problem state)',
  'program check (odd r2)',
  'odd r2 on a PCISTB (does not apply)',
  'fault point past the last instruction',
];

const LENGTH_BINS = ['0', '1..7', '8', 'maxstbl - 8 .. maxstbl - 1', 'maxstbl', 'maxstbl + 1 .. maxstbl + 8', '4096', 'over 4096'];

/**
 * Functional coverage of the fuzzer, as a SystemVerilog covergroup would have it: which check-table
 * rows decided an instruction, which errno path of the driver each call took, offsets around 4 KiB
 * and BAR-end boundaries, lengths around maxstbl, and every maxstbl class.
 */
export class FuzzCoverage {
  private readonly groups = new Map<string, Map<string, number>>();

  constructor(maxstblClasses: readonly number[] = []) {
    this.declare('check row (driver-reachable)', DRIVER_ROWS.map((r) => ROW_NAMES[r]));
    this.declare(ILLEGAL_GROUP, ILLEGAL_ROWS.map((r) => ROW_NAMES[r]));
    this.declare('device answer', ['busy (cc 2)', 'error (cc 1)']);
    this.declare('driver errno path', ERRNO_BINS);
    this.declare('injected fault', FAULT_BINS);
    this.declare('offset', OFFSET_BINS);
    this.declare('length', LENGTH_BINS);
    this.declare('maxstbl class', maxstblClasses.map(String));
  }

  private declare(group: string, bins: readonly string[]): void {
    this.groups.set(group, new Map(bins.map((b) => [b, 0])));
  }

  hit(group: string, bin: string): void {
    const g = this.groups.get(group) ?? new Map<string, number>();
    this.groups.set(group, g);
    g.set(bin, (g.get(bin) ?? 0) + 1);
  }

  /** Sample the deciding row and the device's answer of every instruction on a function unit. */
  watch(sim: Simulator, port: CpuPort, pfu: PciFunctionUnit): void {
    sim.hardwareSettled$.subscribe(() => {
      if (port.rspValid.value !== 1) return;
      const row = pfu.chkRow.value;
      if (DRIVER_ROWS.includes(row as (typeof DRIVER_ROWS)[number])) this.hit('check row (driver-reachable)', ROW_NAMES[row]);
      else this.hit(ILLEGAL_GROUP, ROW_NAMES[row] ?? `row ${row}`);
      if (row === CheckRow.PASSED && port.rspPic.value === 0) {
        if (port.rspCc.value === CC.BUSY) this.hit('device answer', 'busy (cc 2)');
        if (port.rspCc.value === CC.ERROR) this.hit('device answer', 'error (cc 1)');
      }
    });
  }

  functionCase(maxstbl: number): void {
    this.hit('maxstbl class', String(maxstbl));
  }

  /** Offset and length bins of one read or write call. */
  callShape(f: VfioFunctionModel, offset: bigint, count: number): void {
    const index = regionIndexOf(offset);
    const pos = regionPosition(offset);
    if (index > VFIO_PCI_BAR5_REGION_INDEX) return;
    const inPage = Number(pos % 4096n);
    if (inPage === 0) this.hit('offset', 'at a 4 KiB boundary');
    if (inPage >= 1 && inPage <= 8) this.hit('offset', '1..8 past a 4 KiB boundary');
    if (inPage >= 4088) this.hit('offset', '1..8 before a 4 KiB boundary');
    if (inPage + count > 4096) this.hit('offset', 'call crosses 4 KiB');
    const size = f.barSizes[index];
    if (size > 0n) {
      if (pos < size && size - pos <= 8n) this.hit('offset', '1..8 before the BAR end');
      if (pos === size) this.hit('offset', 'at the BAR end');
      if (pos < size && pos + BigInt(count) > size) this.hit('offset', 'call runs past the BAR end');
      if (index === 0 && pos >= (1n << 48n) - 8n) this.hit('offset', 'BAR 0 top (2^48 - 8 .. 2^48)');
    }
    const m = f.maxstbl;
    const bins = [
      count === 0 && '0',
      count >= 1 && count <= 7 && '1..7',
      count === 8 && '8',
      count >= m - 8 && count < m && 'maxstbl - 8 .. maxstbl - 1',
      count === m && 'maxstbl',
      count > m && count <= m + 8 && 'maxstbl + 1 .. maxstbl + 8',
      count === 4096 && '4096',
      count > 4096 && 'over 4096',
    ];
    for (const b of bins) if (b) this.hit('length', b);
  }

  /** The errno path a read or write call took. */
  errnoPath(f: VfioFunctionModel, offset: bigint, count: number, isWrite: boolean, ret: number, failure: FailedAnswer | undefined, unmappedBuffer: boolean): void {
    const index = regionIndexOf(offset);
    const pos = regionPosition(offset);
    const op = isWrite ? 'write' : 'read';
    const failed = (prefix: string): string => (failure && 'pic' in failure ? `${prefix} program check → ENXIO` : `${prefix} cc ${failure && 'cc' in failure ? failure.cc : '?'} → EIO`);
    let bin: string;
    if (count === 0) bin = 'read/write count 0 → 0';
    else if (unmappedBuffer) bin = `${index === VFIO_PCI_CONFIG_REGION_INDEX ? `config ${op}` : op} unmapped user buffer → EFAULT`;
    else if (index === VFIO_PCI_CONFIG_REGION_INDEX) {
      if (ret === -Errno.EFAULT) bin = 'config past its size → EFAULT';
      else if (failure) bin = failed('config');
      else bin = `config ${op} ok`;
    } else if (index > VFIO_PCI_BAR5_REGION_INDEX) bin = 'read/write bad region index → EINVAL';
    else if (f.barSizes[index] === 0n) bin = 'read/write absent BAR → EINVAL';
    else if (pos >= f.barSizes[index]) bin = 'read/write at or past BAR end → EINVAL';
    else if (failure) bin = failed(op);
    else if (ret === -Errno.EINVAL) {
      const clamped = BigInt(count) < f.barSizes[index] - pos ? BigInt(count) : f.barSizes[index] - pos;
      bin = clamped > BigInt(f.maxstbl) ? 'write longer than maxstbl → EINVAL' : 'write crosses 4 KiB → EINVAL';
    }
    else if (!isWrite && pos + BigInt(count) > f.barSizes[index]) bin = 'read clamped at BAR end';
    else bin = `${op} ${ret >= 0 ? 'ok' : `→ ${ret}`}`;
    this.hit('driver errno path', bin);
  }

  /** Which fault a read or write met, and where in the call. */
  fault(fault: InjectedFault | undefined, at: number, instructions: number, inErrorState: boolean, isRead: boolean, fired: boolean): void {
    if (inErrorState) {
      if (instructions > 0) this.hit('injected fault', 'calls while in the error state');
      return;
    }
    if (!fault) return;
    if (at >= instructions) return this.hit('injected fault', 'fault point past the last instruction');
    if (!fired) return this.hit('injected fault', 'odd r2 on a PCISTB (does not apply)');
    switch (fault.kind) {
      case 'device-error':
        return this.hit('injected fault', `device error status ${fault.status}`);
      case 'error-state':
        return this.hit('injected fault', at > 0 && isRead ? 'error state between two accesses of one read' : 'error state at the first instruction');
      case 'unavailable':
        return this.hit('injected fault', 'function taken away (cc 3) mid-call');
      case 'program-check':
        return this.hit('injected fault', fault.via === 'problem-state' ? 'program check (problem state)' : 'program check (odd r2)');
    }
  }

  regionInfo(ret: number): void {
    this.hit('driver errno path', ret === 0 ? 'region info BAR/config' : 'region info bad index → EINVAL');
  }

  table(): CoverageTable {
    return [...this.groups].map(([group, bins]) => ({ group, bins: [...bins].map(([bin, hits]) => ({ bin, hits })) }));
  }
}

/** Sum coverage tables (workers, shards): bins keep their first-seen order. */
export function mergeCoverage(tables: readonly CoverageTable[]): CoverageTable {
  const out = new Map<string, Map<string, number>>();
  for (const t of tables) {
    for (const g of t) {
      const bins = out.get(g.group) ?? new Map<string, number>();
      out.set(g.group, bins);
      for (const b of g.bins) bins.set(b.bin, (bins.get(b.bin) ?? 0) + b.hits);
    }
  }
  return [...out].map(([group, bins]) => ({ group, bins: [...bins].map(([bin, hits]) => ({ bin, hits })) }));
}

function required(g: CoverageGroup): boolean {
  return g.group !== ILLEGAL_GROUP;
}

/** Bins never hit in groups that must be covered (the illegal-row group is informative only). */
export function emptyBins(table: CoverageTable): string[] {
  return table.filter(required).flatMap((g) => g.bins.filter((b) => b.hits === 0).map((b) => `${g.group}: ${b.bin}`));
}

/** The coverage table as text, one line per bin. */
export function formatCoverage(table: CoverageTable): string {
  const lines = ['coverage'];
  for (const g of table) {
    const hit = g.bins.filter((b) => b.hits > 0).length;
    lines.push(`  ${g.group} (${hit}/${g.bins.length} bins)`);
    const width = Math.max(...g.bins.map((b) => b.bin.length));
    for (const b of g.bins) lines.push(`    ${b.bin.padEnd(width)}  ${b.hits > 0 ? b.hits.toLocaleString('en-US') : required(g) ? 'EMPTY' : '-'}`);
  }
  return lines.join('\n');
}
