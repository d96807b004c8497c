import { formatValue, layoutColumns } from './columns.ts';
import type { WaveWindow } from './window.ts';

const KEYS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** The scope all rows share (`vm0.cpu_port.`), so rows can be labelled by their short names. */
export function commonScope(w: WaveWindow): string {
  const names = w.rows.map((r) => r.name);
  if (names.length === 0) return '';
  let prefix = names[0].slice(0, names[0].lastIndexOf('.') + 1);
  while (prefix && !names.every((n) => n.startsWith(prefix))) prefix = prefix.slice(0, prefix.slice(0, -1).lastIndexOf('.') + 1);
  return prefix;
}

/** Characters a terminal line gives the waves. */
export const TEXT_WIDTH = 100;

/**
 * The window as text: columns of cycles (several characters a cycle when the window is short, an
 * idle stretch folded into one `~` column when it is long), levels for bits, and for buses the
 * value wherever it fits between the change marks; a value that does not fit gets a letter,
 * spelled out in a legend under its row. The end of the data is marked `]`.
 */
export function renderText(w: WaveWindow): string {
  const scope = commonScope(w);
  const columns = layoutColumns(w, w.cycles > TEXT_WIDTH);
  const labels = w.rows.filter((r) => r.width > 1).flatMap((r) => [...new Set(r.values)].map((v) => formatValue(r.name, r.width, v).length));
  const cell = Math.max(1, Math.min(Math.floor(TEXT_WIDTH / columns.length), 1 + Math.max(1, ...labels)));
  const nameWidth = Math.max(5, ...w.rows.map((r) => r.name.length - scope.length));
  const lines: string[] = [];
  if (scope) lines.push(`${scope.slice(0, -1)}:`);
  const last = w.firstCycle + w.cycles - 1;
  const end = w.endOfData !== undefined ? ']' : '';
  const step = [1, 2, 5, 10, 20, 50, 100, 1000, 10_000].find((s) => s * cell >= String(last).length + 1) ?? 100_000;
  const header = columns
    .map((col) => ('gap' in col ? '~'.repeat(cell) : col.cycle % step === 0 ? (cell > 1 ? String(col.cycle) : '|') : '').padEnd(cell).slice(0, cell * Math.max(1, step)))
    .join('')
    .slice(0, columns.length * cell);
  const endNote = w.endOfData !== undefined ? `; ] = end of data at cycle ${w.endOfData}` : '';
  const folded = columns.some((c) => 'gap' in c);
  lines.push(`${'cycle'.padEnd(nameWidth)}  ${header.padEnd(columns.length * cell)}${end}  (cycles ${w.firstCycle}..${last}${folded ? '; ~ = idle cycles folded' : ''}${endNote})`);
  for (const row of w.rows) {
    const label = row.name.slice(scope.length).padEnd(nameWidth);
    const at = (col: (typeof columns)[number]): string => row.values[('gap' in col ? col.from : col.cycle) - w.firstCycle];
    if (row.width === 1) {
      let line = '';
      columns.forEach((col, i) => {
        if ('gap' in col) return void (line += '~'.repeat(cell));
        const v = at(col);
        const prev = i > 0 ? at(columns[i - 1]) : v;
        const level = v === '0' ? '_' : v === '1' ? '‾' : v;
        const edge = v === prev ? level : v === '0' ? '\\' : v === '1' ? '/' : v;
        line += edge + level.repeat(cell - 1);
      });
      lines.push(`${label}  ${line}${end}`);
      continue;
    }
    // Runs of equal values over the columns (a gap continues the run it sits in).
    const runs: { value: string; span: number }[] = [];
    for (const col of columns) {
      const v = at(col);
      const lastRun = runs[runs.length - 1];
      if (lastRun && (lastRun.value === v || 'gap' in col)) lastRun.span += cell;
      else runs.push({ value: v, span: cell });
    }
    const legend = new Map<string, string>();
    let line = '';
    for (const run of runs) {
      const text = formatValue(row.name, row.width, run.value);
      if (run.span >= text.length + 1) line += `|${text}`.padEnd(run.span, ' ');
      else {
        let key = legend.get(text);
        if (key === undefined) {
          key = KEYS[legend.size] ?? '?';
          legend.set(text, key);
        }
        line += run.span === 1 ? key : `|${key}`.padEnd(run.span, ' ');
      }
    }
    lines.push(`${label}  ${line}${end}`);
    if (legend.size > 0) {
      const entries = [...legend].slice(0, KEYS.length).map(([text, key]) => `${key}=${text}`);
      const more = legend.size > KEYS.length ? ' (? = more values: narrow the window)' : '';
      lines.push(`${' '.repeat(nameWidth)}  ${entries.join(' ')}${more}`);
    }
  }
  for (const warning of w.warnings) lines.push(`warning: ${warning}`);
  return lines.join('\n');
}
