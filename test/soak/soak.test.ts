import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runSoak } from '../../bench/soak/engine.ts';
import { FAULT_KINDS, FaultGenerator, formatSchedule, parseSchedule } from '../../bench/soak/faults.ts';
import { replayCommand } from '../../bench/soak/report.ts';
import { shrinkFailure } from '../../bench/soak/shrink.ts';

describe('soak: fault schedule', () => {
  it('every block of consecutive faults holds each enabled kind once; the text form round-trips', () => {
    const g = new FaultGenerator(7, FAULT_KINDS, 4, 10_000, 0);
    const faults = Array.from({ length: FAULT_KINDS.length * 3 }, () => g.take()!);
    for (let b = 0; b < 3; b++) expect(new Set(faults.slice(b * 7, b * 7 + 7).map((f) => f.kind)).size).toBe(7);
    expect(faults.every((f, i) => i === 0 || f.at > faults[i - 1].at)).toBe(true);
    expect(faults.filter((f) => f.kind === 'stop').every((f) => f.vm >= 1)).toBe(true);
    expect(faults.filter((f) => f.kind === 'badreq').every((f) => f.vm === 2)).toBe(true);
    expect(parseSchedule(formatSchedule(faults), 4)).toEqual(faults);
    expect(() => parseSchedule('12:busy/bar9@vm0x1', 4)).toThrow(/busy has no variant "bar9"/);
    expect(() => parseSchedule('12:busy/bar2@vm7x1', 4)).toThrow(/names vm7, but there are 4 VMs/);
  });
});

describe('soak: a short run (fixed seed, every fault kind)', () => {
  it('injects every fault kind, recovers, and reports zero violations; every page freed', async () => {
    const r = await runSoak({ seed: 3, vms: 3, faults: FAULT_KINDS, ops: 1500, faultInterval: 40_000 });
    expect(r.violations).toEqual([]);
    const kinds = new Set(Object.keys(r.faults).map((k) => k.split('/')[0]));
    expect([...kinds].sort()).toEqual([...FAULT_KINDS].sort());
    expect(r.totalOps).toBeGreaterThanOrEqual(1500);
    expect(r.recoveries.reconnect).toBeGreaterThan(1);
    expect(r.operations['block-write']).toBeGreaterThan(0);
    expect(r.operations['console-line']).toBeGreaterThan(0);
  }, 120_000);
});

describe('soak: a planted bug', () => {
  it('ack-before-apply (the daemon acknowledges a write before it is on the disk) is found, shrunk, and its printed replay reproduces it', async () => {
    const base = { seed: 5, vms: 3, faults: FAULT_KINDS, ops: 800, faultInterval: 25_000, plant: 'ack-before-apply' as const };
    const failing = await runSoak(base);
    expect(failing.violations.length).toBeGreaterThan(0);
    expect(failing.violations[0].invariant).toBe('every acknowledged write reads back with the same bytes');
    const shrunk = (await shrinkFailure(base, failing, 20_000))!;
    expect(shrunk).not.toBeNull();
    expect(shrunk.options.schedule!.length).toBeLessThanOrEqual(parseSchedule(failing.schedule, 3).length);
    // The replay, run exactly as printed, breaks the same invariant and writes the failing window.
    const command = replayCommand(shrunk.options);
    const args = [...command.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]).slice(2);
    const dir = mkdtempSync(join(tmpdir(), 'soak-'));
    const wave = join(dir, 'w.vcd');
    const json = join(dir, 'r.json');
    const run = spawnSync(process.execPath, ['bench/ism-sim.mjs', ...args, '--wave', wave, '--json', json], { encoding: 'utf8' });
    expect(run.status).toBe(1);
    expect(run.stdout).toContain(`${shrunk.violation.invariant}: ${shrunk.violation.detail}`);
    expect(existsSync(wave)).toBe(true);
    const report = JSON.parse(readFileSync(json, 'utf8'));
    expect(report.violations[0].cycle).toBe(shrunk.violation.cycle);
    expect(readFileSync(wave, 'utf8')).toContain(`time 0 = cycle ${report.windowFrom}`);
  }, 180_000);
});
