import { VcdReadError, VcdStream, type StreamHeader, type StreamVariable } from './vcd-stream.ts';

/** A run of cycles of chosen signals, sampled once per cycle (at the rising edge's time). */
export interface WaveWindow {
  readonly firstCycle: number;
  /** Cycles drawn: clipped at the end of the data. */
  readonly cycles: number;
  readonly periodPs: number;
  /** Last cycle the file has data for, when it lies inside the window (the picture marks it). */
  readonly endOfData?: number;
  /** Said to the user as well as drawn: a truncated file, a clipped window. */
  readonly warnings: readonly string[];
  /** Signal path (without the outermost scope) → value per cycle: '0'/'1'/'x'/'z', bits, or r<real>. */
  readonly rows: { readonly name: string; readonly width: number; readonly values: string[] }[];
}

/** What `wave` draws when no `--scope` is given: the handshake, the checks, the block and its beats, the adapter. */
export const INTERESTING_SIGNALS = [
  'vm0.cpu_port.req_valid',
  'vm0.cpu_port.req_op',
  'vm0.cpu_port.req_pcias',
  'vm0.cpu_port.req_offset',
  'vm0.cpu_port.req_len',
  'vm0.cpu_port.rsp_valid',
  'vm0.cpu_port.rsp_cc',
  'vm0.pfu.fsm',
  'vm0.pfu.chk_row',
  'vm0.sbe.state',
  'vm0.dev_port.acc_valid',
  'vm0.dev_port.acc_offset',
  'vm0.dev_port.blk_valid',
  'vm0.dev_port.blk_offset',
  'vm0.dev_port.blk_len',
  'vm0.dev_port.beat_valid',
  'vm0.dev_port.beat_ready',
  'vm0.dev_port.beat_be',
  'vm0.dev_port.beat_data',
  'vm0.dev_port.beat_last',
  'vm0.ism.cmd_code',
  'vm0.ism.cmd.code',
  'vm0.ism.msi',
];

/** The outermost scope (`top` in ism-sim files) is left out of the names users type and see. */
function shortName(h: StreamHeader, path: string): string {
  const roots = new Set(h.variables.map((v) => v.path.split('.')[0]));
  const [root, ...rest] = path.split('.');
  return roots.size === 1 && rest.length > 0 && root !== undefined ? rest.join('.') : path;
}

/** Signals under any of `scopes` (or named exactly); throws naming what matched nothing. */
export function selectSignals(h: StreamHeader, scopes: readonly string[]): StreamVariable[] {
  const picked: StreamVariable[] = [];
  for (const s of scopes) {
    const hits = h.variables.filter((v) => {
      const name = shortName(h, v.path);
      return name === s || name.startsWith(`${s}.`) || v.path === s || v.path.startsWith(`${s}.`);
    });
    if (hits.length === 0) {
      const known = [...new Set(h.scopes.map((x) => shortName(h, `${x}.x`).replace(/\.?x$/, '')).filter((x) => x.length > 0))];
      throw new VcdReadError('wave', `no signals under ${s} in the waveform; scopes are: ${known.join(' ')}`);
    }
    for (const v of hits) if (!picked.includes(v)) picked.push(v);
  }
  return picked;
}

/** The default selection: the interesting signals the file has, else everything under its first scope with signals. */
export function defaultSignals(h: StreamHeader): StreamVariable[] {
  const byName = new Map(h.variables.map((v) => [shortName(h, v.path), v]));
  const found = INTERESTING_SIGNALS.map((n) => byName.get(n)).filter((v): v is StreamVariable => v !== undefined);
  if (found.length > 0) return found;
  const first = h.variables.find((v) => !isClock(v))?.path;
  if (!first) return [];
  const scope = first.slice(0, first.lastIndexOf('.'));
  return h.variables.filter((v) => v.path.startsWith(`${scope}.`) && !v.path.slice(scope.length + 1).includes('.'));
}

function isClock(v: StreamVariable): boolean {
  return v.width === 1 && /^(clk|clock)$/i.test(v.path.split('.').pop() ?? '');
}

/** The shallowest 1-bit signal named clk or clock. */
function findClock(h: StreamHeader): StreamVariable | undefined {
  return h.variables.filter(isClock).sort((a, b) => a.path.split('.').length - b.path.split('.').length)[0];
}

/** Clock period and phase in file time units, from the first two rising edges; undefined without a clock. */
function clockTiming(file: string): { period: number; phase: number } | undefined {
  const stream = VcdStream.open(file);
  const clk = findClock(stream.header);
  if (!clk) {
    stream.scan(() => false);
    return undefined;
  }
  const rises: number[] = [];
  let last = '';
  stream.scan((time, code, value) => {
    if (code !== clk.code) return true;
    if (value === '1' && last !== '1') rises.push(time);
    last = value;
    return rises.length < 2;
  }, new Set([clk.code]));
  if (rises.length < 2) return undefined;
  const period = rises[1] - rises[0];
  return { period, phase: rises[0] % period };
}

