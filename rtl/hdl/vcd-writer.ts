import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Signal, SignalValue } from './signal.ts';
import type { Tracer } from './registry.ts';
import type { Simulator } from './simulator.ts';

/** Where VCD text goes. Writes arrive in order; close() is called once. */
export interface VcdSink {
  write(text: string): void;
  /** Hand buffered text on (to the file); the sink stays open. */
  flush?(): void;
  close(): void;
  /** The file written, if any. */
  readonly path?: string;
}

/** A write to a sink after close(). */
export class SinkClosedError extends Error {
  constructor(readonly path: string) {
    super(`VCD sink ${path} is closed; nothing more may be written to it`);
    this.name = 'SinkClosedError';
  }
}

// Sinks still open when the process exits (a script that forgot dispose()) are flushed and closed then.
const openSinks = new Set<FileSink>();
let exitHookInstalled = false;
function closeOpenSinksAtExit(): void {
  for (const sink of [...openSinks]) sink.close();
}

/** Buffers text and writes it to a file in large chunks, so memory stays flat however long the run. */
export class FileSink implements VcdSink {
  private fd: number;
  private chunks: string[] = [];
  private size = 0;
  private closed = false;
  bytesWritten = 0;

  constructor(readonly path: string, private readonly flushAt = 1 << 16) {
    mkdirSync(dirname(path), { recursive: true });
    this.fd = openSync(path, 'w');
    openSinks.add(this);
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      process.once('exit', closeOpenSinksAtExit);
    }
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Characters held in memory, not yet written. */
  get buffered(): number {
    return this.size;
  }

  write(text: string): void {
    if (this.closed) throw new SinkClosedError(this.path);
    this.chunks.push(text);
    this.size += text.length;
    if (this.size >= this.flushAt) this.flush();
  }

  flush(): void {
    if (this.closed || this.chunks.length === 0) return;
    const data = this.chunks.join('');
    this.chunks = [];
    this.size = 0;
    this.bytesWritten += writeSync(this.fd, data);
  }

  /** Flushes and closes the descriptor, exactly once. */
  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    openSinks.delete(this);
    closeSync(this.fd);
    this.fd = -1;
  }
}

/** Keeps the whole VCD in memory; for tests. */
export class StringSink implements VcdSink {
  private parts: string[] = [];
  closed = false;
  write(text: string): void {
    this.parts.push(text);
  }
  close(): void {
    this.closed = true;
  }
  get text(): string {
    return this.parts.join('');
  }
}

/** Counts bytes and drops them; for benchmarks of tracing cost. */
export class CountingSink implements VcdSink {
  bytes = 0;
  write(text: string): void {
    this.bytes += text.length;
  }
  close(): void {}
}

/** VCD time units a writer can use, in picoseconds. */
export const VCD_TIMESCALES = { '1ps': 1, '10ps': 10, '100ps': 100, '1ns': 1000, '10ns': 10_000, '100ns': 100_000 } as const;
export type VcdTimescale = keyof typeof VCD_TIMESCALES;

/** Two signals whose names differ only in characters VCD cannot carry. */
export class VcdNameError extends Error {
  constructor(
    readonly first: string,
    readonly second: string,
    readonly vcdName: string,
  ) {
    super(`signals ${first} and ${second} would both be written as ${vcdName}; rename one`);
    this.name = 'VcdNameError';
  }
}

/** Tracing was limited to scopes that do not exist. */
export class VcdScopeError extends Error {
  constructor(
    readonly unknown: readonly string[],
    readonly known: readonly string[],
  ) {
    super(`no signals under scope ${unknown.join(', ')}; scopes are: ${known.join(' ')}`);
    this.name = 'VcdScopeError';
  }
}

export interface VcdOptions {
  /** Only signals under these hierarchical scopes (e.g. `vm0.pfu`) are traced; default all. */
  scopes?: readonly string[];
  /** Trace a `clk` wire at the top (two value changes per cycle). Default true. */
  clock?: boolean;
  /** Time unit of the file (default 1ps); half the clock period must be a whole number of units. */
  timescale?: VcdTimescale;
  /** Written into `$comment`; keep it free of run-to-run data (dates) for byte-identical files. */
  comment?: string;
}

