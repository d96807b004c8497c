/**
 * A streaming, tolerant reader of IEEE 1364 §18 VCD for `ism-sim wave`: any keyword section in
 * the header ($date, $version, $comment, unknown ones), any scope and variable type, bit ranges,
 * x/z and real values, $dumpvars/$dumpall/$dumpon/$dumpoff. It reads the file in fixed chunks and
 * hands value changes to a visitor that keeps only what it needs, so memory is bounded by what
 * the caller keeps, not by the file; the visitor can stop the scan early. A file cut mid-token
 * is read up to the cut and reported as truncated.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { VcdVariable } from './vcd-reader.ts';

export class VcdReadError extends Error {
  constructor(readonly file: string, detail: string) {
    super(`${file}: ${detail}`);
    this.name = 'VcdReadError';
  }
}

/** A declared variable: dotted path from the outermost scope, width, code and `$var` type as `kind`. */
export type StreamVariable = VcdVariable;

export interface StreamHeader {
  /** Length of one time unit in picoseconds (fractional for fs). */
  readonly unitPs: number;
  readonly variables: readonly StreamVariable[];
  readonly scopes: readonly string[];
  /** Text of the `$comment` sections in the header. */
  readonly comments: readonly string[];
}

/** What a scan saw: the last time reached and whether the file ended in the middle of a token. */
export interface ScanEnd {
  readonly lastTime: number;
  readonly truncated: boolean;
  /** The visitor stopped the scan before the end of the file. */
  readonly stopped: boolean;
}

/**
 * Gets value changes in file order: `value` is '0'/'1'/'x'/'z' for scalars, the bit string for
 * vectors (as written, not extended), `r<number>` for reals. Return false to stop reading.
 */
export type ChangeVisitor = (time: number, code: string, value: string) => boolean | void;

const CHUNK = 1 << 20;

/** Whitespace-separated tokens of a file, read a chunk at a time. */
class Tokens {
  private fd: number;
  private buf = Buffer.alloc(CHUNK);
  private pending: string[] = [];
  private index = 0;
  private carry = '';
  private eof = false;
  /** The file ended without whitespace after its last token: that token may be cut. */
  cut = false;

  private readonly done: () => void;

  constructor(readonly file: string) {
    if (/\.fst$/i.test(file)) {
      const { fd, done } = openFstAsVcd(file);
      this.fd = fd;
      this.done = done;
    } else {
      this.fd = openSync(file, 'r');
      this.done = () => {};
    }
  }

  private fill(): boolean {
    while (this.index >= this.pending.length) {
      if (this.eof) return false;
      const n = readSync(this.fd, this.buf, 0, CHUNK, null);
      if (n === 0) {
        this.eof = true;
        if (this.carry.length > 0) {
          // No whitespace after the last token: the file was cut in the middle of a line.
          this.cut = true;
          this.carry = '';
        }
        return false;
      }
      const text = this.carry + this.buf.toString('latin1', 0, n);
      const parts = text.split(/\s+/);
      // The last part is incomplete unless the chunk ended in whitespace.
      this.carry = parts.pop() ?? '';
      this.pending = parts.filter((p) => p.length > 0);
      this.index = 0;
    }
    return true;
  }

  next(): string | undefined {
    return this.fill() ? this.pending[this.index++] : undefined;
  }

  /** Hand over what is read but not yet taken (tokens, and the start of a token cut by the chunk). */
  takeRest(): { tokens: string[]; carry: Buffer } {
    const tokens = this.pending.slice(this.index);
    this.pending = [];
    this.index = 0;
    const carry = Buffer.from(this.carry, 'latin1');
    this.carry = '';
    return { tokens, carry };
  }

  /** The next chunk of the file, or null at its end. */
  readChunk(): Buffer | null {
    if (this.eof) return null;
    const n = readSync(this.fd, this.buf, 0, CHUNK, null);
    if (n === 0) {
      this.eof = true;
      return null;
    }
    return this.buf.subarray(0, n);
  }

  close(): void {
    closeSync(this.fd);
    this.done();
  }
}

let fifos = 0;

/**
 * An FST file read as VCD text: GTKWave's fst2vcd writes into a FIFO that this process reads, so
 * the text streams like a file and is never stored. Closing early ends fst2vcd (broken pipe).
 */