export interface WindowRequest {
  /** Signals by scope or name; undefined = the interesting ones (defaultSignals). */
  readonly scopes?: readonly string[];
  readonly fromCycle: number;
  readonly cycles: number;
  /** Clock period in ps for files without a clock. */
  readonly fallbackPeriodPs: number;
}

/** Cycles of the n-th instruction on vm0's CPU port (1-based): request to response, with a cycle either side. */
export function instructionWindow(file: string, n: number, fallbackPeriodPs: number): { fromCycle: number; cycles: number } {
  const stream = VcdStream.open(file);
  const h = stream.header;
  const timing = clockTiming(file) ?? { period: fallbackPeriodPs / h.unitPs, phase: 0 };
  const find = (name: string): StreamVariable | undefined => h.variables.find((v) => shortName(h, v.path) === name);
  const req = find('vm0.cpu_port.req_valid');
  const rsp = find('vm0.cpu_port.rsp_valid');
  if (!req || !rsp) {
    stream.scan(() => false);
    throw new VcdReadError(file, 'no vm0.cpu_port.req_valid/rsp_valid: --insn needs a waveform with the CPU port');
  }
  let seen = 0;
  let start = -1;
  let end = -1;
  const level = new Map<string, string>();
  stream.scan((time, code, value) => {
    if (code !== req.code && code !== rsp.code) return true;
    const rose = value === '1' && level.get(code) !== '1';
    level.set(code, value);
    if (!rose) return true;
    if (code === req.code && ++seen === n) start = time;
    if (code === rsp.code && start >= 0 && time > start) {
      end = time;
      return false;
    }
    return true;
  }, new Set([req.code, rsp.code]));
  if (start < 0) throw new VcdReadError(file, `the waveform has ${seen} instruction${seen === 1 ? '' : 's'} on vm0.cpu_port, not ${n}`);
  const cycleOf = (t: number): number => Math.floor((t - timing.phase) / timing.period);
  const first = Math.max(0, cycleOf(start) - 1);
  const last = end >= 0 ? cycleOf(end) + 1 : cycleOf(start) + 40;
  return { fromCycle: first, cycles: last - first + 1 };
}

/** Read the window from the file, keeping only the chosen signals' values inside it. */
export function readWindow(file: string, request: WindowRequest): WaveWindow {
  const timing = clockTiming(file);
  const stream = VcdStream.open(file);
  const h = stream.header;
  const period = timing?.period ?? request.fallbackPeriodPs / h.unitPs;
  const phase = timing?.phase ?? 0;
  const signals = request.scopes && request.scopes.length > 0 ? selectSignals(h, request.scopes) : defaultSignals(h);
  const byCode = new Map<string, number[]>();
  signals.forEach((v, i) => byCode.set(v.code, [...(byCode.get(v.code) ?? []), i]));
  const sampleTime = (c: number): number => phase + c * period;
  const firstTime = sampleTime(request.fromCycle);
  const lastTime = sampleTime(request.fromCycle + request.cycles - 1);
  // Per signal: the value at the window's first sample, then its changes inside the window.
  const before: string[] = signals.map(() => 'x');
  const inside: { time: number; value: string }[][] = signals.map(() => []);
  const end = stream.scan((time, code, value) => {
    if (time > lastTime) return false;
    const rows = byCode.get(code);
    if (!rows) return true;
    for (const r of rows) {
      if (time <= firstTime) before[r] = value;
      else inside[r].push({ time, value });
    }
    return true;
  }, new Set(byCode.keys()));
  const warnings: string[] = [];
  const dataEnd = end.stopped ? Number.POSITIVE_INFINITY : Math.floor((end.lastTime - phase) / period);
  if (end.truncated) warnings.push(`the file ends in the middle of a line (cut at time ${end.lastTime}): drawn up to the cut`);
  if (request.fromCycle > dataEnd) {
    throw new VcdReadError(file, `the waveform ends at cycle ${dataEnd}; --from ${request.fromCycle} is past its end`);
  }
  const cycles = Math.min(request.cycles, dataEnd - request.fromCycle + 1);
  if (cycles < request.cycles) warnings.push(`the data ends at cycle ${dataEnd}: ${cycles} of ${request.cycles} cycles drawn`);
  const rows = signals.map((v, r) => {
    const values: string[] = [];
    let value = before[r];
    let k = 0;
    const changes = inside[r];
    for (let c = 0; c < cycles; c++) {
      const t = sampleTime(request.fromCycle + c);
      while (k < changes.length && changes[k].time <= t) value = changes[k++].value;
      values.push(value);
    }
    return { name: shortName(h, v.path), width: v.width, values };
  });
  return {
    firstCycle: request.fromCycle,
    cycles,
    periodPs: period * h.unitPs,
    endOfData: Number.isFinite(dataEnd) && dataEnd < request.fromCycle + request.cycles ? dataEnd : undefined,
    warnings,
    rows,
  };
}
