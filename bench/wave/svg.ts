import { formatValue, layoutColumns, type Column } from './columns.ts';
import { commonScope } from './text.ts';
import type { WaveWindow } from './window.ts';

/** Width the waves aim for; the scale per cycle is chosen so the window fits it (1 to 40 px a cycle). */
export const TARGET_WIDTH = 1800;
const ROW = 22;
const GAP = 18;
const CHAR = 6.6;
const TOP = 44;

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Pixels per cycle so that the window's cycle columns fit TARGET_WIDTH. */
export function cycleWidth(columns: readonly Column[]): number {
  const cycles = columns.filter((c) => !('gap' in c)).length;
  const gaps = columns.length - cycles;
  return Math.max(1, Math.min(40, Math.floor((TARGET_WIDTH - gaps * GAP) / Math.max(1, cycles))));
}

/**
 * The window as one SVG picture in the style of a waveform viewer: a cycle axis, levels for bits,
 * bands for buses labelled wherever the label fits (enum names for encoded signals), idle
 * stretches folded into a marked gap, and the end of the data drawn as a red line.
 */
export function renderSvg(w: WaveWindow): string {
  const scope = commonScope(w);
  // Fold idle stretches only when drawing every cycle would leave less than 20 px a cycle.
  const columns = layoutColumns(w, w.cycles * 20 > TARGET_WIDTH);
  const px = cycleWidth(columns);
  const names = w.rows.map((r) => r.name.slice(scope.length));
  const left = Math.ceil(Math.max(5, ...names.map((n) => n.length)) * CHAR) + 16;
  const xs: number[] = [];
  let x = left;
  for (const col of columns) {
    xs.push(x);
    x += 'gap' in col ? GAP : px;
  }
  const right = x;
  const showClock = px >= 6;
  const rowCount = w.rows.length + (showClock ? 1 : 0);
  const height = TOP + rowCount * ROW + 10 + w.warnings.length * 16;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${right + 150}" height="${height}" font-family="monospace" font-size="11">`);
  out.push(`<rect width="100%" height="100%" fill="white"/>`);
  const folded = columns.filter((c) => 'gap' in c).length;
  const title = `${scope ? `${scope.slice(0, -1)}: ` : ''}cycles ${w.firstCycle}..${w.firstCycle + w.cycles - 1} (${w.periodPs} ps per cycle, ${px} px per cycle${folded ? `, ${folded} idle stretch${folded > 1 ? 'es' : ''} folded` : ''})`;
  out.push(`<text x="4" y="14" font-weight="bold">${esc(title)}</text>`);
  // Cycle axis: a label every `step` cycles, at least 60 px apart.
  const step = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 50_000].find((s) => s * px >= 60) ?? 100_000;
  columns.forEach((col, i) => {
    if ('gap' in col) {
      out.push(`<text x="${xs[i] + 2}" y="34" fill="#888">+${col.gap}</text>`);
      return;
    }
    if (col.cycle % step === 0) {
      out.push(`<line x1="${xs[i]}" y1="36" x2="${xs[i]}" y2="${TOP + rowCount * ROW}" stroke="#eee"/>`);
      out.push(`<text x="${xs[i] + 1}" y="34" fill="#555">${col.cycle}</text>`);
    }
  });
  let y = TOP;
  const label = (text: string): void => void out.push(`<text x="4" y="${y + 15}">${esc(text)}</text>`);
  if (showClock) {
    label('clk');
    const path: string[] = [];
    columns.forEach((col, i) => {
      if ('gap' in col) return;
      const half = px / 2;
      path.push(`M${xs[i]},${y + 18} V${y + 4} H${xs[i] + half} V${y + 18} H${xs[i] + px}`);
    });
    out.push(`<path d="${path.join(' ')}" fill="none" stroke="#2a6"/>`);
    y += ROW;
  }
  w.rows.forEach((row, r) => {
    label(names[r]);
    const value = (i: number): string => {
      const col = columns[i];
      return row.values['gap' in col ? col.from - w.firstCycle : col.cycle - w.firstCycle];
    };
    if (row.width === 1) {
      const path: string[] = [];
      const unknown: string[] = [];
      columns.forEach((_, i) => {
        const v = value(i);
        const x0 = xs[i];
        const x1 = i + 1 < xs.length ? xs[i + 1] : right;
        if (v === '0' || v === '1') path.push(`${i === 0 ? 'M' : 'L'}${x0},${v === '1' ? y + 4 : y + 18} H${x1}`);
        else {
          path.push(`${i === 0 ? 'M' : 'L'}${x0},${y + 11} H${x1}`);
          unknown.push(`<rect x="${x0}" y="${y + 4}" width="${x1 - x0}" height="14" fill="#f88" opacity="0.5"/>`);
        }
      });
      out.push(`<path d="${path.join(' ')}" fill="none" stroke="#26c"/>`, ...unknown);
    } else {
      // Runs of equal values become bands; a label is written where it fits.
      let start = 0;
      for (let i = 1; i <= columns.length; i++) {
        if (i < columns.length && (value(i) === value(start) || 'gap' in columns[i])) continue;
        const x0 = xs[start];
        const x1 = i < xs.length ? xs[i] : right;
        const v = value(start);
        const text = formatValue(row.name, row.width, v);
        const fill = /^0*$/.test(v) ? '#f4f4f4' : /^[01]+$/.test(v) ? '#e8f0ff' : '#fdd';
        const slant = Math.min(3, (x1 - x0) / 4);
        out.push(`<polygon points="${x0},${y + 11} ${x0 + slant},${y + 3} ${x1 - slant},${y + 3} ${x1},${y + 11} ${x1 - slant},${y + 19} ${x0 + slant},${y + 19}" fill="${fill}" stroke="#26c" stroke-width="0.8"/>`);
        if (x1 - x0 >= text.length * CHAR + 6) out.push(`<text x="${x0 + 4}" y="${y + 15}">${esc(text)}</text>`);
        start = i;
      }
    }
    y += ROW;
  });
  columns.forEach((col, i) => {
    if ('gap' in col) out.push(`<path d="M${xs[i] + 5},${TOP} l4,${(rowCount * ROW) / 2} l-4,${(rowCount * ROW) / 2} M${xs[i] + 11},${TOP} l4,${(rowCount * ROW) / 2} l-4,${(rowCount * ROW) / 2}" fill="none" stroke="#999"/>`);
  });
  if (w.endOfData !== undefined) {
    out.push(`<line x1="${right}" y1="${TOP - 8}" x2="${right}" y2="${TOP + rowCount * ROW}" stroke="red" stroke-width="2"/>`);
    out.push(`<text x="${right + 4}" y="${TOP}" fill="red">end of data (cycle ${w.endOfData})</text>`);
  }
  w.warnings.forEach((warning, i) => out.push(`<text x="4" y="${TOP + rowCount * ROW + 20 + i * 16}" fill="#c60">warning: ${esc(warning)}</text>`));
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
