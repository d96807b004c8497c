import { CosimBuildError } from '../models/cosim/build.ts';
import { loadCosimDriver } from '../models/cosim/cosim-driver.ts';
import { CosimUnavailableError } from '../models/cosim/toolchain.ts';
import type { VfioIsmFirmwareFactory } from '../models/vfio/firmware.ts';
import { useDefaultFirmware } from '../models/vfio/vfio-device.ts';
import { UsageError } from './usage-error.ts';

/** Help text of `--driver` on run, fuzz and cosim. */
export const DRIVER_OPTION_HELP = 'a C vfio-ism variant driver (e.g. <linux>/drivers/vfio/pci/ism/main.c) run as the firmware instead of the TypeScript port (cosim; needs clang and lld)';

/**
 * Build the driver `--driver` names: its firmware factory, or a UsageError saying why not
 * (cosim unavailable, the file missing, the compiler's or linker's message).
 */
export function loadDriverOption(path: string): Promise<VfioIsmFirmwareFactory> {
  let load = loaded.get(path);
  if (!load) loaded.set(path, (load = build(path)));
  return load;
}

/** One build per driver and thread (campaign units and workers ask again and again). */
const loaded = new Map<string, Promise<VfioIsmFirmwareFactory>>();

async function build(path: string): Promise<VfioIsmFirmwareFactory> {
  try {
    return await loadCosimDriver(path);
  } catch (e) {
    if (e instanceof CosimUnavailableError || e instanceof CosimBuildError) throw new UsageError(`--driver ${path}: ${e.message}`);
    throw e;
  }
}

/** The line the summaries print about the firmware. */
export function firmwareLine(path: string | undefined): string {
  return `firmware     ${path === undefined ? 'TypeScript port (models/vfio/ism-vfio-pci.ts)' : `C driver ${path} (cosim)`}`;
}

/**
 * Run `body` with the C driver at `path` as the firmware of every vfio device opened meanwhile
 * (`ism-sim run --driver`); returns how many devices it was bound to.
 */
export async function withDefaultDriver<T>(path: string | undefined, body: () => Promise<T>): Promise<{ result: T; bound: number }> {
  if (path === undefined) return { result: await body(), bound: 0 };
  const firmware = await loadDriverOption(path);
  let bound = 0;
  const previous = useDefaultFirmware((zdev, options) => {
    bound++;
    return firmware(zdev, options);
  });
  try {
    return { result: await body(), bound };
  } finally {
    useDefaultFirmware(previous);
  }
}
