import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findToolchain } from './toolchain.ts';
import { ASYNC_IMPORTS, SHIM_IMPORTS } from './imports.ts';

const SHIM = join(dirname(fileURLToPath(import.meta.url)), 'shim');

/** The driver did not build: the compiler's or linker's own words. */
export class CosimBuildError extends Error {
  override readonly name = 'CosimBuildError';
}

export interface BuiltDriver {
  /** The driver source it was built from. */
  readonly source: string;
  /** The asyncified module, ready to instantiate once per bound device. */
  readonly module: WebAssembly.Module;
  /** Its size in bytes. */
  readonly wasmBytes: number;
}

/** Stack size of the module (wasm-ld places it first, so an overflow runs off the bottom of memory, not into data). */
export const STACK_BYTES = 64 * 1024;

const CFLAGS = [
  // LP64 like s390x (long, size_t and pointers are 64 bits); binaryen lowers the memory to wasm32 afterwards.
  '--target=wasm64-unknown-unknown',
  '-std=gnu11',
  '-O2',
  '-nostdinc',
  '-ffreestanding',
  '-fno-builtin',
  '-fno-strict-aliasing',
  '-Wall',
  '-Wno-unused-function',
  '-Werror=implicit-function-declaration',
  '-Werror=incompatible-pointer-types',
  '-Werror=int-conversion',
];

function shimFiles(dir = SHIM): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? shimFiles(join(dir, e.name)) : [join(dir, e.name)]))
    .sort();
}

function neighbours(source: string): string[] {
  const dir = dirname(source);
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() && /\.[ch]$/.test(e.name))
    .map((e) => join(dir, e.name))
    .sort();
}

function run(command: string, args: string[], what: string): void {
  const r = spawnSync(command, args, { encoding: 'utf8' });
  if (r.error) throw new CosimBuildError(`${what}: ${r.error.message}`);
  if (r.status !== 0) throw new CosimBuildError(`${what} failed:\n${(r.stderr || r.stdout).trim()}`);
}

/**
 * Compile a vfio-pci variant driver (one C file, e.g. a kernel tree's
 * drivers/vfio/pci/ism/main.c) against the shim and make it blocking-capable:
 *
 * 1. a temporary tree mirrors drivers/vfio/pci/<dir>/: the driver is copied there unchanged and
 *    the shim's vfio_pci_priv.h sits one level up, so `#include "../vfio_pci_priv.h"` resolves;
 * 2. clang compiles it and the glue for wasm64 (no host headers: -nostdinc, only the shim's);
 * 3. wasm-ld links them; a symbol neither defines nor the simulation provides is a link error
 *    naming it (a shim gap);
 * 4. binaryen lowers the 64-bit memory to a 32-bit one (Node runs memory64 only behind a flag) and
 *    its asyncify pass lets the zPCI and config-space calls suspend the C stack while the
 *    simulation runs the instruction (see README.md: why asyncify).
 *
 * Results are cached by content (driver, shim, compiler) under the OS temp directory.
 */
export async function buildDriver(sourcePath: string): Promise<BuiltDriver> {
  const source = resolve(sourcePath);
  if (!existsSync(source)) throw new CosimBuildError(`driver source ${sourcePath} does not exist`);
  const tools = findToolchain();
  const hash = createHash('sha256');
  hash.update(tools.version).update('\0').update(CFLAGS.join(' ')).update('\0').update(source).update('\0');
  // The driver and its neighbours (a driver may include a sibling header or source file).
  for (const f of neighbours(source)) hash.update(basename(f)).update('\0').update(readFileSync(f));
  for (const f of shimFiles()) hash.update(relative(SHIM, f)).update('\0').update(readFileSync(f));
  const key = hash.digest('hex').slice(0, 24);
  const cacheDir = join(tmpdir(), 'ism-sim-cosim');
  const cached = join(cacheDir, `${key}.wasm`);
  if (existsSync(cached)) {
    const wasm = readFileSync(cached);
    return { source, module: await WebAssembly.compile(wasm), wasmBytes: wasm.length };
  }

  mkdirSync(cacheDir, { recursive: true });
  const work = mkdtempSync(join(tmpdir(), 'ism-sim-cosim-build-'));
  try {
    const driverDir = join(work, 'drivers', 'vfio', 'pci', basename(dirname(source)) || 'ism');
    mkdirSync(driverDir, { recursive: true });
    const mirrored = join(driverDir, basename(source));
    copyFileSync(source, mirrored);
    copyFileSync(join(SHIM, 'drivers-vfio-pci', 'vfio_pci_priv.h'), join(driverDir, '..', 'vfio_pci_priv.h'));
    // Quote includes: the mirrored file's own directory first (so "../vfio_pci_priv.h" is the shim's),
    // then the mirror again and the driver's real directory (siblings it includes).
    const include = ['-iquote', driverDir, '-iquote', dirname(source), '-I', join(SHIM, 'include')];
    const modname = basename(dirname(source)).replace(/[^A-Za-z0-9_]/g, '_') || 'cosim_driver';
    run(tools.clang, [...CFLAGS, ...include, `-DKBUILD_MODNAME="${modname}"`, '-c', mirrored, '-o', join(work, 'driver.o')], `clang ${sourcePath}`);
    run(tools.clang, [...CFLAGS, ...include, '-c', join(SHIM, 'glue', 'glue.c'), '-o', join(work, 'glue.o')], 'clang glue.c');
    const allowed = join(work, 'imports.txt');
    writeFileSync(allowed, SHIM_IMPORTS.join('\n') + '\n');
    run(
      tools.wasmLd,
      ['-mwasm64', '--no-entry', `--allow-undefined-file=${allowed}`, '-z', `stack-size=${STACK_BYTES}`, '--stack-first', '--export=__heap_base', '-o', join(work, 'linked.wasm'), join(work, 'driver.o'), join(work, 'glue.o')],
      'wasm-ld',
    );
    const wasm = await asyncify(readFileSync(join(work, 'linked.wasm')));
    const module = await WebAssembly.compile(wasm);
    writeFileSync(join(work, 'out.wasm'), wasm);
    renameSync(join(work, 'out.wasm'), cached);
    return { source, module, wasmBytes: wasm.length };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function asyncify(wasm: Uint8Array): Promise<Uint8Array> {
  const binaryen = (await import('binaryen')).default;
  const mod = binaryen.readBinary(wasm);
  try {
    const F = binaryen.Features;
    mod.setFeatures(F.MutableGlobals | F.SignExt | F.Memory64);
    mod.runPasses(['memory64-lowering']);
    mod.setFeatures(F.MutableGlobals | F.SignExt);
    binaryen.setOptimizeLevel(2);
    binaryen.setPassArgument('asyncify-imports', ASYNC_IMPORTS.map((name) => `env.${name}`).join(','));
    mod.runPasses(['asyncify']);
    mod.optimize();
    if (!mod.validate()) throw new CosimBuildError('asyncify produced an invalid module');
    return mod.emitBinary();
  } finally {
    mod.dispose();
  }
}
