import { spawnSync } from 'node:child_process';

/** Why cosim cannot run here, said plainly (the tools it needs and how to get them). */
export class CosimUnavailableError extends Error {
  override readonly name = 'CosimUnavailableError';
}

export interface Toolchain {
  readonly clang: string;
  readonly wasmLd: string;
  /** `clang --version`'s first line: part of the build cache key. */
  readonly version: string;
}

const INSTALL_HINT = 'cosim is unavailable: it needs clang and lld (wasm-ld) with the WebAssembly targets; on Debian/Ubuntu: apt-get install -y clang lld';

function firstLine(command: string, args: string[]): string | undefined {
  const r = spawnSync(command, args, { encoding: 'utf8' });
  if (r.error || r.status !== 0) return undefined;
  return r.stdout.split('\n')[0].trim();
}

let cached: Toolchain | CosimUnavailableError | undefined;

/**
 * The compiler and linker cosim builds drivers with: `clang` and `wasm-ld` on PATH, or the
 * programs named by ISM_SIM_CLANG / ISM_SIM_WASM_LD. Throws CosimUnavailableError when either
 * is missing or clang cannot target wasm64.
 */
export function findToolchain(): Toolchain {
  if (cached === undefined) cached = probe();
  if (cached instanceof CosimUnavailableError) throw cached;
  return cached;
}

/** Whether cosim can run here; the reason when it cannot. */
export function cosimAvailability(): { available: true } | { available: false; reason: string } {
  try {
    findToolchain();
    return { available: true };
  } catch (e) {
    if (e instanceof CosimUnavailableError) return { available: false, reason: e.message };
    throw e;
  }
}

function probe(): Toolchain | CosimUnavailableError {
  return probeToolchain(process.env.ISM_SIM_CLANG ?? 'clang', process.env.ISM_SIM_WASM_LD ?? 'wasm-ld');
}

/** Check a compiler and linker: the toolchain, or why cosim cannot use them. */
export function probeToolchain(clang: string, wasmLd: string): Toolchain | CosimUnavailableError {
  const version = firstLine(clang, ['--version']);
  if (version === undefined) return new CosimUnavailableError(`${INSTALL_HINT} (no \`${clang}\` found)`);
  if (firstLine(wasmLd, ['--version']) === undefined) return new CosimUnavailableError(`${INSTALL_HINT} (no \`${wasmLd}\` found)`);
  const targets = spawnSync(clang, ['--print-targets'], { encoding: 'utf8' });
  if (targets.status === 0 && !/\bwasm64\b/.test(targets.stdout)) return new CosimUnavailableError(`${INSTALL_HINT} (\`${clang}\` has no wasm64 target)`);
  return { clang, wasmLd, version };
}