/** Compact printable identifier codes: base 94 over '!'..'~' (IEEE 1364 §18.2.1). */
export function vcdIdentifier(index: number): string {
  let n = index;
  let id = '';
  do {
    id += String.fromCharCode(33 + (n % 94));
    n = Math.floor(n / 94);
  } while (n > 0);
  return id;
}

/** Scope and variable names may not contain whitespace, colons, `$` or dots inside a segment. */
export function sanitizeVcdName(name: string): string {
  // Brackets are left out too: viewers read `name[3:0]` as a bit range.
  const clean = name.replace(/[^A-Za-z0-9_]/g, '_');
  return clean.length > 0 ? clean : '_';
}

// Binary digits of every byte, with and without leading zeros: Number#toString(2) is the
// tracer's hot spot, and most values fit 32 bits.
const BYTE_SHORT: string[] = Array.from({ length: 256 }, (_, i) => i.toString(2));
const BYTE_FULL: string[] = Array.from({ length: 256 }, (_, i) => i.toString(2).padStart(8, '0'));

function binary(v: number): string {
  if (v < 0x100) return BYTE_SHORT[v];
  if (v < 0x1_0000) return BYTE_SHORT[v >>> 8] + BYTE_FULL[v & 0xff];
  if (v < 0x100_0000) return BYTE_SHORT[v >>> 16] + BYTE_FULL[(v >>> 8) & 0xff] + BYTE_FULL[v & 0xff];
  return BYTE_SHORT[v >>> 24] + BYTE_FULL[(v >>> 16) & 0xff] + BYTE_FULL[(v >>> 8) & 0xff] + BYTE_FULL[v & 0xff];
}

function formatValue(sig: Signal<SignalValue>, code: string): string {
  const v = sig.value;
  if (sig.width === 1) return `${v === 0 ? '0' : '1'}${code}\n`;
  return `b${typeof v === 'number' ? binary(v) : v.toString(2)} ${code}\n`;
}

interface ScopeNode {
  children: Map<string, ScopeNode>;
  vars: { sig: Signal<SignalValue> | null; name: string; width: number; kind: string; code: string }[];
}

/**
 * Streaming VCD writer. One `$scope module` per component instance, printable identifier
 * codes, initial values at #0 and in `$dumpvars`, a time line only when something changed.
 */
export class VcdWriter implements Tracer {
  private codes: (string | undefined)[] = [];
  private lastWritten: (SignalValue | undefined)[] = [];
  private halfPeriod = 0;
  private clockCode: string | null = null;
  private lastTime = -1;
  private ended = false;
  private rootScope: ScopeNode | null = null;

  constructor(
    private readonly sink: VcdSink,
    private readonly options: VcdOptions = {},
  ) {}

  /** Attach a writer that streams to `path`. */
  static toFile(sim: Simulator, path: string, options: VcdOptions = {}): VcdWriter {
    const writer = new VcdWriter(new FileSink(path), options);
    sim.addTracer(writer);
    return writer;
  }

  /** A scope that matches no signal is a typo, not a request for an empty waveform. */
  private requireKnownScopes(sim: Simulator): void {
    const unknown = (this.options.scopes ?? []).filter((s) => !sim.signals.some((sig) => sig.name === s || sig.name.startsWith(`${s}.`)));
    if (unknown.length === 0) return;
    const known = [...new Set(sim.signals.map((s) => s.name.split('.').slice(0, -1).join('.')).filter((p) => p.length > 0))].sort();
    throw new VcdScopeError(unknown, known);
  }

  private traced(sig: Signal<SignalValue>): boolean {
    const scopes = this.options.scopes;
    if (!scopes || scopes.length === 0) return true;
    return scopes.some((s) => sig.name === s || sig.name.startsWith(`${s}.`));
  }

