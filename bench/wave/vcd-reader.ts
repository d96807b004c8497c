/** A strict reader for the VCD subset ism-sim writes; used by tests and tools to check waveforms. */

export class VcdParseError extends Error {
  constructor(readonly line: number, detail: string) {
    super(`VCD line ${line}: ${detail}`);
    this.name = 'VcdParseError';
  }
}

export interface VcdVariable {
  /** Full dotted path including scopes, e.g. `top.vm0.pfu.state`. */
  readonly path: string;
  readonly kind: string;
  readonly width: number;
  readonly code: string;
}

export interface VcdChange {
  readonly time: number;
  readonly value: bigint;
}

export interface VcdDocument {
  readonly timescale: string;
  readonly variables: readonly VcdVariable[];
  readonly scopes: readonly string[];
  /** Value changes per variable path, in time order (the $dumpvars values at time 0 first). */
  readonly changes: ReadonlyMap<string, readonly VcdChange[]>;
  readonly endTime: number;
  /** Value of a variable at `time` (the last change at or before it). */
  valueAt(path: string, time: number): bigint;
}

const PRINTABLE_CODE = /^[!-~]+$/;

export function parseVcd(text: string): VcdDocument {
  const lines = text.split('\n');
  const variables: VcdVariable[] = [];
  const scopes: string[] = [];
  const byCode = new Map<string, VcdVariable[]>();
  const changes = new Map<string, VcdChange[]>();
  const scopeStack: string[] = [];
  let timescale = '';
  let i = 0;
  let inDefinitions = true;

  // Header: keyword blocks until $enddefinitions.
  for (; i < lines.length && inDefinitions; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    const tokens = line.split(/\s+/);
    const kw = tokens[0];
    const lineNo = i + 1;
    const needEnd = (): void => {
      if (tokens[tokens.length - 1] !== '$end') throw new VcdParseError(lineNo, `${kw} not closed by $end on its line`);
    };
    switch (kw) {
      case '$comment':
      case '$version':
      case '$date':
        needEnd();
        break;
      case '$timescale':
        needEnd();
        timescale = tokens.slice(1, -1).join('');
        if (!/^(1|10|100)(s|ms|us|ns|ps|fs)$/.test(timescale)) throw new VcdParseError(lineNo, `bad timescale ${timescale}`);
        break;
      case '$scope': {
        needEnd();
        if (tokens.length !== 4) throw new VcdParseError(lineNo, 'malformed $scope');
        if (tokens[1] !== 'module') throw new VcdParseError(lineNo, `scope type ${tokens[1]} (expected module)`);
        scopeStack.push(tokens[2]);
        scopes.push(scopeStack.join('.'));
        break;
      }
      case '$upscope':
        needEnd();
        if (scopeStack.pop() === undefined) throw new VcdParseError(lineNo, '$upscope without $scope');
        break;
      case '$var': {
        needEnd();
        if (tokens.length !== 6 && tokens.length !== 7) throw new VcdParseError(lineNo, 'malformed $var');
        const [, kind, widthText, code, name] = tokens;
        const range = tokens.length === 7 ? /^\[(\d+):(\d+)\]$/.exec(tokens[5]) : null;
        if (tokens.length === 7 && (!range || Math.abs(Number(range[1]) - Number(range[2])) + 1 !== Number(widthText))) {
          throw new VcdParseError(lineNo, `bit range ${tokens[5]} does not match width ${widthText}`);
        }
        if (kind !== 'wire' && kind !== 'reg') throw new VcdParseError(lineNo, `var type ${kind}`);
        const width = Number(widthText);
        if (!Number.isInteger(width) || width < 1) throw new VcdParseError(lineNo, `bad width ${widthText}`);
        if (!PRINTABLE_CODE.test(code)) throw new VcdParseError(lineNo, `identifier code ${code} not printable`);
        if (!/^[A-Za-z_][A-Za-z0-9_[\]]*$/.test(name)) throw new VcdParseError(lineNo, `bad variable name ${name}`);
        if (scopeStack.length === 0) throw new VcdParseError(lineNo, '$var outside any scope');
        const v: VcdVariable = { path: [...scopeStack, name].join('.'), kind, width, code };
        if (changes.has(v.path)) throw new VcdParseError(lineNo, `duplicate variable ${v.path}`);
        variables.push(v);
        changes.set(v.path, []);
        const list = byCode.get(code) ?? [];
        list.push(v);
        byCode.set(code, list);
        break;
      }
      case '$enddefinitions':
        needEnd();
        if (scopeStack.length !== 0) throw new VcdParseError(lineNo, 'unclosed scope at $enddefinitions');
        inDefinitions = false;
        break;
      default:
        throw new VcdParseError(lineNo, `unexpected ${kw} in header`);
    }
  }
  if (inDefinitions) throw new VcdParseError(lines.length, 'no $enddefinitions');

  let time = -1;
  let inDumpvars = false;
  const record = (lineNo: number, code: string, value: bigint, bits: number): void => {
    const vars = byCode.get(code);
    if (!vars) throw new VcdParseError(lineNo, `value for undeclared identifier ${code}`);
    if (time < 0) throw new VcdParseError(lineNo, 'value change before the first time line');
    for (const v of vars) {
      if (bits > v.width) throw new VcdParseError(lineNo, `${bits} bits for ${v.path} of width ${v.width}`);
      changes.get(v.path)!.push({ time, value });
    }
  };
  for (; i < lines.length; i++) {
    const line = lines[i].trim();
    const lineNo = i + 1;
    if (line === '') continue;
    const c = line[0];
    if (c === '#') {
      const t = Number(line.slice(1));
      if (!Number.isInteger(t) || t < 0) throw new VcdParseError(lineNo, `bad time ${line}`);
      if (t <= time) throw new VcdParseError(lineNo, `time ${t} does not increase (last ${time})`);
      time = t;
    } else if (line === '$dumpvars') {
      inDumpvars = true;
    } else if (line === '$end') {
      if (!inDumpvars) throw new VcdParseError(lineNo, 'stray $end');
      inDumpvars = false;
    } else if (c === '0' || c === '1' || c === 'x' || c === 'z') {
      if (c === 'x' || c === 'z') throw new VcdParseError(lineNo, 'x/z values are not used by ism-sim');
      record(lineNo, line.slice(1), c === '1' ? 1n : 0n, 1);
    } else if (c === 'b') {
      const [bits, code, extra] = line.slice(1).split(' ');
      if (extra !== undefined || code === undefined || !/^[01]+$/.test(bits)) throw new VcdParseError(lineNo, `malformed vector ${line}`);
      record(lineNo, code, BigInt(`0b${bits}`), bits.length);
    } else {
      throw new VcdParseError(lineNo, `unexpected ${line}`);
    }
  }
  if (inDumpvars) throw new VcdParseError(lines.length, '$dumpvars not closed');
  for (const v of variables) {
    const list = changes.get(v.path)!;
    if (list.length === 0 || list[0].time !== 0) throw new VcdParseError(0, `${v.path} has no initial value at #0`);
  }

  return {
    timescale,
    variables,
    scopes,
    changes,
    endTime: Math.max(time, 0),
    valueAt(path: string, at: number): bigint {
      const list = changes.get(path);
      if (!list) throw new Error(`no variable ${path} in VCD`);
      let value = list[0].value;
      for (const ch of list) {
        if (ch.time > at) break;
        value = ch.value;
      }
      return value;
    },
  };
}
