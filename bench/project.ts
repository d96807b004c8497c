import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The ism-sim checkout (or installed package) this command belongs to, wherever it is run from. */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The project's waveform folder: the only folder ism-sim ever creates. */
export const WAVES_DIR = join(PROJECT_ROOT, 'waves');

/** The package version, for `--version`. */
export const VERSION: string = (JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
