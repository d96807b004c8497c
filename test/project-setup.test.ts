/** Issue 12 defect 11, the parts that are project setup rather than the command line. */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { recordResults } from '../bench/perf/results-file.ts';

const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string>; allowScripts?: Record<string, boolean> };

describe('issue 12 defect 11: install, test and bench behave as a user expects', () => {
  it('npm install has nothing to warn about: every dependency install script is decided in allowScripts', () => {
    // npm 11 blocks dependency install scripts and warns about each one allowScripts does not cover.
    const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as { packages: Record<string, { hasInstallScript?: boolean }> };
    const withScripts = Object.entries(lock.packages)
      .filter(([, p]) => p.hasInstallScript)
      .map(([path]) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length));
    expect(withScripts.length).toBeGreaterThan(0);
    for (const name of withScripts) expect(pkg.allowScripts?.[name], name).toBeDefined();
  });

  it('vitest under npm test writes no colour codes into a log, and the suite still runs', () => {
    expect(pkg.scripts.test).toContain('node test/run-vitest.mjs');
    const r = spawnSync(process.execPath, ['test/run-vitest.mjs', 'test/hdl/rx.test.ts'], { encoding: 'utf8', env: { ...process.env, TERM: 'xterm-256color' } });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/Tests\s+\d+ passed/);
    expect(r.stdout + r.stderr).not.toContain('\u001b[');
  });

  it('npm run bench writes bench/RESULTS.md only with --record', () => {
    const write = vi.fn();
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    expect(recordResults(['node', 'bench/perf.ts'], 'figures', write)).toBe(false);
    expect(write).not.toHaveBeenCalled();
    expect(recordResults(['node', 'bench/perf.ts', '--record'], 'figures', write)).toBe(true);
    expect(write).toHaveBeenCalledWith('bench/RESULTS.md', 'figures');
    log.mockRestore();
  });

  it('tsc type-checks every TypeScript and JavaScript file in the repository', () => {
    const checked = new Set(
      execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '--listFilesOnly'], { encoding: 'utf8' })
        .split('\n')
        .map((l) => l.trim().replace(`${process.cwd()}/`, '')),
    );
    const tracked = execFileSync('git', ['ls-files', '*.ts', '*.mts', '*.mjs'], { encoding: 'utf8' }).split('\n').filter(Boolean);
    expect(tracked.length).toBeGreaterThan(50);
    expect(tracked.filter((f) => !checked.has(f))).toEqual([]);
  });

  it('the README names tsx for running the library examples', () => {
    const readme = readFileSync('README.md', 'utf8');
    const section = readme.slice(readme.indexOf('### Writing a testbench on the ISM system'));
    expect(section.slice(0, section.indexOf('```ts'))).toMatch(/npx tsx /);
  });
});
