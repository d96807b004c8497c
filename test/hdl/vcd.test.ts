import { readFileSync, statSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  Component,
  FileSink,
  StringSink,
  VcdNameError,
  VcdScopeError,
  VcdWriter,
  Simulator,
  sanitizeVcdName,
  vcdIdentifier,
  type Signal,
} from '../../rtl/hdl/index.ts';
import { parseVcd } from '../../bench/wave/vcd-reader.ts';
import { testWavePath } from '../support/waves.ts';

/** A small design with a 1-bit, a 48-bit and a 64-bit signal, in two nested scopes. */
class Lfsr extends Component {
  readonly state: Signal<number>;
  readonly bit: Signal<number>;
  readonly wide: Signal<bigint>;
  readonly offset: Signal<bigint>;
  constructor(sim: Simulator, seed: number, parent?: Component) {
    super(sim, 'lfsr', parent);
    this.state = this.reg('state', 16, seed & 0xffff || 1);
    this.bit = this.wire('bit', 1);
    this.wide = this.wideReg('wide', 64);
    this.offset = this.wideWire('offset', 48);
    this.seq('shift', () => {
      const s = this.state.value;
      const fb = ((s >> 0) ^ (s >> 2) ^ (s >> 3) ^ (s >> 5)) & 1;
      this.state.set((s >> 1) | (fb << 15));
      this.wide.set(((this.wide.value << 1n) | BigInt(fb)) & 0xffff_ffff_ffff_ffffn);
    });
    this.comb('out', [this.state, this.wide], () => {
      this.bit.set(this.state.value & 1);
      this.offset.set(this.wide.value & 0xffff_ffff_ffffn);
    });
  }
}

class Top extends Component {
  readonly inner: Lfsr;
  constructor(sim: Simulator, seed: number) {
    super(sim, 'vm0');
    this.inner = new Lfsr(sim, seed, this);
  }
}

function simulate(seed: number, cycles: number, options: ConstructorParameters<typeof VcdWriter>[1] = {}): { text: string; top: Top } {
  const sim = new Simulator();
  const top = new Top(sim, seed);
  const sink = new StringSink();
  sim.addTracer(new VcdWriter(sink, options));
  sim.step(cycles);
  sim.dispose();
  return { text: sink.text, top };
}

