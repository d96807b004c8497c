import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Simulator, VcdWriter } from '../../rtl/hdl/index.ts';
import { readWindow } from '../../bench/wave/window.ts';
import { renderSvg } from '../../bench/wave/svg.ts';
import { renderText } from '../../bench/wave/text.ts';
import { findBench } from '../../bench/testbenches/index.ts';
import { cli } from '../support/cli.ts';
import { testWavePath } from '../support/waves.ts';

/** A 4-bit counter and a flag high on multiples of 3, traced with a 2 ns clock for `cycles` cycles. */
function counterVcd(clock: boolean, cycles = 40): string {
  const path = testWavePath(`wave-counter-${clock ? 'clk' : 'noclk'}-${cycles}`);
  const sim = new Simulator({ clockPeriodPs: 2000 });
  const count = sim.signal('dut.count', 4, 0, 'reg');
  const three = sim.signal('dut.three', 1);
  sim.seq('inc', () => count.set((count.value + 1) & 0xf));
  sim.comb('three', [count], () => three.set(count.value % 3 === 0 ? 1 : 0));
  VcdWriter.toFile(sim, path, { clock });
  sim.step(cycles);
  sim.dispose();
  return path;
}

function has(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
}

describe('ism-sim wave', () => {
  it('samples each signal once per cycle, finding the period from clk (or taking it when there is none)', () => {
    for (const clock of [true, false]) {
      const w = readWindow(counterVcd(clock), { scopes: ['dut'], fromCycle: 5, cycles: 12, fallbackPeriodPs: 2000 });
      expect(w.periodPs).toBe(2000);
      expect(w.rows.map((r) => r.name)).toEqual(['dut.count', 'dut.three']);
      expect(w.rows[0].values.map((v) => parseInt(v, 2))).toEqual(Array.from({ length: 12 }, (_, i) => (5 + i) & 0xf));
      expect(w.rows[1].values).toEqual(Array.from({ length: 12 }, (_, i) => (((5 + i) % 16) % 3 === 0 ? '1' : '0')));
    }
  });

  it('refuses a scope with no signals, naming the scopes there are', async () => {
    const r = await cli('wave', counterVcd(true), '--scope', 'vm0.pfu', '--text');
    expect(r.code).toBe(2);
    expect(r.err).toContain('no signals under vm0.pfu in the waveform; scopes are: dut');
  });
});

describe('issue 12 defect 3: wave clips at the end of the data and marks it', () => {
  it('refuses a window past the end, clips one that runs over it, and draws the end', async () => {
    const path = counterVcd(true, 40);
    const past = await cli('wave', path, '--scope', 'dut', '--from', '99999999', '--text');
    expect(past.code).toBe(2);
    expect(past.err).toContain('the waveform ends at cycle 40; --from 99999999 is past its end');
    const w = readWindow(path, { scopes: ['dut'], fromCycle: 35, cycles: 20, fallbackPeriodPs: 1000 });
    expect(w.cycles).toBe(6);
    expect(w.endOfData).toBe(40);
    expect(w.warnings).toEqual(['the data ends at cycle 40: 6 of 20 cycles drawn']);
    const text = renderText(w);
    expect(text).toContain('] = end of data at cycle 40');
    expect(text.split('\n').find((l) => l.startsWith('three'))).toMatch(/^three\s+\S+\]$/);
    expect(renderSvg(w)).toContain('end of data (cycle 40)');
    const inside = readWindow(path, { scopes: ['dut'], fromCycle: 0, cycles: 10, fallbackPeriodPs: 1000 });
    expect(inside.endOfData).toBeUndefined();
  });
});

