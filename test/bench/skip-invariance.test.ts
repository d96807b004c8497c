/**
 * Issue 10 item 1: skipping idle cycles is invisible. Every bench runs with skipping on and off;
 * cycle counts, instruction outcomes, notes and every traced signal's value changes must be the
 * same. Only the clock differs: with skipping, `clk` has no edges in the cycles jumped over.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { BenchOptions } from '../../bench/harness.ts';
import { TESTBENCHES } from '../../bench/testbenches/index.ts';
import { parseVcd } from '../../bench/wave/vcd-reader.ts';
import { Simulator } from '../../rtl/hdl/index.ts';
import { testWavePath } from '../support/waves.ts';

afterEach(() => {
  Simulator.defaults.skipIdle = true;
});

/** blockdev runs a million cycles: compared on cycles and outcomes only, untraced, to keep the suite fast. */
const UNTRACED = new Set(['blockdev']);

/** One bench run with skipping on and off; everything but the clock must be the same. */
async function expectSameWithSkippingOnAndOff(name: string, options: Partial<BenchOptions> = {}, label = name): Promise<{ cycles: number; evaluated: number }> {
  const bench = TESTBENCHES.find((b) => b.name === name)!;
  const runs = [];
  for (const skip of [false, true]) {
    Simulator.defaults.skipIdle = skip;
    const vcdPath = UNTRACED.has(name) ? undefined : testWavePath(`skip-${label}-${skip ? 'on' : 'off'}`);
    const summary = await bench.run({ vcdPath, seed: 3, vms: bench.vms?.default ?? 1, ...options });
    const changes = vcdPath ? [...parseVcd(readFileSync(vcdPath, 'utf8')).changes].filter(([path]) => path !== 'top.clk') : [['untraced', []]];
    const notes = summary.notes.filter((n) => !n.includes('wall clock'));
    runs.push({ cycles: summary.cycles, evaluated: summary.evaluatedCycles, instructions: summary.instructions, notes, changes });
  }
  expect(runs[0].evaluated).toBe(runs[0].cycles);
  expect(runs[1].cycles).toBe(runs[0].cycles);
  expect(runs[1].instructions).toEqual(runs[0].instructions);
  expect(runs[1].notes).toEqual(runs[0].notes);
  expect(runs[1].changes.length).toBeGreaterThan(0);
  expect(runs[1].changes).toEqual(runs[0].changes);
  return runs[1];
}

describe.each(TESTBENCHES.map((b) => b.name))('bench %s', (name) => {
  it('gives the same cycles, outcomes and waveform (clock aside) with idle skipping on and off', async () => {
    await expectSameWithSkippingOnAndOff(name);
  });
});

describe('bench console with a typist who pauses (idle-dominated)', () => {
  it('gives the same cycles, outcomes and waveform with skipping on and off across pauses longer than the channel poll interval', async () => {
    // 30,000 cycles per line: the waiting server polls once in each pause (every 20,000 cycles).
    const skipping = await expectSameWithSkippingOnAndOff('console', { pause: 30_000 }, 'console-pause');
    expect(skipping.cycles).toBeGreaterThan(6 * 30_000);
    expect(skipping.evaluated * 10).toBeLessThan(skipping.cycles);
  });
});
