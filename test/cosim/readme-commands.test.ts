import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cosimAvailability } from '../../models/cosim/toolchain.ts';
import { BUILD_TIMEOUT } from './support.ts';

/** The commands of the README's cosim section that use the project's drivers, as written. */
function readmeCommands(): string[] {
  const readme = readFileSync('README.md', 'utf8');
  const section = readme.slice(readme.indexOf('## Running a C vfio-ism driver (cosim)'));
  const block = section.slice(section.indexOf('```sh') + 5, section.indexOf('```', section.indexOf('```sh') + 5));
  return block
    .split('\n')
    .map((l) => l.replace(/#.*$/, '').trim())
    .filter((l) => l.startsWith('npx ism-sim '));
}

function ismSim(command: string): { status: number | null; out: string } {
  const args = command.replace(/^npx ism-sim /, '').split(/\s+/);
  const r = spawnSync(process.execPath, ['bench/ism-sim.mjs', ...args], { encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' } });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

// Without clang/lld these are not defined (test/cosim/cosim.test.ts says cosim is unavailable).
const commands = readmeCommands();

describe('README: cosim section', () => {
  it('has the cosim, fuzz, run and planted-fault examples with the project\'s C drivers', () => {
    expect(commands.map((c) => c.split(' ')[2])).toEqual(['cosim', 'fuzz', 'run', 'fuzz']);
    for (const c of commands) expect(c).toMatch(/--driver test\/cosim\/drivers\/[a-z-]+\.c/);
  });
});

if (cosimAvailability().available) describe('README: cosim commands run as written', () => {

  it('ism-sim cosim --driver <our C variant>: builds, brings up, fuzzes beside the TypeScript port', { timeout: BUILD_TIMEOUT }, () => {
    const r = ismSim(commands[0]);
    expect(r.out).toMatch(/bring-up +probe, open, region info 0-8 as the reference, config header 1014:04ed/);
    expect(r.out).toMatch(/fuzz C +seed 1, 20 runs: [\d,]+ calls checked/);
    expect(r.out).toContain('every property held through the C driver');
    expect(r.status).toBe(0);
  });

  it('ism-sim fuzz --driver <our C variant> holds; run --driver binds the C driver to the bench\'s vfio device', { timeout: BUILD_TIMEOUT }, () => {
    const fuzz = ismSim(commands[1]);
    expect(fuzz.out).toContain('firmware     C driver test/cosim/drivers/our-ism-variant.c (cosim)');
    expect(fuzz.out).toMatch(/every property held/);
    expect(fuzz.status).toBe(0);
    const run = ismSim(commands[2]);
    expect(run.out).toMatch(/firmware +C driver test\/cosim\/drivers\/our-ism-variant.c \(cosim\), bound to 1 vfio device/);
    expect(run.out).toMatch(/result +passed/);
    expect(run.status).toBe(0);
  });

  it('ism-sim fuzz --driver <faulty split write> fails with the rule, one call and its waveform', { timeout: BUILD_TIMEOUT }, () => {
    const r = ismSim(commands[3]);
    expect(r.out).toContain('broken rule: one PCISTB per write');
    expect(r.out).toMatch(/counterexample: maxstbl \d+, BAR4 \d+ bytes: pwrite\([^;]*\)\n/);
    expect(r.out).toMatch(/waveform of the counterexample: .*counterexample-\d+\.vcd/);
    expect(r.status).toBe(1);
  });

  it('a missing driver file is a one-line usage error (exit 2)', () => {
    const r = ismSim('npx ism-sim fuzz --driver test/cosim/drivers/no-such-driver.c --runs 1');
    expect(r.out.trim()).toBe('ism-sim: --driver test/cosim/drivers/no-such-driver.c: driver source test/cosim/drivers/no-such-driver.c does not exist');
    expect(r.status).toBe(2);
  });
});
