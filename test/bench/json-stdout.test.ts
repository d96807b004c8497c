import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../bench/project.ts';

const dir = mkdtempSync(join(tmpdir(), 'ism-sim-json-stdout-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `ism-sim <args>` as a user runs it, from an empty working folder. */
function ismSim(...args: string[]): { stdout: string; stderr: string; status: number | null } {
  return spawnSync(process.execPath, [join(PROJECT_ROOT, 'bench', 'ism-sim.mjs'), ...args], { cwd: dir, encoding: 'utf8' });
}

describe('--json - prints the JSON alone on stdout, for a pipe (fuzz and soak wrote a file named "-")', () => {
  it('fuzz --json -: stdout is one JSON document, the summary is on stderr, no file is written', () => {
    const r = ismSim('fuzz', '--runs', '5', '--seed', '3', '--workers', '1', '--no-progress', '--json', '-');
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.stdout) as { tool: string; result: string; runs: number };
    expect(doc).toMatchObject({ tool: 'ism-sim fuzz', result: 'passed', runs: 5 });
    expect(r.stderr).toMatch(/^calls +\d+ checked/m);
    expect(existsSync(join(dir, '-'))).toBe(false);
  }, 60_000);

  it('soak --json -: the same; a --json file in a missing folder is refused before the soak runs', () => {
    const r = ismSim('soak', '--ops', '40', '--faults', 'none', '--json', '-');
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.stdout) as { seed: number; violationCount: number };
    expect(doc).toMatchObject({ seed: 1, violationCount: 0 });
    expect(r.stderr).not.toBe('');
    expect(existsSync(join(dir, '-'))).toBe(false);
    const bad = ismSim('soak', '--ops', '40', '--json', join(dir, 'no', 'such', 'r.json'));
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--json .*r\.json: folder .* does not exist/);
    expect(bad.stdout).toBe('');
  }, 60_000);
});