describe('VCD writer', () => {
  it('writes a header with nested module scopes, widths and printable codes', () => {
    const { text } = simulate(7, 5);
    const doc = parseVcd(text);
    expect(doc.timescale).toBe('1ps');
    expect(doc.scopes).toEqual(['top', 'top.vm0', 'top.vm0.lfsr']);
    const widths = Object.fromEntries(doc.variables.map((v) => [v.path, [v.kind, v.width]]));
    expect(widths).toEqual({
      'top.clk': ['wire', 1],
      'top.vm0.lfsr.state': ['reg', 16],
      'top.vm0.lfsr.bit': ['wire', 1],
      'top.vm0.lfsr.wide': ['reg', 64],
      'top.vm0.lfsr.offset': ['wire', 48],
    });
  });

  it('declares vectors with their [msb:lsb] bit range, single bits without', () => {
    const { text } = simulate(7, 1);
    const decls = text.split('\n').filter((l) => l.startsWith('$var'));
    expect(decls.find((l) => / state /.test(l))).toMatch(/^\$var reg 16 \S+ state \[15:0\] \$end$/);
    expect(decls.find((l) => / offset /.test(l))).toMatch(/^\$var wire 48 \S+ offset \[47:0\] \$end$/);
    expect(decls.find((l) => / bit /.test(l))).toMatch(/^\$var wire 1 \S+ bit \$end$/);
    expect(() => parseVcd(text.replace('[15:0]', '[7:0]'))).toThrow(/bit range \[7:0\] does not match width 16/);
  });

  it('records exactly the values the simulation had at each cycle', () => {
    const sim = new Simulator({ clockPeriodPs: 2000 });
    const top = new Top(sim, 0xace1);
    const sink = new StringSink();
    sim.addTracer(new VcdWriter(sink));
    const expected: [number, bigint, bigint][] = [];
    sim.settled$.subscribe((cycle) => expected.push([cycle, BigInt(top.inner.state.value), top.inner.wide.value]));
    sim.step(300);
    sim.dispose();
    const doc = parseVcd(sink.text);
    expect(expected.map(([c]) => c)).toEqual(Array.from({ length: 301 }, (_, i) => i));
    for (const [cycle, state, wide] of expected) {
      expect(doc.valueAt('top.vm0.lfsr.state', cycle * 2000)).toBe(state);
      expect(doc.valueAt('top.vm0.lfsr.wide', cycle * 2000)).toBe(wide);
      expect(doc.valueAt('top.clk', cycle * 2000)).toBe(cycle === 0 ? 0n : 1n);
      expect(doc.valueAt('top.clk', cycle * 2000 + 1000)).toBe(0n);
    }
  });

  it('writes a time line only when something changed (clock off)', () => {
    const sim = new Simulator();
    const a = sim.signal('blk.a', 4, 0, 'reg');
    sim.seq('slow', () => {
      if (sim.cycle % 10 === 0) a.set((a.value + 1) & 0xf);
    });
    const sink = new StringSink();
    sim.addTracer(new VcdWriter(sink, { clock: false }));
    sim.step(100);
    sim.dispose();
    const times = sink.text.split('\n').filter((l) => l.startsWith('#'));
    // #0 plus one line per change: the counter changes at cycles 10, 20, ..., 100.
    expect(times).toEqual(['#0', ...Array.from({ length: 10 }, (_, i) => `#${(i + 1) * 10 * 1000}`)]);
  });

  it('is byte-identical for the same seed and differs for another', () => {
    expect(simulate(42, 500).text).toBe(simulate(42, 500).text);
    expect(simulate(42, 500).text).not.toBe(simulate(43, 500).text);
  });

  it('limits tracing to chosen scopes', () => {
    const sim = new Simulator();
    new Top(sim, 3);
    const other = sim.signal('net.tokens', 8);
    void other;
    const sink = new StringSink();
    sim.addTracer(new VcdWriter(sink, { scopes: ['vm0.lfsr'], clock: false }));
    sim.step(3);
    sim.dispose();
    const doc = parseVcd(sink.text);
    expect(doc.variables.map((v) => v.path).sort()).toEqual(
      ['top.vm0.lfsr.bit', 'top.vm0.lfsr.offset', 'top.vm0.lfsr.state', 'top.vm0.lfsr.wide'].sort(),
    );
  });

  it('refuses a scope that matches no signal, listing the scopes there are', () => {
    const sim = new Simulator();
    new Top(sim, 3);
    sim.addTracer(new VcdWriter(new StringSink(), { scopes: ['vm0.lfsr', 'vm9'] }));
    expect(() => sim.step()).toThrow(VcdScopeError);
    expect(() => new Simulator().step()).not.toThrow();
    const sim2 = new Simulator();
    new Top(sim2, 3);
    sim2.addTracer(new VcdWriter(new StringSink(), { scopes: ['nosuch'] }));
    expect(() => sim2.step()).toThrow('no signals under scope nosuch; scopes are: vm0.lfsr');
  });

  it('streams to a file that the reader accepts, closing it at the end of the run', () => {
    const path = testWavePath('hdl-lfsr');
    const sim = new Simulator();
    new Top(sim, 99);
    VcdWriter.toFile(sim, path, { comment: 'lfsr test' });
    sim.step(2000);
    sim.dispose();
    const doc = parseVcd(readFileSync(path, 'utf8'));
    expect(doc.endTime).toBe(2000 * 1000 + 500);
  });

  it('writes any 1..32-bit value exactly (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 32 }), fc.array(fc.nat(), { minLength: 1, maxLength: 30 }), (width, raw) => {
        const values = raw.map((v) => (width === 32 ? v >>> 0 : v % 2 ** width));
        const sim = new Simulator();
        const s = sim.signal('p.v', width, 0, 'reg');
        let i = 0;
        sim.seq('drive', () => s.set(values[Math.min(i++, values.length - 1)]));
        const sink = new StringSink();
        sim.addTracer(new VcdWriter(sink, { clock: false }));
        sim.step(values.length);
        sim.dispose();
        const doc = parseVcd(sink.text);
        values.forEach((v, k) => expect(doc.valueAt('top.p.v', (k + 1) * 1000)).toBe(BigInt(v)));
      }),
      { numRuns: 200 },
    );
  });

  it('refuses two signals that would get the same VCD name', () => {
    const sim = new Simulator();
    sim.signal('blk.a-b', 1);
    sim.signal('blk.a_b', 1);
    sim.addTracer(new VcdWriter(new StringSink()));
    expect(() => sim.step()).toThrow(VcdNameError);
    expect(() => sim.step()).toThrow(/blk\.a-b and blk\.a_b would both be written as blk\.a_b/);
  });

  it('writes in the chosen timescale, and refuses one that cannot express half a clock period', () => {
    const sim = new Simulator({ clockPeriodPs: 2000 });
    const c = sim.signal('t.c', 4, 0, 'reg');
    sim.seq('inc', () => c.set((c.value + 1) & 0xf));
    const sink = new StringSink();
    sim.addTracer(new VcdWriter(sink, { timescale: '1ns' }));
    sim.step(3);
    sim.dispose();
    const doc = parseVcd(sink.text);
    expect(doc.timescale).toBe('1ns');
    expect(doc.valueAt('top.t.c', 2 * 2)).toBe(2n); // cycle 2 at 4 ns
    expect(doc.valueAt('top.clk', 2 * 2 + 1)).toBe(0n);
    const odd = new Simulator({ clockPeriodPs: 1000 });
    odd.addTracer(new VcdWriter(new StringSink(), { timescale: '1ns' }));
    expect(() => odd.step()).toThrow(/half the clock period \(500 ps\) is not a whole number of units/);
  });

  it('identifier codes are unique and printable for many signals', () => {
    const codes = new Set<string>();
    for (let i = 0; i < 20_000; i++) {
      const c = vcdIdentifier(i);
      expect(c).toMatch(/^[!-~]+$/);
      codes.add(c);
    }
    expect(codes.size).toBe(20_000);
    expect(vcdIdentifier(0)).toBe('!');
    expect(vcdIdentifier(93)).toBe('~');
    expect(vcdIdentifier(94).length).toBe(2);
  });

  it('sanitizes names with spaces, colons and dollars', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 0, maxLength: 20 }), (name) => {
        expect(sanitizeVcdName(name)).toMatch(/^[A-Za-z0-9_]+$/);
      }),
    );
    expect(sanitizeVcdName('a b:c$d')).toBe('a_b_c_d');
  });

  it('streams: the file grows during the run and the buffer stays bounded', () => {
    const path = testWavePath('hdl-long-run');
    const sim = new Simulator();
    new Top(sim, 5);
    const sink = new FileSink(path, 1 << 16);
    sim.addTracer(new VcdWriter(sink));
    let maxBuffered = 0;
    sim.settled$.subscribe(() => (maxBuffered = Math.max(maxBuffered, sink.buffered)));
    sim.step(50_000);
    const writtenDuringRun = sink.bytesWritten;
    sim.dispose();
    const total = statSync(path).size;
    expect(total).toBeGreaterThan(1_000_000);
    expect(writtenDuringRun).toBeGreaterThan(total - (1 << 16) - 4096);
    expect(maxBuffered).toBeLessThan((1 << 16) + 4096);
  });
});

describe('VCD reader', () => {
  it('rejects malformed files with the line number', () => {
    const good = simulate(1, 3).text;
    expect(() => parseVcd(good.replace('$enddefinitions $end', ''))).toThrow(/line 15: unexpected #0 in header/);
    expect(() => parseVcd(good.replace('#2000', '#500'))).toThrow(/does not increase/);
    expect(() => parseVcd(`${good}b1 ?\n`)).toThrow(/undeclared identifier/);
    expect(() => parseVcd(good.replace('$var reg 16', '$var reg 2').replace('[15:0]', '[1:0]'))).toThrow(/of width 2/);
  });
});
