import { emptyBins, formatCoverage } from '../models/ref/fuzz-coverage.ts';
import type { CampaignReport } from './fuzz-campaign.ts';
import { displayPath } from './output-path.ts';
import { UsageError } from './usage-error.ts';

/** Version of the JSON result format (`fuzz --json`, read back by `fuzz merge`). */
export const FUZZ_JSON_VERSION = 1;

export interface FuzzJson extends CampaignReport {
  readonly tool: 'ism-sim fuzz';
  readonly version: number;
  readonly result: 'passed' | 'failed';
  readonly callsPerSecond: number;
  readonly emptyBins: string[];
  readonly missingShards?: number[];
}

export function toJson(r: CampaignReport & { readonly missingShards?: number[] }): FuzzJson {
  return {
    tool: 'ism-sim fuzz',
    version: FUZZ_JSON_VERSION,
    result: r.failures.length > 0 ? 'failed' : 'passed',
    callsPerSecond: r.counters.operations / Math.max(r.wallMs / 1000, 1e-9),
    emptyBins: emptyBins(r.coverage),
    ...r,
  };
}

/** Read a `fuzz --json` file back, refusing anything else with a clear message. */
export function fromJson(text: string, file: string): FuzzJson {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${file}: not JSON (${(e as Error).message})`);
  }
  const d = doc as Partial<FuzzJson>;
  if (d.tool !== 'ism-sim fuzz' || d.version !== FUZZ_JSON_VERSION) throw new UsageError(`${file}: not an ism-sim fuzz result (version ${FUZZ_JSON_VERSION})`);
  return d as FuzzJson;
}

function describeSpec(r: CampaignReport): string {
  const s = r.spec;
  const amount = s.runs !== undefined ? `${s.runs.toLocaleString('en-US')} runs` : `${s.seconds} s`;
  const shard = s.shard.n === 1 ? '' : s.shard.k > 0 ? `, shard ${s.shard.k}/${s.shard.n}` : `, ${s.shard.n} shards merged`;
  return `seed ${s.seed}, ${amount}${shard}`;
}

/** The summary printed at the end of a run (and of a merge). */
export function formatCampaign(r: CampaignReport & { readonly missingShards?: number[] }): string {
  const secs = r.wallMs / 1000;
  const lines = [
    `fuzz         vfio-ism I/O paths, ${describeSpec(r)}`,
    `runs         ${r.runs.toLocaleString('en-US')} generated (${r.units.length} unit${r.units.length === 1 ? '' : 's'} of at most 100, ${r.workers} worker${r.workers === 1 ? '' : 's'})`,
    `calls        ${r.counters.operations.toLocaleString('en-US')} checked (${Math.round(r.counters.operations / Math.max(secs, 1e-9)).toLocaleString('en-US')} per second)`,
    `cycles       ${r.counters.cycles.toLocaleString('en-US')} simulated`,
    `wall time    ${secs.toFixed(1)} s`,
    'instructions',
    ...Object.keys(r.counters.byKind)
      .sort()
      .map((k) => `  ${k.padEnd(11)}${Object.entries(r.counters.byKind[k]).sort().map(([o, n]) => `${o}=${n}`).join('  ')}`),
    formatCoverage(r.coverage),
  ];
  if (r.missingShards && r.missingShards.length > 0) lines.push(`shards       missing ${r.missingShards.join(', ')} of ${r.spec.shard.n}: the campaign is incomplete`);
  if (r.failures.length === 0) lines.push('result       every property held');
  for (const f of r.failures) {
    lines.push(
      `property failed: ${f.message}`,
      `  broken rule: ${f.rule}`,
      `  first failing run: ${f.campaignRun} of the campaign (run ${f.run} of seed ${f.seed})`,
      `  replay: ${f.replay}`,
      `  counterexample: ${f.counterexample}`,
      `  waveform of the counterexample: ${displayPath(f.vcdPath)}`,
    );
  }
  return lines.join('\n');
}

function xml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!).replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');
}

/**
 * JUnit XML as CI systems read it (GitLab, Jenkins, GitHub test reporters): one test case per
 * unit (seed), a failure element naming the broken rule with the replay command, and one test
 * case for coverage that fails when `requireCoverage` is set and a bin stayed empty.
 */
export function toJunit(r: CampaignReport, requireCoverage: boolean): string {
  const cases: string[] = [];
  for (const u of r.units) {
    const f = r.failures.find((x) => x.seed === u.seed);
    const name = `seed ${u.seed}: ${u.runs} runs`;
    if (!f) cases.push(`    <testcase classname="ism-sim.fuzz.vfio-ism" name="${xml(name)}"/>`);
    else {
      const body = [f.message, `replay: ${f.replay}`, `counterexample: ${f.counterexample}`, `waveform: ${f.vcdPath}`].join('\n');
      cases.push(`    <testcase classname="ism-sim.fuzz.vfio-ism" name="${xml(name)}">\n      <failure message="${xml(f.rule)}" type="RuleBroken">${xml(body)}</failure>\n    </testcase>`);
    }
  }
  const empty = emptyBins(r.coverage);
  const coverageFails = requireCoverage && empty.length > 0;
  cases.push(
    coverageFails
      ? `    <testcase classname="ism-sim.fuzz.coverage" name="every bin hit">\n      <failure message="${empty.length} empty bins" type="Coverage">${xml(empty.join('\n'))}</failure>\n    </testcase>`
      : `    <testcase classname="ism-sim.fuzz.coverage" name="every bin hit">${empty.length > 0 ? `\n      <system-out>${xml(`not required; empty: ${empty.join(', ')}`)}</system-out>\n    ` : ''}</testcase>`,
  );
  const failures = r.failures.length + (coverageFails ? 1 : 0);
  const secs = (r.wallMs / 1000).toFixed(3);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="ism-sim fuzz" tests="${cases.length}" failures="${failures}" time="${secs}">`,
    `  <testsuite name="vfio-ism fuzz (${xml(describeSpec(r))})" tests="${cases.length}" failures="${failures}" errors="0" skipped="0" time="${secs}">`,
    '    <properties>',
    `      <property name="seed" value="${r.spec.seed}"/>`,
    `      <property name="runs" value="${r.runs}"/>`,
    `      <property name="calls" value="${r.counters.operations}"/>`,
    '    </properties>',
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
