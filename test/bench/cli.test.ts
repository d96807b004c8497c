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
    expect(r.out).toMatch(/^evaluated\s+[\d,]+ cycles \(\d+\.\d% jumped over as idle\)$/m);
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

  it('run console --pause: the typist waits that many cycles before each line; the run is mostly idle and jumped over', async () => {
    const r = await cli('run', 'console', '--no-vcd', '--pause', '100000');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^config\s+2 VMs, no random choices, maxstbl 4096, pause 100,000 cycles per line$/m);
    const cycles = Number(/^cycles\s+([\d,]+)$/m.exec(r.out)![1].replaceAll(',', ''));
    expect(cycles).toBeGreaterThan(6 * 100_000);
    expect(cycles).toBeLessThan(6 * 100_000 + 10_000);
    const jumped = Number(/^evaluated\s+[\d,]+ cycles \(([\d.]+)% jumped over as idle\)$/m.exec(r.out)![1]);
    expect(jumped).toBeGreaterThan(99);
    expect(r.out).toContain('| root@vm0:~# exit');
    // The top of the range: six pauses of 10^7 cycles outlast the bench's usual run limit.
    const longest = await cli('run', 'console', '--no-vcd', '--pause', '10000000');
    expect(longest.err).toBe('');
    expect(longest.out).toMatch(/^result\s+passed$/m);
    const json = await cli('run', 'console', '--no-vcd', '--pause', '1', '--json', '-');
    expect(JSON.parse(json.out)).toMatchObject({ config: { pause: 1 }, result: 'passed' });
    expect(json.out).toMatch(/"evaluatedCycles": \d+/);
  });

  it('refuses --pause on a bench nobody types in, outside the console\'s range, and a value that is no integer', async () => {
    const probe = await cli('run', 'probe', '--no-vcd', '--pause', '5');
    expect(probe.code).toBe(2);
    expect(probe.err).toContain('bench probe has no --pause: nobody types at a terminal in it');
    const long = await cli('run', 'console', '--no-vcd', '--pause', '10000001');
    expect(long.code).toBe(2);
    expect(long.err).toContain('bench console works with --pause 0 to 10000000 cycles, not 10000001');
    for (const bad of ['-1', '1.5', 'soon']) {
      const r = await cli('run', 'console', '--no-vcd', '--pause', bad);
      expect(r.code, bad).toBe(2);
      expect(r.err).toContain('--pause must be an integer from 0 to');
    }
  });

  it('fuzz runs and reports checked calls and the verdict', async () => {
    const r = await cli('fuzz', '--runs', '5', '--seed', '3', '--no-progress');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^runs\s+5 generated/m);
    expect(r.out).toMatch(/calls\s+\d+ checked/);
    expect(r.out).toContain('every property held');
  });
});
