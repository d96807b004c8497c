/** Issue 12's command-line defects, one test each (named after the defect). */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { TESTBENCHES, findBench } from '../../bench/testbenches/index.ts';
import { SINGLE_VM, runBench, traceIfAsked } from '../../bench/harness.ts';
import { WAVES_DIR } from '../../bench/project.ts';
import { cli } from '../support/cli.ts';
import { testWavePath } from '../support/waves.ts';

afterEach(() => {
  vi.restoreAllMocks();
});

/** Bench runs shared by the option sweep and the summary checks (each run once). */
const runs = new Map<string, ReturnType<typeof cli>>();
function runOnce(bench: string, vms: number, maxstbl?: number): ReturnType<typeof cli> {
  const args = ['run', bench, '--no-vcd', '--vms', String(vms), ...(maxstbl === undefined ? [] : ['--maxstbl', String(maxstbl)])];
  const key = args.join(' ');
  if (!runs.has(key)) runs.set(key, cli(...args));
  return runs.get(key)!;
}

describe('issue 12 defect 1: a refused run never touches an existing file', () => {
  it('an unknown scope, a bad maxstbl or VM count leaves the waveform byte for byte, with no temporary left', async () => {
    // Outside waves/test-output: the independent VCD check reads every file there.
    const dir = mkdtempSync(join(tmpdir(), 'ism-sim-defect1-'));
    const path = join(dir, 'probe.vcd');
    writeFileSync(path, 'an earlier waveform\n');
    for (const args of [['--scope', 'nosuch'], ['--maxstbl', '4'], ['--vms', '17'], ['--seed', '3']]) {
      const r = await cli('run', 'probe', '--vcd', path, ...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(readFileSync(path, 'utf8')).toBe('an earlier waveform\n');
    }
    expect(readdirSync(dir)).toEqual(['probe.vcd']);
    rmSync(dir, { recursive: true });
  });
});

describe('issue 12 defect 2: every option a bench accepts works over its whole accepted range', () => {
  it('sweeps --maxstbl and --vms over each bench\'s range; one past either end is refused', async () => {
    for (const bench of TESTBENCHES) {
      const vms = bench.vms ?? SINGLE_VM;
      // Both ends of both ranges in two runs per bench (one when the low maxstbl is the default,
      // which the bench's own tests run); the short benches take a denser sweep.
      const runs = bench.maxstbl && bench.maxstbl.min === bench.maxstbl.default
        ? [[vms.max, bench.maxstbl.max]]
        : [[vms.max, bench.maxstbl?.min], [vms.min, bench.maxstbl?.max]];
      if (bench.name === 'pcistb' || bench.name === 'zpci-mixed') for (const m of [2, 7, 8, 9, 63, 100, 999, 4095, 4096, 4097]) runs.push([1, m]);
      for (const [n, m] of runs) {
        const r = await runOnce(bench.name, n!, m);
        expect(r.err, `${bench.name} --vms ${n} --maxstbl ${m}`).toBe('');
        expect(r.code).toBe(0);
      }
      if (bench.maxstbl) {
        for (const bad of [bench.maxstbl.min - 1, bench.maxstbl.max + 1]) {
          expect((await cli('run', bench.name, '--no-vcd', '--maxstbl', String(bad))).code, `${bench.name} --maxstbl ${bad}`).toBe(2);
        }
      }
    }
  });

  it('an option a bench would ignore is refused, naming why', async () => {
    for (const name of ['pcilg', 'pcistg', 'kernel-demo']) {
      const r = await cli('run', name, '--no-vcd', '--maxstbl', '100');
      expect(r.code).toBe(2);
      expect(r.err).toContain(`bench ${name} has no --maxstbl`);
    }
    for (const bench of TESTBENCHES.filter((b) => !b.seeded)) {
      const r = await cli('run', bench.name, '--no-vcd', '--seed', '5');
      expect(r.code).toBe(2);
      expect(r.err).toContain('draws nothing at random');
    }
    const text = await cli('wave', 'x.vcd', '--text', '-o', 'x.svg');
    expect(text.code).toBe(2);
    expect(text.err).toContain('--text prints to the terminal; -o names an SVG file');
  });
});

describe('issue 12 defect 8: the summary is one screen, complete, consistent, and printed on failure', () => {
  it('states VM count, seed and maxstbl, fits a screen at the most VMs, and counts busy retries as the cc=2 answers', async () => {
    for (const bench of TESTBENCHES) {
      const vms = (bench.vms ?? SINGLE_VM).max;
      const maxstbl = bench.maxstbl && bench.maxstbl.min === bench.maxstbl.default ? bench.maxstbl.max : bench.maxstbl?.min;
      const r = await runOnce(bench.name, vms, maxstbl);
      expect(r.code).toBe(0);
      expect(r.out.split('\n').length, bench.name).toBeLessThanOrEqual(32);
      expect(r.out).toMatch(new RegExp(`^config\\s+${vms} VMs?, ${bench.seeded ? 'seed 1' : 'no random choices'}${maxstbl ? `, maxstbl ${maxstbl}` : ''}${bench.pause ? ', pause 0 cycles per line' : ''}$`, 'm'));
      expect(r.out).toMatch(/^result\s+passed$/m);
    }
    const probe = await runOnce('probe', 16, 16);
    const cc2 = [...probe.out.matchAll(/cc2=(\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
    expect(probe.out).toContain(`busy retries: ${cc2} `);
    expect((await cli('run', 'pcistb', '--no-vcd', '--seed', '5', '--maxstbl', '999')).out).toMatch(/^config\s+1 VM, seed 5, maxstbl 999$/m);
  });

  it('a failed run prints its summary with the verdict and the waveform it kept, and exits 1', async () => {
    const bench = findBench('kernel-demo')!;
    vi.spyOn(bench, 'run').mockImplementation((options) =>
      runBench('kernel-demo', options, async ({ sim }) => {
        sim.signal('demo.count', 8);
        traceIfAsked(sim, options, 'failing');
        sim.step(5);
        throw new Error('bench check failed: planted');
      }),
    );
    const path = testWavePath('defect8-failed');
    rmSync(path, { force: true });
    const json = path.replace(/\.vcd$/, '.json');
    const r = await cli('run', 'kernel-demo', '--vcd', path, '--json', json);
    expect(r.code).toBe(1);
    expect(JSON.parse(readFileSync(json, 'utf8'))).toMatchObject({ result: 'failed', failure: 'bench check failed: planted', cycles: 5 });
    expect(r.out).toMatch(/^cycles\s+5$/m);
    expect(r.out).toMatch(/^result\s+FAILED: bench check failed: planted$/m);
    expect(r.out).toMatch(new RegExp(`^waveform\\s+.*defect8-failed\\.vcd \\(\\d+ B\\)$`, 'm'));
    expect(readFileSync(path, 'utf8')).toContain('$enddefinitions');
  });
});

describe('issue 12 defect 9: files go where asked, inputs are never overwritten, only waves/ is created', () => {
  it('refuses a waveform in a folder that does not exist, creating nothing', async () => {
    const base = mkdtempSync(join(tmpdir(), 'ism-sim-'));
    const r = await cli('run', 'kernel-demo', '--vcd', join(base, 'no', 'such', 'x.vcd'));
    expect(r.code).toBe(2);
    expect(r.err).toContain('does not exist');
    expect(readdirSync(base)).toEqual([]);
    rmSync(base, { recursive: true });
  });

  it('wave f.vcd -o f.vcd is refused and the input kept', async () => {
    const path = testWavePath('defect9-input');
    await cli('run', 'kernel-demo', '--vcd', path);
    const before = readFileSync(path);
    const r = await cli('wave', path, '--scope', 'demo', '-o', path);
    expect(r.code).toBe(2);
    expect(r.err).toContain('is the input file');
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it('the default waveform goes to the project\'s waves/ folder from any working folder', async () => {
    const elsewhere = mkdtempSync(join(tmpdir(), 'ism-sim-cwd-'));
    const home = process.cwd();
    rmSync(join(WAVES_DIR, 'kernel-demo.vcd'), { force: true });
    process.chdir(elsewhere);
    try {
      const r = await cli('run', 'kernel-demo');
      expect(r.code).toBe(0);
    } finally {
      process.chdir(home);
    }
    expect(existsSync(join(elsewhere, 'waves'))).toBe(false);
    expect(existsSync(join(WAVES_DIR, 'kernel-demo.vcd'))).toBe(true);
    rmSync(elsewhere, { recursive: true });
  });
});

describe('issue 12 defect 11: one exit code rule, one-line option errors, --version', () => {
  it('0 passed, 1 failed, 2 refused; an option error is one line and a hint, not the help', async () => {
    expect((await cli('run', 'kernel-demo', '--no-vcd')).code).toBe(0);
    expect((await cli()).code).toBe(2);
    expect((await cli('run', '--help')).code).toBe(0);
    for (const args of [['run', 'nosuch'], ['run', 'probe', '--vms', 'x'], ['run', 'probe', '--bogus'], ['nosuch'], ['wave', 'no-such.vcd', '--cycles', '0']]) {
      const r = await cli(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err.split('\n').filter((l) => l.trim() !== '').length, r.err).toBeLessThanOrEqual(2);
      expect(r.err).not.toContain('Usage:');
    }
    expect((await cli('run', 'probe', '--vms', 'x')).err).toContain('(ism-sim run --help lists the options)');
    const version = await cli('--version');
    expect(version.code).toBe(0);
    expect(version.out.trim()).toBe(JSON.parse(readFileSync('package.json', 'utf8')).version);
    expect((await cli('--help')).out).toContain('2  refused: bad usage, option or file');
  });
});

