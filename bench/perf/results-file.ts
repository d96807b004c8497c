import { writeFileSync } from 'node:fs';

/** The tracked results file; `npm run bench` writes it only when asked (`-- --record`). */
export const RESULTS_FILE = 'bench/RESULTS.md';

/** Write the results file if `--record` is among the arguments; says what it did either way. */
export function recordResults(argv: readonly string[], text: string, write: (path: string, text: string) => void = writeFileSync): boolean {
  if (!argv.includes('--record')) {
    console.log(`\nnot recorded (npm run bench -- --record writes ${RESULTS_FILE})`);
    return false;
  }
  write(RESULTS_FILE, text);
  console.log(`\nwritten to ${RESULTS_FILE}`);
  return true;
}
