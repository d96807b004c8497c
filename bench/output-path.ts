import { existsSync, mkdirSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { WAVES_DIR } from './project.ts';
import { UsageError } from './usage-error.ts';

/**
 * Check a file ism-sim is about to write, before anything runs: its folder must exist (only the
 * project's own `waves/` folder is created, and only that one level), it must not be a folder,
 * and it must not be one of the inputs. Returns the absolute path.
 */
export function prepareOutput(path: string, what: string, inputs: readonly string[] = []): string {
  const target = resolve(path);
  const dir = dirname(target);
  if (dir === WAVES_DIR && !existsSync(dir)) mkdirSync(dir);
  if (!existsSync(dir)) throw new UsageError(`${what} ${path}: folder ${dir} does not exist (ism-sim creates only the project's waves/ folder)`);
  if (!statSync(dir).isDirectory()) throw new UsageError(`${what} ${path}: ${dir} is not a folder`);
  if (existsSync(target) && statSync(target).isDirectory()) throw new UsageError(`${what} ${path} is a folder`);
  const real = existsSync(target) ? realpathSync(target) : target;
  for (const input of inputs) {
    if (existsSync(input) && realpathSync(input) === real) throw new UsageError(`${what} ${path} is the input file; choose another output`);
  }
  return target;
}

/** A path as the user should read it: relative to the working folder when it lies under it. */
export function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}
