/**
 * GTKWave save files for bench waveforms: `gtkwave waves/<bench>.gtkw` opens the waveform with its
 * signals grouped per interface (CPU port, function unit, store-block engine, device port, ISM
 * adapter, network), buses in hex, and the encoded signals (req_op, pfu.fsm, sbe.state, chk_row,
 * cmd_code) shown by name through translate filter files written next to it.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { SIGNAL_ENUMS } from './enums.ts';

export interface TracedSignal {
  /** Dotted name under `top`, as the VCD has it (sanitised), e.g. `vm0.cpu_port.req_op`. */
  readonly name: string;
  readonly width: number;
}

/** Interface groups, in display order: a signal joins the first whose scope it is under. */
const GROUPS: readonly { readonly scope: string; readonly title: string }[] = [
  { scope: 'cpu_port', title: 'CPU port' },
  { scope: 'pfu', title: 'function unit' },
  { scope: 'sbe', title: 'store-block engine' },
  { scope: 'dev_port', title: 'device port' },
  { scope: 'ism', title: 'ISM adapter' },
  { scope: 'dev', title: 'device' },
];

// GTKWave trace flags (gtkw "@" lines): hex 0x02, decimal 0x04, binary 0x08, right-justified
// 0x20, translated through a filter file 0x2000; group begin 0x800000 / end 0x1000000 with blank 0x200.
const BIT = '@28';
const HEX = '@22';
const NAMED = '@2024';
const GROUP_BEGIN = '@800200';
const GROUP_END = '@1000200';

/** The interface group of a signal: `vm0 CPU port`, `network`, or its own scope. */
function groupOf(name: string): string {
  const parts = name.split('.');
  if (parts.length === 1) return 'clock';
  if (parts[0] === 'net') return 'ISM network';
  const vm = /^vm\d+$/.test(parts[0]) ? parts[0] : '';
  const rest = vm ? parts.slice(1) : parts;
  const group = GROUPS.find((g) => rest[0] === g.scope);
  return `${vm ? `${vm} ` : ''}${group ? group.title : rest.slice(0, -1).join('.') || 'top'}`;
}

function groupRank(title: string): number {
  const vm = /^vm(\d+) /.exec(title);
  const base = GROUPS.findIndex((g) => title.endsWith(g.title));
  return (vm ? Number(vm[1]) * 100 : title === 'clock' ? -1 : 10_000) + (base < 0 ? 50 : base);
}

/** A translate filter file: one `value name` line per encoding, values in decimal as GTKWave prints them. */
export function filterFileText(names: Record<number, string>): string {
  return `${Object.entries(names)
    .map(([value, name]) => `${value} ${name}`)
    .join('\n')}\n`;
}

/** The text of a save file for these signals; `filters` maps a filter file name to its path. */
export function gtkwText(dumpfile: string, signals: readonly TracedSignal[], filterPath: (file: string) => string): string {
  const lines = ['[*] GTKWave save file written by ism-sim: gtkwave <this file>', `[dumpfile] "${dumpfile}"`, '[timestart] 0', '[size] 1600 900', '[sst_expanded] 1', '[signals_width] 320'];
  const groups = new Map<string, TracedSignal[]>();
  for (const s of signals) {
    const g = groupOf(s.name);
    if (!groups.has(g)) groups.set(g, []);
    groups.get(g)!.push(s);
  }
  for (const [title, members] of [...groups].sort((a, b) => groupRank(a[0]) - groupRank(b[0]))) {
    lines.push(GROUP_BEGIN, `-${title}`);
    for (const s of members) {
      const full = `top.${s.name}${s.width > 1 ? `[${s.width - 1}:0]` : ''}`;
      const named = SIGNAL_ENUMS.find((e) => s.name.endsWith(`.${e.suffix}`));
      if (named) lines.push(NAMED, `^1 ${filterPath(named.file)}`, full);
      else lines.push(s.width > 1 ? HEX : BIT, full);
    }
    lines.push(GROUP_END, `-${title}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Write `<waveform without extension>.gtkw` and the filter files it names (in `filterDir`);
 * returns the save file's path.
 */
export function writeGtkwave(waveform: string, signals: readonly TracedSignal[], filterDir: string): string {
  const filterPath = (file: string): string => join(filterDir, `gtkwave-${file}.txt`);
  for (const e of SIGNAL_ENUMS) writeFileSync(filterPath(e.file), filterFileText(e.names));
  const save = join(dirname(waveform), `${waveform.slice(dirname(waveform).length + 1).replace(/\.(vcd|fst)$/, '')}.gtkw`);
  writeFileSync(save, gtkwText(waveform, signals, filterPath));
  return save;
}
