/**
 * Issue 9 hole 10: the registration order of hardware processes never changes results. Each
 * bench runs with its clocked and combinational processes registered in shuffled orders; the
 * waveforms must be byte-identical. (Testbench processes keep their order: it is part of the testbench.)
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { findBench } from '../../bench/testbenches/index.ts';
import { Simulator } from '../../rtl/hdl/index.ts';
import { testWavePath } from '../support/waves.ts';

afterEach(() => {
  delete Simulator.defaults.hardwareOrderSeed;
});

describe.each(['pcistb', 'ism-two-vm', 'probe'])('hole 10: process order changes results (bench %s)', (name) => {
  it('shuffled hardware process registration gives a byte-identical waveform', async () => {
    const waves: string[] = [];
    for (const seed of [undefined, 1, 2]) {
      Simulator.defaults.hardwareOrderSeed = seed;
      const vcdPath = testWavePath(`hardware-order-${name}-${seed ?? 'registered'}`);
      await findBench(name)!.run({ vcdPath, seed: 5, vms: name === 'ism-two-vm' ? 2 : 1 });
      waves.push(readFileSync(vcdPath, 'utf8'));
    }
    expect(waves[0].length).toBeGreaterThan(1000);
    expect(waves[1] === waves[0]).toBe(true);
    expect(waves[2] === waves[0]).toBe(true);
  });
});