  begin(sim: Simulator): void {
    const timescale = this.options.timescale ?? '1ps';
    const unit = VCD_TIMESCALES[timescale];
    if (unit === undefined) throw new RangeError(`VCD timescale ${timescale} is not one of ${Object.keys(VCD_TIMESCALES).join(', ')}`);
    if ((sim.clockPeriodPs / 2) % unit !== 0) {
      throw new RangeError(`VCD timescale ${timescale}: half the clock period (${sim.clockPeriodPs / 2} ps) is not a whole number of units`);
    }
    this.halfPeriod = sim.clockPeriodPs / 2 / unit;
    this.requireKnownScopes(sim);
    const vcdNames = new Map<string, string>();
    const root: ScopeNode = { children: new Map(), vars: [] };
    let next = 0;
    if (this.options.clock !== false) {
      this.clockCode = vcdIdentifier(next++);
      root.vars.push({ sig: null, name: 'clk', width: 1, kind: 'wire', code: this.clockCode });
    }
    for (const sig of sim.signals) {
      if (!this.traced(sig)) continue;
      const parts = sig.name.split('.').map(sanitizeVcdName);
      const joined = parts.join('.');
      const clash = vcdNames.get(joined);
      if (clash !== undefined) throw new VcdNameError(clash, sig.name, joined);
      vcdNames.set(joined, sig.name);
      const leaf = parts.pop()!;
      let node = root;
      for (const p of parts) {
        let child = node.children.get(p);
        if (!child) {
          child = { children: new Map(), vars: [] };
          node.children.set(p, child);
        }
        node = child;
      }
      const code = vcdIdentifier(next++);
      this.codes[sig.id] = code;
      node.vars.push({ sig, name: leaf, width: sig.width, kind: sig.kind, code });
    }
    const out: string[] = [];
    if (this.options.comment) out.push(`$comment ${this.options.comment.replace(/\$end/g, '')} $end\n`);
    out.push('$version ism-sim $end\n');
    out.push(`$timescale ${timescale} $end\n`);
    const emitScope = (name: string, node: ScopeNode): void => {
      out.push(`$scope module ${name} $end\n`);
      // Vectors carry their bit range, as Verilog simulators write them (GTKWave, Surfer show it).
      for (const v of node.vars) out.push(`$var ${v.kind} ${v.width} ${v.code} ${v.name}${v.width > 1 ? ` [${v.width - 1}:0]` : ''} $end\n`);
      for (const [childName, child] of node.children) emitScope(childName, child);
      out.push('$upscope $end\n');
    };
    emitScope('top', root);
    out.push('$enddefinitions $end\n');
    this.sink.write(out.join(''));
    // Initial values are written by the first sample (cycle 0).
    this.rootScope = root;
  }

  private collectVars(node: ScopeNode, into: ScopeNode['vars']): void {
    into.push(...node.vars);
    for (const child of node.children.values()) this.collectVars(child, into);
  }

  get file(): string | undefined {
    return this.sink.path;
  }

  flush(): void {
    if (!this.ended) this.sink.flush?.();
  }

  sample(cycle: number, changed: readonly Signal<SignalValue>[]): void {
    if (this.ended) throw new Error(`VCD writer${this.file ? ` for ${this.file}` : ''} sampled after end()`);
    const time = cycle * this.halfPeriod * 2;
    if (cycle === 0 || this.lastTime < 0) {
      const all: ScopeNode['vars'] = [];
      this.collectVars(this.rootScope!, all);
      const out: string[] = ['#0\n$dumpvars\n'];
      for (const v of all) {
        if (v.sig === null) out.push(`0${v.code}\n`);
        else {
          out.push(formatValue(v.sig, v.code));
          this.lastWritten[v.sig.id] = v.sig.value;
        }
      }
      out.push('$end\n');
      this.sink.write(out.join(''));
      this.lastTime = 0;
      if (cycle === 0) return;
    }
    let body = '';
    if (changed.length > 0) {
      const sorted = changed.length > 1 ? [...changed].sort((a, b) => a.id - b.id) : changed;
      for (const sig of sorted) {
        const code = this.codes[sig.id];
        if (code === undefined || this.lastWritten[sig.id] === sig.value) continue;
        this.lastWritten[sig.id] = sig.value;
        body += formatValue(sig, code);
      }
    }
    if (this.clockCode !== null) {
      // Rising edge at the cycle's time with the new values; falling edge half a period later.
      this.sink.write(`#${time}\n1${this.clockCode}\n${body}#${time + this.halfPeriod}\n0${this.clockCode}\n`);
      this.lastTime = time + this.halfPeriod;
    } else if (body.length > 0) {
      this.sink.write(`#${time}\n${body}`);
      this.lastTime = time;
    }
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.sink.close();
  }
}
