import type { VcdDocument } from './vcd-reader.ts';

/** A run of cycles of chosen signals, sampled once per cycle (at the rising edge's time). */
export interface WaveWindow {
  readonly firstCycle: number;
  readonly cycles: number;
  readonly periodPs: number;
  /** Signal path (without the `top.` root) → value per cycle. */
  readonly rows: { readonly name: string; readonly width: number; readonly values: bigint[] }[];
}

/** The clock period, from the first two rising edges of `top.clk`; `fallback` if there is no clock. */
export function clockPeriod(doc: VcdDocument, fallback: number): number {
  const clk = doc.changes.get('top.clk');
  const rises = (clk ?? []).filter((c) => c.value === 1n).map((c) => c.time);
  return rises.length >= 2 ? rises[1] - rises[0] : fallback;
}

/** Signals under any of `scopes` (or named exactly); throws naming what matched nothing. */
export function selectSignals(doc: VcdDocument, scopes: readonly string[]): string[] {
  const picked: string[] = [];
  for (const s of scopes) {
    const full = s.startsWith('top.') ? s : `top.${s}`;
    const hits = doc.variables.filter((v) => v.path === full || v.path.startsWith(`${full}.`)).map((v) => v.path);
    if (hits.length === 0) {
      const known = doc.scopes.map((x) => x.replace(/^top\.?/, '')).filter((x) => x.length > 0);
      throw new Error(`no signals under ${s} in the waveform; scopes are: ${known.join(' ')}`);
    }
    for (const h of hits) if (!picked.includes(h)) picked.push(h);
  }
  return picked;
}

export function sampleWindow(doc: VcdDocument, paths: readonly string[], firstCycle: number, cycles: number, periodPs: number): WaveWindow {
  const rows = paths.map((path) => {
    const v = doc.variables.find((x) => x.path === path)!;
    const values: bigint[] = [];
    for (let c = 0; c < cycles; c++) values.push(doc.valueAt(path, (firstCycle + c) * periodPs));
    return { name: path.replace(/^top\./, ''), width: v.width, values };
  });
  return { firstCycle, cycles, periodPs, rows };
}
