import { afterEach, describe, expect, it } from 'vitest';
import { cli } from '../support/cli.ts';
import { TESTBENCHES } from '../../bench/testbenches/index.ts';

afterEach(() => {
  process.exitCode = 0;
});

describe('ism-sim command line', () => {
  it('list names every bench with the VM counts it supports and marks the default', async () => {
    const r = await cli('list');
    expect(r.code).toBe(0);
    for (const b of TESTBENCHES) expect(r.out).toContain(b.name);
    expect(r.out).toMatch(/probe\s+1-16 VMs .*\(default\)/);
    expect(r.out).toMatch(/vfio-dmb-write\s+2-8 VMs/);
  });

  it('run prints the one-screen summary', async () => {
    const r = await cli('run', 'probe', '--no-vcd', '--vms', '2');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^bench\s+probe$/m);
    expect(r.out).toMatch(/^cycles\s+[\d,]+$/m);
    expect(r.out).toMatch(/PCISTB\s+cc0=\d+/);
    expect(r.out).toMatch(/vm1..vm1: the same bring-up and teardown; every READ_GID matches its adapter/);
  });

  it('refuses a VM count the bench does not support, an unknown bench, and bad numbers', async () => {
    const vms = await cli('run', 'ism-two-vm', '--vms', '3', '--no-vcd');
    expect(vms.code).toBe(2);
    expect(vms.err).toContain('bench ism-two-vm runs with 2 VMs, not --vms 3');
    const unknown = await cli('run', 'nosuch');
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('no testbench named "nosuch"');
    const seed = await cli('run', 'probe', '--seed', 'x');
    expect(seed.code).not.toBe(0);
    expect(seed.err).toContain('--seed must be an integer');
    const both = await cli('fuzz', '--runs', '5', '--seconds', '1');
    expect(both.code).not.toBe(0);
    expect(both.err).toContain("option '--runs <n>' cannot be used with option '--seconds <n>'");
  });

  it('fuzz runs and reports checked calls and the verdict', async () => {
    const r = await cli('fuzz', '--runs', '5', '--seed', '3', '--no-progress');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^runs\s+5 generated/m);
    expect(r.out).toMatch(/calls\s+\d+ checked/);
    expect(r.out).toContain('every property held');
  });
});
