import { existsSync, readFileSync, rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseVcd } from '../../bench/wave/vcd-reader.ts';
import { DEVICE_ERROR_STATUSES } from '../../models/ref/instruction-fault-injector.ts';
import { describeFailure, runVfioFuzz, type FuzzReport } from '../../models/ref/vfio-fuzz.ts';
import type { CoverageTable } from '../../models/ref/fuzz-coverage.ts';
import { TEST_WAVES_DIR } from '../support/waves.ts';
import { propertySeed } from '../support/seed.ts';
import { plantedFirmware, type PlantedDriverBug } from '../support/planted-firmware.ts';

function hits(table: CoverageTable, group: string, bin: string): number {
  return table.find((g) => g.group === group)?.bins.find((b) => b.bin === bin)?.hits ?? 0;
}

function expectFailure(report: FuzzReport): NonNullable<FuzzReport['failure']> {
  if (!report.failure) throw new Error(`the planted bug went unnoticed in ${report.runs} runs`);
  return report.failure;
}

describe('vfio-ism I/O paths under property fuzzing', () => {
  it('random pread/pwrite/region-info sequences with injected faults match the reference and stay legal on the hardware', async () => {
    const seed = propertySeed(20261125, 'vfio-ism fuzz');
    const report = await runVfioFuzz({ seed, runs: 150, wavesDir: TEST_WAVES_DIR });
    if (report.failure) throw new Error(describeFailure(report));
    expect(report.runs).toBe(150);
    expect(report.counters.operations).toBeGreaterThan(500);
    expect(report.counters.byKind.PCILG?.cc0 ?? 0).toBeGreaterThan(100);
    expect(report.counters.byKind.PCISTB?.cc0 ?? 0).toBeGreaterThan(20);
    expect(report.counters.byKind.PCISTB?.cc2 ?? 0).toBeGreaterThan(0);
  });

  it('fault model too narrow: instructions fail mid-call with cc 1 and each status, cc 3, program checks, and an error state between two accesses of one read', async () => {
    const seed = propertySeed(7, 'vfio-ism fuzz fault model');
    const report = await runVfioFuzz({ seed, runs: 300, wavesDir: TEST_WAVES_DIR });
    if (report.failure) throw new Error(describeFailure(report));
    const kinds = report.counters.byKind;
    const all = Object.values(kinds).flatMap((k) => Object.keys(k));
    for (const st of DEVICE_ERROR_STATUSES) expect(all, `cc 1 status ${st}`).toContain(`cc1/st${st}`);
    expect(all).toContain('cc3');
    expect(all).toContain('pic02');
    expect(all).toContain('pic06');
    for (const bin of ['error state between two accesses of one read', 'calls while in the error state', 'function taken away (cc 3) mid-call']) {
      expect(hits(report.coverage, 'injected fault', bin), bin).toBeGreaterThan(0);
    }
    for (const bin of ['read cc 1 → EIO', 'read cc 3 → EIO', 'read program check → ENXIO', 'write cc 1 → EIO', 'write program check → ENXIO', 'read unmapped user buffer → EFAULT', 'write unmapped user buffer → EFAULT']) {
      expect(hits(report.coverage, 'driver errno path', bin), bin).toBeGreaterThan(0);
    }
  });

  const planted: [PlantedDriverBug, string, string][] = [
    ['stale-bytes-on-failed-load', 'a failed load copies nothing to the user', 'v5 stale bytes on a failed load'],
    ['byte-wise-reads', 'PCILG widths of ism_vfio_pci_do_io_r', 'oracle checks PCILG widths'],
    ['load-after-failure', 'nothing issued after a failure', 'oracle checks nothing is issued after a failure'],
    ['split-writes', 'one PCISTB per write', 'oracle checks one PCISTB per write'],
    ['store-buffer-crosses-page', 'PCISTB source crosses 4 KiB', 'the driver invariant on the store buffer names its rule'],
  ];
  for (const [bug, rule, defect] of planted) {
    it(`${defect}: a planted driver bug (${bug}) fails with the rule "${rule}"`, async () => {
      const seed = propertySeed(4242, `planted ${bug}`);
      const failure = expectFailure(await runVfioFuzz({ seed, runs: 300, firmware: plantedFirmware(bug), wavesDir: TEST_WAVES_DIR }));
      expect(failure.rule).toBe(rule);
      expect(failure.message).toMatch(new RegExp(`^rule "${rule}" broken by p(read|write)`));
      // Shrunk to the offending call, with the fault that provokes it when one is needed.
      expect(failure.counterexample.split(';').length).toBeLessThanOrEqual(2);
    });
  }

  for (const [fault, rule] of [
    ['skip-boundary-check', 'PCISTB crosses 4 KiB on the PCI side'],
    ['unaligned-reads', 'PCILG within one doubleword'],
  ] as const) {
    it(`rule checks run before return values: a planted driver fault (${fault}) names "${rule}", shrinks, and leaves the counterexample's waveform`, async () => {
      const seed = propertySeed(4242, `planted ${fault}`);
      const vcd = `${TEST_WAVES_DIR}/counterexample-${seed}.vcd`;
      rmSync(vcd, { force: true });
      const report = await runVfioFuzz({ seed, runs: 200, plantedFault: fault, wavesDir: TEST_WAVES_DIR });
      const failure = expectFailure(report);
      // The return value differs too (-ENXIO from the program check); the message names the rule.
      expect(failure.rule).toBe(rule);
      const text = describeFailure(report);
      expect(text).toContain(`broken rule: ${rule}`);
      expect(failure.counterexample.split(';').length).toBe(1);
      expect(failure.vcdPath).toBe(vcd);
      expect(existsSync(vcd)).toBe(true);
      const doc = parseVcd(readFileSync(vcd, 'utf8'));
      expect(doc.changes.get('top.vm0.cpu_port.req_valid')?.some((c) => c.value === 1n)).toBe(true);
      expect(doc.changes.get('top.vm0.cpu_port.rsp_pic')!.some((c) => c.value !== 0n)).toBe(true);
    });
  }
});
