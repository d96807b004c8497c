import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';

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