function openFstAsVcd(file: string): { fd: number; done: () => void } {
  if (spawnSync('sh', ['-c', 'command -v fst2vcd']).status !== 0) {
    throw new VcdReadError(file, "reading FST needs GTKWave's fst2vcd, which is not installed (apt-get install gtkwave)");
  }
  if (!existsSync(file)) throw new VcdReadError(file, 'no such file');
  const fifo = join(tmpdir(), `ism-sim-wave-${process.pid}-${fifos++}.fifo`);
  rmSync(fifo, { force: true });
  if (spawnSync('mkfifo', [fifo]).status !== 0) throw new VcdReadError(file, `cannot create a FIFO at ${fifo}`);
  // The shell opens the FIFO for writing, which lets the open below return; then fst2vcd runs.
  const child = spawn('sh', ['-c', 'exec fst2vcd "$1" > "$2"', 'sh', file, fifo], { stdio: 'ignore' });
  const fd = openSync(fifo, 'r');
  return {
    fd,
    done: () => {
      child.kill();
      rmSync(fifo, { force: true });
    },
  };
}

const UNITS_PS: Record<string, number> = { s: 1e12, ms: 1e9, us: 1e6, ns: 1e3, ps: 1, fs: 1e-3 };

function until$end(t: Tokens, what: string): string[] {
  const words: string[] = [];
  for (let w = t.next(); w !== '$end'; w = t.next()) {
    if (w === undefined) throw new VcdReadError(t.file, `the file ends inside ${what}, in its header: nothing to show`);
    words.push(w);
  }
  return words;
}

