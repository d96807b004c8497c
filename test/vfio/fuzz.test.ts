import { existsSync, readFileSync, rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseVcd } from '../../rtl/hdl/vcd-reader.ts';
import { describeFailure, runVfioFuzz } from '../../models/ref/vfio-fuzz.ts';
import { TEST_WAVES_DIR } from '../support/waves.ts';
import { propertySeed } from '../support/seed.ts';

describe('vfio-ism I/O paths under property fuzzing', () => {
  it('random pread/pwrite/region-info sequences match the reference and stay legal on the hardware', async () => {
    const seed = propertySeed(20261125, 'vfio-ism fuzz');
    const report = await runVfioFuzz({ seed, runs: 120, wavesDir: TEST_WAVES_DIR });
    if (report.failed) throw new Error(describeFailure(report));
    // The runs really exercised the paths: reads, writes, config stores, busy retries.
    expect(report.runs).toBe(120);
    expect(report.counters.operations).toBeGreaterThan(500);
    expect(report.counters.byKind.PCILG?.cc0 ?? 0).toBeGreaterThan(100);
    expect(report.counters.byKind.PCISTB?.cc0 ?? 0).toBeGreaterThan(20);
    expect(report.counters.byKind.PCISTB?.cc2 ?? 0).toBeGreaterThan(0);
  });

  for (const fault of ['skip-boundary-check', 'unaligned-reads'] as const) {
    it(`a planted driver fault (${fault}) fails, shrinks, and leaves the counterexample's waveform`, async () => {
      const seed = propertySeed(4242, `planted ${fault}`);
      const vcd = `${TEST_WAVES_DIR}/counterexample-${seed}.vcd`;
      rmSync(vcd, { force: true });
      const report = await runVfioFuzz({ seed, runs: 200, plantedFault: fault, wavesDir: TEST_WAVES_DIR });
      expect(report.failed).toBe(true);
      const text = describeFailure(report);
      expect(text).toContain(`seed ${seed}`);
      expect(text).toMatch(/path \d+(:\d+)*/);
      expect(report.vcdPath).toBe(vcd);
      // Shrinking leaves one offending call.
      expect(report.counterexample!.split(';').length).toBe(1);
      expect(existsSync(vcd)).toBe(true);
      const doc = parseVcd(readFileSync(vcd, 'utf8'));
      // The waveform shows the offending instruction on the CPU port: PCISTB (op 2) or PCILG (op 0) was issued.
      const ops = doc.changes.get('top.vm0.cpu_port.req_valid');
      expect(ops?.some((c) => c.value === 1n)).toBe(true);
      const pic = doc.changes.get('top.vm0.cpu_port.rsp_pic')!;
      expect(pic.some((c) => c.value !== 0n)).toBe(true);
    });
  }
});
