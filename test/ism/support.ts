import { expect } from 'vitest';
import type { GuestMemory } from '../../models/host/guest-memory.ts';
import { Ieq } from '../../rtl/ism/commands.ts';

export const SBA_AT = 0x1000;
export const IEQ_AT = 0x2000;
/** DMB slot s (0..7) lives at 0x100000 * (s + 1), up to 1 MiB. */
export const dmbSlot = (s: number): number => 0x100000 * (s + 1);

/** Page image with the IEQ `time` fields zeroed (the RTL stamps cycles, the model zero). */
function page(mem: GuestMemory, n: number): Uint8Array {
  const p = mem.read(n * 4096, 4096);
  if (n * 4096 === IEQ_AT) for (let k = 0; k < Ieq.ENTRIES; k++) p.fill(0, Ieq.entryOffset(k) + 16, Ieq.entryOffset(k) + 24);
  return p;
}

/** Every touched page of two memories is equal (untouched pages read as zero). */
export function expectSameMemory(actual: GuestMemory, expected: GuestMemory, what: string): void {
  const pages = new Set([...actual.pageNumbers(), ...expected.pageNumbers()]);
  for (const n of [...pages].sort((a, b) => a - b)) {
    const a = page(actual, n);
    const e = page(expected, n);
    for (let i = 0; i < 4096; i++) {
      if (a[i] !== e[i]) {
        expect.fail(`${what}: byte 0x${(n * 4096 + i).toString(16)} is 0x${a[i].toString(16)}, reference says 0x${e[i].toString(16)}`);
      }
    }
  }
}

/** Deterministic pseudo-random bytes. */
export function patternBytes(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  let x = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    b[i] = x & 0xff;
  }
  return b;
}
