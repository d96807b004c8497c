import { enumOf } from './enums.ts';
import type { WaveWindow } from './window.ts';

/** A drawn column: one cycle, or a compressed idle stretch of `gap` cycles where nothing changed. */
export type Column = { readonly cycle: number } | { readonly gap: number; readonly from: number };

/** Idle stretches shorter than this are drawn cycle by cycle. */
export const MIN_GAP = 8;

/**
 * The window's columns, with idle stretches (no chosen signal changes for MIN_GAP cycles or more)
 * folded into one gap column: the cycles before and after the stretch stay, so every value shows.
 */
export function layoutColumns(w: WaveWindow, compress: boolean): Column[] {
  const changed = (c: number): boolean => c === 0 || w.rows.some((r) => r.values[c] !== r.values[c - 1]);
  const columns: Column[] = [];
  let c = 0;
  while (c < w.cycles) {
    let quiet = c + 1;
    while (quiet < w.cycles && !changed(quiet)) quiet++;
    // Cycles c+1 .. quiet-1 change nothing; keep c and the one before the next change.
    const idle = quiet - c - 2;
    columns.push({ cycle: w.firstCycle + c });
    if (compress && idle >= MIN_GAP) {
      columns.push({ gap: idle, from: w.firstCycle + c + 1 });
      columns.push({ cycle: w.firstCycle + quiet - 1 });
    } else {
      for (let k = c + 1; k < quiet; k++) columns.push({ cycle: w.firstCycle + k });
    }
    c = quiet;
  }
  return columns;
}

/** A value as the picture shows it: enum names, hex for buses, 0/1 for bits, x/z as such. */
export function formatValue(name: string, width: number, value: string): string {
  if (value.startsWith('r')) return value.slice(1);
  if (width === 1) return value;
  if (!/^[01]+$/.test(value)) return /^x+$/.test(value) ? 'x' : /^z+$/.test(value) ? 'z' : 'x?';
  const n = BigInt(`0b${value}`);
  const names = enumOf(name);
  const named = names?.[Number(n)];
  return named ?? `0x${n.toString(16)}`;
}