describe('issue 12 defect 4: wave reads a VCD as a stream, in memory bounded by the window', () => {
  it('draws the last cycles of a VCD far bigger than the heap it is given', () => {
    const path = testWavePath('defect4-big').replace('test-output', 'test-output/../');
    // A 32-bit counter and its complement changing every cycle: about 85 bytes a cycle.
    const fd = openSync(path, 'w');
    writeSync(fd, '$timescale 1ns $end\n$scope module top $end\n$var wire 1 ! clk $end\n$var reg 32 " count [31:0] $end\n$var reg 32 # inverse [31:0] $end\n$upscope $end\n$enddefinitions $end\n');
    const cycles = 1_000_000;
    for (let c = 0; c < cycles; c += 10_000) {
      let chunk = '';
      for (let k = c; k < c + 10_000; k++) chunk += `#${k * 10}\n1!\nb${k.toString(2)} "\nb${(~k >>> 0).toString(2)} #\n#${k * 10 + 5}\n0!\n`;
      writeSync(fd, chunk);
    }
    closeSync(fd);
    expect(statSync(path).size).toBeGreaterThan(75 * 2 ** 20);
    // 48 MiB of heap: reading the file into one string (and splitting it) cannot fit.
    const out = execFileSync(process.execPath, ['--max-old-space-size=48', 'bench/ism-sim.mjs', 'wave', path, '--scope', 'count', '--from', String(cycles - 4), '--cycles', '10', '--text'], { encoding: 'utf8' });
    rmSync(path);
    expect(out).toContain(`|0x${(cycles - 4).toString(16)}`);
    expect(out).toContain(`end of data at cycle ${cycles - 1}`);
  });
});

describe('issue 12 defect 5: wave reads any IEEE 1364 VCD, and a truncated one up to the cut', () => {
  const foreign = [
    '$date',
    '\tFri Nov 27 18:41:19 2026',
    '$end',
    '$version Icarus Verilog $end',
    '$timescale 1 ns $end',
    '$scope module tb $end',
    '$var wire 1 ! clk $end',
    '$scope begin blk $end',
    '$var integer 32 " n $end',
    '$var reg 8 # data[7:0] $end',
    '$var real 64 $ level $end',
    '$upscope $end',
    '$upscope $end',
    '$enddefinitions $end',
    '$comment made by hand $end',
    '#0',
    '$dumpvars',
    '0!',
    'bx "',
    'bz #',
    'r0.5 $',
    '$end',
    ...Array.from({ length: 20 }, (_, k) => `#${k * 10 + 10}\n1!\nb${(k + 1).toString(2)} "\nb1${k.toString(2)} #\n#${k * 10 + 15}\n0!`),
    '',
  ].join('\n');

  it('a hand-written VCD with $date, begin scopes, integers, reals, x and z', async () => {
    const path = testWavePath('defect5-foreign').replace('test-output/', 'test-output/../');
    writeFileSync(path, foreign);
    const w = readWindow(path, { scopes: ['blk'], fromCycle: 0, cycles: 4, fallbackPeriodPs: 1000 });
    expect(w.periodPs).toBe(10_000);
    expect(w.rows.map((r) => r.name)).toEqual(['blk.n', 'blk.data', 'blk.level']);
    expect(w.rows[0].values).toEqual(['x', '1', '10', '11']);
    expect(renderText(w)).toContain('|z');
    rmSync(path);
  });

  it('fst2vcd output (GTKWave\'s own writer) of an ism-sim waveform', async () => {
    if (!has('vcd2fst') || !has('fst2vcd')) {
      console.warn('fst2vcd not installed: checked with the hand-written VCD only');
      return;
    }
    const vcd = counterVcd(true, 40);
    const fst = vcd.replace(/\.vcd$/, '.fst');
    const back = fst.replace('test-output/', 'test-output/../').replace(/\.fst$/, '-fst2vcd.vcd');
    execFileSync('vcd2fst', [vcd, fst]);
    writeFileSync(back, execFileSync('fst2vcd', [fst]));
    rmSync(fst);
    expect(readFileSync(back, 'utf8')).toContain('$date');
    const r = await cli('wave', back, '--scope', 'dut', '--from', '3', '--cycles', '5', '--text');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain('|0x3|0x4|0x5|0x6|0x7');
    rmSync(back);
  });

  it('a file cut mid-line is drawn up to the cut with a warning', async () => {
    const full = readFileSync(counterVcd(true, 40), 'utf8');
    const path = testWavePath('defect5-cut').replace('test-output/', 'test-output/../');
    const cut = full.indexOf('#40000');
    writeFileSync(path, full.slice(0, cut + 3));
    const before = await cli('wave', path, '--scope', 'dut', '--from', '2', '--cycles', '5', '--text');
    expect(before.code).toBe(0);
    expect(before.out).toContain('|0x2|0x3|0x4|0x5|0x6');
    const over = await cli('wave', path, '--scope', 'dut', '--from', '15', '--cycles', '10', '--text');
    expect(over.code).toBe(0);
    expect(over.out).toContain('warning: the file ends in the middle of a line');
    expect(over.out).toContain('end of data at cycle 19');
    rmSync(path);
  });
});

