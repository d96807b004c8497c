import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { cosimAvailability } from '../models/cosim/toolchain.ts';

/** The README's testbench example runs as written (imports re-rooted to this folder). */
describe('README', () => {
  it('the ISM-system testbench example runs and prints the signal its handler saw', async () => {
    const readme = readFileSync('README.md', 'utf8');
    const section = readme.slice(readme.indexOf('### Writing a testbench on the ISM system'));
    const code = section.slice(section.indexOf('```ts') + 5, section.indexOf('```', section.indexOf('```ts') + 5));
    const dir = join('test', '.generated');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'readme-example.ts');
    writeFileSync(file, code.replaceAll("from './", "from '../../").replace("'waves/mine.vcd'", "'waves/test-output/readme-example.vcd'"));
    const lines: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
    try {
      await import(/* @vite-ignore */ `../${file}`);
    } finally {
      log.mockRestore();
    }
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^signal on SBA index 32 at cycle \d+$/);
  });
});

/** The `npx ism-sim …` lines of the README's shell blocks, as written (syntax summaries with [ ] < > | … left out). */
function readmeCommands(): string[] {
  const readme = readFileSync('README.md', 'utf8');
  const blocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]);
  return blocks
    .flatMap((b) => b.split('\n'))
    .map((l) => l.replace(/\s+#.*$/, '').trim())
    .filter((l) => l.startsWith('npx ism-sim ') && !/[[\]<>|…]/.test(l));
}

describe('README commands', () => {
  it('every concrete ism-sim command in the README runs as written and passes (fuzz lines are the fuzz tests\' own)', async () => {
    const { cli } = await import('./support/cli.ts');
    const gtkwave = spawnSync('sh', ['-c', 'command -v vcd2fst']).status === 0;
    const cosim = cosimAvailability().available; // --driver lines need clang and lld (CI installs them)
    const commands = readmeCommands().filter((c) => !c.startsWith('npx ism-sim fuzz') && (gtkwave || !c.includes('--fst')) && (cosim || !c.includes('--driver')));
    expect(commands.length).toBeGreaterThanOrEqual(5);
    for (const line of commands) {
      for (const command of line.split(' && ')) {
        const args = command.replace(/^npx ism-sim /, '').split(/\s+/);
        const r = await cli(...args);
        expect(r.err, command).toBe('');
        expect(r.code, command).toBe(0);
      }
    }
  });

  it('the vitest JUnit reporter line the README gives writes a JUnit report', () => {
    const readme = readFileSync('README.md', 'utf8');
    const line = /^npx vitest run (--reporter=default --reporter=junit --outputFile\.junit=(\S+))$/m.exec(readme);
    expect(line).not.toBeNull();
    const report = join('waves', 'test-output', 'junit-readme.xml');
    const r = spawnSync(process.execPath, ['test/run-vitest.mjs', 'test/hdl/rx.test.ts', ...line![1].replace(line![2], report).split(' ')], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    const xml = readFileSync(report, 'utf8');
    expect(xml).toMatch(/<testsuites [^>]*tests="\d+" failures="0"/);
    expect(xml).toContain('<testcase ');
  });
});
