import { join } from 'node:path';
import { buildDriver, type BuiltDriver } from '../../models/cosim/build.ts';

/** The test drivers (ours, MIT): a legal variant and planted faults. */
export const DRIVERS = join('test', 'cosim', 'drivers');
export const OUR_VARIANT = join(DRIVERS, 'our-ism-variant.c');

const builds = new Map<string, Promise<BuiltDriver>>();

/** Build once per test file (the result is also cached on disk by content). */
export function built(path: string): Promise<BuiltDriver> {
  let b = builds.get(path);
  if (!b) builds.set(path, (b = buildDriver(path)));
  return b;
}

/** Building (binaryen's first load) can take a while on a loaded machine. */
export const BUILD_TIMEOUT = 180_000;