function readHeader(t: Tokens): StreamHeader {
  const variables: StreamVariable[] = [];
  const scopes: string[] = [];
  const comments: string[] = [];
  const stack: string[] = [];
  let unitPs = 1;
  for (;;) {
    const kw = t.next();
    if (kw === undefined) throw new VcdReadError(t.file, 'no $enddefinitions: not a VCD, or cut inside its header');
    if (kw === '$enddefinitions') {
      until$end(t, '$enddefinitions');
      return { unitPs, variables, scopes, comments };
    }
    const words = until$end(t, kw);
    if (kw === '$timescale') {
      const m = /^(1|10|100)\s*(s|ms|us|ns|ps|fs)$/.exec(words.join(''));
      if (!m) throw new VcdReadError(t.file, `timescale "${words.join(' ')}" is not one IEEE 1364 allows`);
      unitPs = Number(m[1]) * UNITS_PS[m[2]];
    } else if (kw === '$scope') {
      stack.push(words[1] ?? words[0] ?? '?');
      scopes.push(stack.join('.'));
    } else if (kw === '$upscope') {
      stack.pop();
    } else if (kw === '$var') {
      // $var type size code reference [bit range] $end; the range may be glued to the name.
      const [type, size, code, ref] = words;
      const width = Number(size);
      if (code === undefined || ref === undefined || !Number.isInteger(width) || width < 1) {
        throw new VcdReadError(t.file, `malformed $var ${words.join(' ')}`);
      }
      variables.push({ path: [...stack, ref.replace(/\[.*$/, '')].join('.'), width, code, kind: type });
    } else if (kw === '$comment') {
      comments.push(words.join(' '));
    }
    // $date, $version and sections this reader does not know carry nothing it needs.
  }
}

/** Open a VCD and read its header (the definitions); `scan` then streams the value changes. */
export class VcdStream {
  readonly header: StreamHeader;
  private readonly tokens: Tokens;

  private constructor(readonly file: string) {
    this.tokens = new Tokens(file);
    try {
      this.header = readHeader(this.tokens);
    } catch (e) {
      this.tokens.close();
      throw e;
    }
  }

  static open(file: string): VcdStream {
    return new VcdStream(file);
  }

  /**
   * Stream value changes to `visit` until it returns false or the file ends; closes the file. With
   * `only`, changes of other identifier codes are skipped without being decoded (the fast path for
   * a few chosen signals in a large file); time lines still advance.
   */
  scan(visit: ChangeVisitor, only?: ReadonlySet<string>): ScanEnd {
    const t = this.tokens;
    let time = 0;
    let stopped = false;
    let cut = false;
    // State carried across tokens: a vector value waiting for its code, a comment being skipped.
    let vector: string | null = null;
    let inComment = false;
    const wanted = (code: string): boolean => only === undefined || only.has(code);
    /** One token of the body as a string; false stops the scan. */
    const token = (w: string): boolean => {
      if (inComment) {
        if (w === '$end') inComment = false;
        return true;
      }
      if (vector !== null) {
        const value = vector;
        vector = null;
        return !wanted(w) || visit(time, w, value) !== false;
      }
      const c = w.charCodeAt(0);
      if (c === 35) {
        const next = Number(w.slice(1));
        if (!Number.isFinite(next)) throw new VcdReadError(this.file, `bad time ${w}`);
        time = next;
      } else if (c === 36) {
        // $dumpvars/$dumpall/$dumpon/$dumpoff open a block of values closed by $end; comments are skipped.
        if (w === '$comment') inComment = true;
      } else if (c === 98 || c === 66) {
        vector = w.slice(1).toLowerCase();
      } else if (c === 114 || c === 82) {
        vector = `r${w.slice(1)}`;
      } else if (w.length >= 2) {
        const code = w.slice(1);
        return !wanted(code) || visit(time, code, w[0].toLowerCase()) !== false;
      }
      return true;
    };
    // Codes of one or two bytes (nearly all of them in practice) are looked up by number, not string.
    const shortCodes = new Set<number>();
    let longCodes = only === undefined;
    for (const code of only ?? []) {
      if (code.length <= 2) shortCodes.add(code.length === 1 ? code.charCodeAt(0) : code.charCodeAt(0) * 256 + code.charCodeAt(1));
      else longCodes = true;
    }
    const isWanted = (data: Buffer, from: number, to: number): boolean => {
      const len = to - from;
      if (len === 1) return shortCodes.has(data[from]) || (only === undefined);
      if (len === 2) return shortCodes.has(data[from] * 256 + data[from + 1]) || (only === undefined);
      return longCodes;
    };
    try {
      const rest = t.takeRest();
      for (const w of rest.tokens) {
        if (!token(w)) {
          stopped = true;
          break;
        }
      }
      // From here the file is scanned byte by byte: no regular expression, no token array, and no
      // string made for a time line or for a change nobody asked for.
      let carry = rest.carry;
      let vectorStart = -1;
      let vectorEnd = -1;
      while (!stopped) {
        const chunk = t.readChunk();
        if (chunk === null) {
          cut = carry.length > 0;
          break;
        }
        const data = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
        carry = Buffer.alloc(0);
        const n = data.length;
        let i = 0;
        while (i < n) {
          while (i < n && data[i] <= 32) i++;
          if (i >= n) break;
          const start = i;
          while (i < n && data[i] > 32) i++;
          if (i >= n) {
            // The token may go on in the next chunk; a vector value before it is kept as a string.
            if (vectorStart >= 0) {
              vector = data[vectorStart] === 114 || data[vectorStart] === 82 ? `r${data.toString('latin1', vectorStart + 1, start).trim()}` : data.toString('latin1', vectorStart + 1, start).trim().toLowerCase();
              vectorStart = -1;
            }
            carry = Buffer.from(data.subarray(start));
            break;
          }
          const c = data[start];
          if (inComment || vector !== null) {
            if (!token(data.toString('latin1', start, i))) stopped = true;
          } else if (vectorStart >= 0) {
            // The code of a vector or real value.
            if (isWanted(data, start, i)) {
              const v = data[vectorStart] === 114 || data[vectorStart] === 82 ? `r${data.toString('latin1', vectorStart + 1, vectorEnd)}` : data.toString('latin1', vectorStart + 1, vectorEnd).toLowerCase();
              if (visit(time, data.toString('latin1', start, i), v) === false) stopped = true;
            }
            vectorStart = -1;
          } else if (c === 35) {
            let v = 0;
            for (let k = start + 1; k < i; k++) {
              const d = data[k] - 48;
              if (d < 0 || d > 9) throw new VcdReadError(this.file, `bad time ${data.toString('latin1', start, i)}`);
              v = v * 10 + d;
            }
            time = v;
          } else if (c === 98 || c === 66 || c === 114 || c === 82) {
            vectorStart = start;
            vectorEnd = i;
          } else if (c === 36) {
            if (!token(data.toString('latin1', start, i))) stopped = true;
          } else if (i - start >= 2 && isWanted(data, start + 1, i)) {
            if (visit(time, data.toString('latin1', start + 1, i), String.fromCharCode(c).toLowerCase()) === false) stopped = true;
          }
          if (stopped) break;
        }
      }
    } finally {
      t.close();
    }
    return { lastTime: time, truncated: cut || t.cut, stopped };
  }
}
