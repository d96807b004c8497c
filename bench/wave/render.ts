import onml from 'onml';
import wavedrom from 'wavedrom';
import skin from 'wavedrom/skins/default.js';
import type { WaveWindow } from './window.ts';

function hex(v: bigint): string {
  return `0x${v.toString(16)}`;
}

/** The scope all rows share (`vm0.cpu_port.`), so rows can be labelled by their short names. */
function commonScope(w: WaveWindow): string {
  const names = w.rows.map((r) => r.name);
  if (names.length === 0) return '';
  let prefix = names[0].slice(0, names[0].lastIndexOf('.') + 1);
  while (prefix && !names.every((n) => n.startsWith(prefix))) prefix = prefix.slice(0, prefix.slice(0, -1).lastIndexOf('.') + 1);
  return prefix;
}

/** WaveJSON for the window: a clock row, 1-bit rows as levels, wider rows as labelled buses. */
export function toWaveJson(w: WaveWindow): unknown {
  const signal: unknown[] = [{ name: 'clk', wave: `p${'.'.repeat(Math.max(0, w.cycles - 1))}` }];
  const scope = commonScope(w);
  for (const row of w.rows) {
    let wave = '';
    const data: string[] = [];
    row.values.forEach((v, i) => {
      const changed = i === 0 || v !== row.values[i - 1];
      if (!changed) wave += '.';
      else if (row.width === 1) wave += v === 0n ? '0' : '1';
      else {
        wave += v === 0n ? '=' : '3';
        data.push(hex(v));
      }
    });
    const name = row.name.slice(scope.length);
    signal.push(row.width === 1 ? { name, wave } : { name, wave, data });
  }
  return {
    signal,
    head: { text: `${scope ? `${scope.slice(0, -1)}: ` : ''}cycles ${w.firstCycle}..${w.firstCycle + w.cycles - 1}`, tick: w.firstCycle },
    config: { hscale: 1 },
  };
}

/** The window as an SVG drawing (WaveDrom). */
export function renderSvg(w: WaveWindow): string {
  return onml.s(wavedrom.renderAny(0, toWaveJson(w), skin));
}

/** The window as text: one line per signal, a column per cycle; buses show a value where it changes. */
export function renderText(w: WaveWindow): string {
  const scope = commonScope(w);
  const nameWidth = Math.max(5, ...w.rows.map((r) => r.name.length - scope.length));
  const lines: string[] = [];
  if (scope) lines.push(`${scope.slice(0, -1)}:`);
  const header = Array.from({ length: w.cycles }, (_, i) => ((w.firstCycle + i) % 10 === 0 ? '|' : ' ')).join('');
  lines.push(`${'cycle'.padEnd(nameWidth)}  ${header}  (from ${w.firstCycle})`);
  for (const row of w.rows) {
    let line = '';
    if (row.width === 1) {
      line = row.values.map((v, i) => (v === 0n ? (i > 0 && row.values[i - 1] !== 0n ? '\\' : '_') : i > 0 && row.values[i - 1] === 0n ? '/' : '‾')).join('');
    } else {
      for (let i = 0; i < row.values.length; ) {
        let j = i + 1;
        while (j < row.values.length && row.values[j] === row.values[i]) j++;
        const label = hex(row.values[i]);
        const span = j - i;
        const cell = span >= label.length + 1 ? `|${label}`.padEnd(span, ' ') : '|'.padEnd(span, '·');
        line += cell;
        i = j;
      }
    }
    lines.push(`${row.name.slice(scope.length).padEnd(nameWidth)}  ${line}`);
  }
  return lines.join('\n');
}
