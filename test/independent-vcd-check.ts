/**
 * Hands every VCD the test suite wrote (waves/test-output) to readers that are not ours:
 * GTKWave's vcd2fst (round trip VCD → FST → VCD, then every value compared with our own
 * reading) and sigrok-cli's VCD input (it must load the file and list the 1-bit channels).
 * Run by `npm test` after vitest. Without the tools it says loudly that the check did not run.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseVcd, type VcdDocument } from '../bench/wave/vcd-reader.ts';
import { TEST_WAVES_DIR } from './support/waves.ts';

function has(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
}

/** A tolerant, token-based VCD reading (the grammar of IEEE 1364 §18), for the converted file. */
function readConverted(text: string): Map<string, { width: number; changes: Map<number, bigint> }> {
  const tokens = text.split(/\s+/).filter((t) => t.length > 0);
  const scope: string[] = [];
  const byCode = new Map<string, string[]>();
  const vars = new Map<string, { width: number; changes: Map<number, bigint> }>();
  let time = 0;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t === '$scope') {
      scope.push(tokens[i + 2]);
      i = tokens.indexOf('$end', i);
    } else if (t === '$upscope') {
      scope.pop();
      i = tokens.indexOf('$end', i);
    } else if (t === '$var') {
      const width = Number(tokens[i + 2]);
      const code = tokens[i + 3];
      const path = [...scope, tokens[i + 4]].join('.');
      vars.set(path, { width, changes: new Map() });
      byCode.set(code, [...(byCode.get(code) ?? []), path]);
      i = tokens.indexOf('$end', i);
    } else if (t === '$dumpvars' || t === '$end' || t === '$enddefinitions') {
      continue;
    } else if (t.startsWith('$')) {
      i = tokens.indexOf('$end', i);
    } else if (t.startsWith('#')) {
      time = Number(t.slice(1));
    } else if (t[0] === 'b' || t[0] === 'B') {
      const code = tokens[++i];
      for (const p of byCode.get(code) ?? []) vars.get(p)!.changes.set(time, BigInt(`0b${t.slice(1).replace(/[xz]/gi, '0')}`));
    } else {
      const code = t.slice(1);
      for (const p of byCode.get(code) ?? []) vars.get(p)!.changes.set(time, t[0] === '1' ? 1n : 0n);
    }
  }
  return vars;
}

/** Every variable, width and value change of ours must come back identical from the FST. */
function compare(ours: VcdDocument, theirs: ReturnType<typeof readConverted>): string | null {
  for (const v of ours.variables) {
    const other = theirs.get(v.path);
    if (!other) return `vcd2fst lost variable ${v.path}`;
    if (other.width !== v.width) return `${v.path}: width ${v.width} came back as ${other.width}`;
    let last: bigint | undefined;
    for (const ch of ours.changes.get(v.path)!) {
      if (ch.value === last) continue;
      last = ch.value;
      const back = other.changes.get(ch.time);
      if (back === undefined) {
        // FST stores only real changes; the value at that time must still be the same.
        const earlier = [...other.changes.entries()].filter(([t]) => t <= ch.time).sort((a, b) => b[0] - a[0])[0];
        if (!earlier || earlier[1] !== ch.value) return `${v.path}@${ch.time}: ${ch.value} not found after round trip`;
      } else if (back !== ch.value) {
        return `${v.path}@${ch.time}: ${ch.value} came back as ${back}`;
      }
    }
  }
  return null;
}

function main(): void {
  const files = existsSync(TEST_WAVES_DIR)
    ? readdirSync(TEST_WAVES_DIR)
        .filter((f) => f.endsWith('.vcd'))
        .sort()
        .map((f) => join(TEST_WAVES_DIR, f))
    : [];
  const haveGtkwave = has('vcd2fst') && has('fst2vcd');
  const haveSigrok = has('sigrok-cli');
  if (!haveGtkwave && !haveSigrok) {
    console.log('==============================================================================');
    console.log(`INDEPENDENT VCD CHECK NOT RUN: neither vcd2fst (gtkwave) nor sigrok-cli is installed.`);
    console.log(`${files.length} VCD files were checked only by the in-repo reader.`);
    console.log('Install them with: apt-get update && apt-get install -y gtkwave sigrok-cli');
    console.log('==============================================================================');
    return;
  }
  const work = mkdtempSync(join(tmpdir(), 'ism-sim-vcd-'));
  let passed = 0;
  const failures: string[] = [];
  for (const file of files) {
    const problems: string[] = [];
    let ours: VcdDocument;
    try {
      ours = parseVcd(readFileSync(file, 'utf8'));
    } catch (e) {
      failures.push(`${file}: in-repo reader: ${(e as Error).message}`);
      continue;
    }
    if (haveGtkwave) {
      const fst = join(work, 'x.fst');
      try {
        execFileSync('vcd2fst', [file, fst], { stdio: 'pipe' });
        const back = execFileSync('fst2vcd', [fst], { maxBuffer: 1 << 30 }).toString();
        const diff = compare(ours, readConverted(back));
        if (diff) problems.push(`vcd2fst round trip: ${diff}`);
      } catch (e) {
        problems.push(`vcd2fst: ${(e as Error).message}`);
      }
    }
    if (haveSigrok) {
      // sigrok samples at the file's time unit: a long 1 ps trace expands to gigabytes of CSV. Its
      // header and first rows are enough to see it loaded the file; the rest is cut off by head.
      const r = spawnSync('sh', ['-c', 'sigrok-cli -I vcd -i "$1" -O csv | head -c 65536', 'sh', file], { maxBuffer: 1 << 20 });
      const out = r.stdout.toString();
      const header = out.split('\n').find((l) => l.startsWith('; Channels'));
      const oneBit = ours.variables.filter((v) => v.width === 1).length;
      if (r.status !== 0 || r.stderr.length > 0) problems.push(`sigrok-cli exit ${r.status}: ${r.stderr.toString().trim()}`);
      else if (!header) problems.push('sigrok-cli listed no channels');
      else if (oneBit <= 64 && !header.includes(`(${oneBit}/${oneBit})`)) problems.push(`sigrok-cli: ${header} but the file has ${oneBit} 1-bit wires`);
    }
    if (problems.length > 0) failures.push(`${file}: ${problems.join('; ')}`);
    else passed++;
  }
  rmSync(work, { recursive: true, force: true });
  const readers = [haveGtkwave ? 'vcd2fst/fst2vcd' : null, haveSigrok ? 'sigrok-cli' : null].filter(Boolean).join(' + ');
  for (const f of failures) console.log(`FAIL ${f}`);
  if (!haveGtkwave || !haveSigrok) console.log(`note: only ${readers} available; install gtkwave and sigrok-cli for the full check`);
  console.log(`independent VCD check (${readers}) of ${files.length} files from the test suite`);
  console.log(`vcd-check: ${passed} passed, ${failures.length} failed`);
  if (failures.length > 0) process.exitCode = 1;
}

main();
