/** The soak's summary table, its replay command line, and its JSON. */
import type { SoakReport } from './engine.ts';
import type { SoakOptions } from './state.ts';
import { formatSchedule } from './faults.ts';

const n = (x: number): string => x.toLocaleString('en-US');

function row(table: Record<string, number>): string {
  const keys = Object.keys(table).sort();
  return keys.length === 0 ? '-' : keys.map((k) => `${k} ${n(table[k])}`).join('  ');
}

export function formatSoakReport(r: SoakReport): string {
  const secs = r.wallMs / 1000;
  const lines = [
    `soak         daemon workload, ${r.vms} VMs, seed ${r.seed}, faults ${r.faultKinds.join(',') || 'none'}${r.plant ? `, planted bug ${r.plant}` : ''}`,
    `run          ${n(r.totalOps)} operations in ${secs.toFixed(1)} s (${n(Math.round(r.totalOps / secs))} per second), ${n(r.cycles)} cycles`,
    `operations   ${row(r.operations)}`,
    `faults       ${row(r.faults)}`,
    `errors       ${row(r.errors)}`,
    `recoveries   ${row(r.recoveries)}`,
    `unacked      writes applied entirely ${n(r.unacked.applied)}, not at all ${n(r.unacked.notApplied)}`,
    `memory       ${r.memory.map((m) => `${m.at}: rss ${m.rssMiB} MiB heap ${m.heapMiB} MiB`).join('; ')}; peak rss ${r.peakRssMiB} MiB`,
    `violations   ${n(r.violationCount)}`,
  ];
  for (const v of r.violations) lines.push(`  cycle ${n(v.cycle)}, op ${n(v.ops)}, vm${v.vm}: ${v.invariant}: ${v.detail}`);
  return lines.join('\n');
}

/** The command line that replays `o` exactly. */
export function replayCommand(o: SoakOptions): string {
  const parts = ['npx ism-sim soak', `--seed ${o.seed}`, `--vms ${o.vms}`, `--ops ${o.ops}`, `--schedule '${formatSchedule(o.schedule ?? [])}'`];
  if (o.plant) parts.push(`--plant ${o.plant}`);
  return parts.join(' ');
}