describe('issue 12 defect 7: --text shows every value that fits, and a legend for those that do not', () => {
  it('a short window gives each cycle room for its value; a counter too fast for its columns reads as letters with a legend', async () => {
    const path = counterVcd(true, 40);
    const short = readWindow(path, { scopes: ['dut'], fromCycle: 0, cycles: 6, fallbackPeriodPs: 1000 });
    expect(renderText(short).split('\n')).toEqual([
      'dut:',
      'cycle  0   1   2   3   4   5     (cycles 0..5)',
      'count  |0x0|0x1|0x2|0x3|0x4|0x5',
      'three  ‾‾‾‾\\_______/‾‾‾\\_______',
    ]);
    const long = renderText(readWindow(path, { scopes: ['dut'], fromCycle: 0, cycles: 40, fallbackPeriodPs: 1000 })).split('\n');
    expect(long[2]).toBe(`count  ${'|a|b|c|d|e|f|g|h|i|j|k|l|m|n|o|p'.repeat(3).slice(0, 80)}`);
    expect(long[3].trim()).toBe(Array.from({ length: 16 }, (_, i) => `${'abcdefghijklmnop'[i]}=0x${i.toString(16)}`).join(' '));
    const vcd = testWavePath('defect7-probe');
    await findBench('probe')!.run({ vcdPath: vcd, seed: 1, vms: 1 });
    const r = await cli('wave', vcd, '--scope', 'vm0.cpu_port.req_fh', 'vm0.cpu_port.req_len', '--from', '0', '--cycles', '10', '--text');
    expect(r.out).toMatch(/req_fh\s+\|0x[0-9a-f]{8} /);
    expect(r.out).not.toContain('·');
  });
});

describe('issue 12 defect 10: one whole 4 KiB PCISTB in one readable picture; the default shows the interesting scopes', () => {
  it('--insn picks the instruction; the SVG scales to fit, folds idle stretches and labels header, state and beats', async () => {
    const vcd = testWavePath('defect10-pcistb');
    await findBench('pcistb')!.run({ vcdPath: vcd, seed: 1, vms: 1 });
    const svgPath = vcd.replace(/\.vcd$/, '.svg');
    // The bench's seventh block is 4096 bytes at an aligned offset.
    const r = await cli('wave', vcd, '--insn', '7', '-o', svgPath);
    expect(r.code).toBe(0);
    const [, first, last] = /cycles (\d+)\.\.(\d+)/.exec(r.out)!.map(Number);
    expect(last - first).toBeGreaterThan(1065);
    const svg = readFileSync(svgPath, 'utf8');
    const width = Number(/<svg[^>]* width="(\d+)"/.exec(svg)![1]);
    expect(width).toBeLessThanOrEqual(2200);
    for (const label of ['>PCISTB<', '>0x1000<', '>STREAM<', '>BLOCK<', '>passed<', 'beat_be', 'beat_data', 'blk_offset', 'rsp_cc', 'idle stretch']) expect(svg).toContain(label);
    rmSync(svgPath);
  });
});
