import type { BenchSummary } from './harness.ts';

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(2)} MiB`;
}

/** The one-screen summary printed after a bench run. */
export function formatSummary(s: BenchSummary): string {
  const lines: string[] = [];
  lines.push(`bench        ${s.bench}`);
  lines.push(`cycles       ${s.cycles.toLocaleString('en-US')}`);
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
  if (s.vcdPath) lines.push(`waveform     ${s.vcdPath} (${formatBytes(s.vcdBytes ?? 0)})`);
  for (const n of s.notes) lines.push(`  ${n}`);
  return lines.join('\n');
}
