import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Simulator, VcdWriter } from '../../rtl/hdl/index.ts';
import { parseVcd } from '../../bench/wave/vcd-reader.ts';
import { clockPeriod, sampleWindow, selectSignals } from '../../bench/wave/window.ts';
import { renderSvg, renderText, toWaveJson } from '../../bench/wave/render.ts';
import { testWavePath } from '../support/waves.ts';

/** A 4-bit counter and a flag high on multiples of 3, traced with a 2 ns clock. */
function counterVcd(clock: boolean): ReturnType<typeof parseVcd> {
  const path = testWavePath(`wave-counter-${clock ? 'clk' : 'noclk'}`);
  const sim = new Simulator({ clockPeriodPs: 2000 });
  const count = sim.signal('dut.count', 4, 0, 'reg');
  const three = sim.signal('dut.three', 1);
  sim.seq('inc', () => count.set((count.value + 1) & 0xf));
  sim.comb('three', [count], () => three.set(count.value % 3 === 0 ? 1 : 0));
  VcdWriter.toFile(sim, path, { clock });
  sim.step(40);
  sim.dispose();
  return parseVcd(readFileSync(path, 'utf8'));
}

describe('ism-sim wave', () => {
  it('samples each signal once per cycle, finding the period from clk (or taking it when there is none)', () => {
    for (const clock of [true, false]) {
      const doc = counterVcd(clock);
      const period = clockPeriod(doc, 2000);
      expect(period).toBe(2000);
      const w = sampleWindow(doc, selectSignals(doc, ['dut']), 5, 12, period);
      expect(w.rows.map((r) => r.name)).toEqual(['dut.count', 'dut.three']);
      expect(w.rows[0].values).toEqual(Array.from({ length: 12 }, (_, i) => BigInt((5 + i) & 0xf)));
      expect(w.rows[1].values).toEqual(Array.from({ length: 12 }, (_, i) => ((5 + i) % 16) % 3 === 0 ? 1n : 0n));
    }
  });

  it('refuses a scope with no signals, naming the scopes there are', () => {
    const doc = counterVcd(true);
    expect(() => selectSignals(doc, ['vm0.pfu'])).toThrow('no signals under vm0.pfu in the waveform; scopes are: dut');
  });

  it('draws buses with a label per change and levels for bits, under the shared scope', () => {
    const doc = counterVcd(true);
    const w = sampleWindow(doc, selectSignals(doc, ['dut']), 0, 6, 2000);
    const json = toWaveJson(w) as { signal: { name: string; wave: string; data?: string[] }[]; head: { text: string } };
    expect(json.head.text).toBe('dut: cycles 0..5');
    expect(json.signal[0]).toEqual({ name: 'clk', wave: 'p.....' });
    expect(json.signal[1]).toEqual({ name: 'count', wave: '=33333', data: ['0x0', '0x1', '0x2', '0x3', '0x4', '0x5'] });
    expect(json.signal[2]).toEqual({ name: 'three', wave: '10.10.' });
    const svg = renderSvg(w);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('>count<');
    expect(renderText(w).split('\n')).toEqual(['dut:', 'cycle  |       (from 0)', 'count  ||||||', 'three  ‾\\_/\\_']);
  });
});
