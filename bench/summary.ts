import type { BenchConfig, BenchSummary } from './harness.ts';
import { displayPath } from './output-path.ts';

/** Bench notes shown at most; a summary is one screen (the JSON summary has them all). */
export const NOTE_LINES = 20;

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(2)} MiB`;
}

function formatConfig(c: BenchConfig): string {
  const parts = [`${c.vms} VM${c.vms > 1 ? 's' : ''}`];
  parts.push(c.seed === undefined ? 'no random choices' : `seed ${c.seed}`);
  if (c.maxstbl !== undefined) parts.push(`maxstbl ${c.maxstbl}`);
  if (c.pause !== undefined) parts.push(`pause ${c.pause.toLocaleString('en-US')} cycle${c.pause === 1 ? '' : 's'} per line`);
  return parts.join(', ');
}

/** The one-screen summary printed after a bench run, passed or failed. */
export function formatSummary(s: BenchSummary): string {
  const lines: string[] = [];
  lines.push(`bench        ${s.bench}`);
  if (s.config) lines.push(`config       ${formatConfig(s.config)}`);
  lines.push(`cycles       ${s.cycles.toLocaleString('en-US')}`);
  lines.push(`evaluated    ${s.evaluatedCycles.toLocaleString('en-US')} cycles (${(100 * (1 - s.evaluatedCycles / Math.max(s.cycles, 1))).toFixed(1)}% jumped over as idle)`);
  lines.push(`wall time    ${(s.wallMs / 1000).toFixed(3)} s (${Math.round(s.cycles / Math.max(s.wallMs / 1000, 1e-9)).toLocaleString('en-US')} cycles/s)`);
  const kinds = Object.keys(s.instructions).sort();
  if (kinds.length > 0) {
    lines.push('instructions');
    for (const kind of kinds) {
      const outcomes = s.instructions[kind];
      const parts = Object.keys(outcomes)
        .sort()
        .map((o) => `${o}=${outcomes[o]}`);
      lines.push(`  ${kind.padEnd(11)}${parts.join('  ')}`);
    }
  }
  const shown = s.notes.length > NOTE_LINES ? s.notes.slice(0, NOTE_LINES - 1) : s.notes;
  for (const n of shown) lines.push(`  ${n}`);
  if (shown.length < s.notes.length) lines.push(`  … ${s.notes.length - shown.length} more lines (--json has every note)`);
  lines.push(s.vcdPath ? `waveform     ${displayPath(s.vcdPath)} (${formatBytes(s.vcdBytes ?? 0)})` : 'waveform     none written');
  if (s.viewerPath) lines.push(`viewer       gtkwave ${displayPath(s.viewerPath)}`);
  lines.push(s.failure === undefined ? 'result       passed' : `result       FAILED: ${s.failure}`);
  return lines.join('\n');
}
