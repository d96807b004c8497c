import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Directory where tests leave the VCDs they write. After vitest, `npm test` hands every file
 * here to an independent reader (test/independent-vcd-check.ts).
 */
export const TEST_WAVES_DIR = join('waves', 'test-output');

export function testWavePath(name: string): string {
  mkdirSync(TEST_WAVES_DIR, { recursive: true });
  return join(TEST_WAVES_DIR, `${name.replace(/[^A-Za-z0-9_.-]/g, '_')}.vcd`);
}
