/** The vfio benches (probe, vfio-dmb-write) run, verify themselves, and their waveforms show the vfio traffic. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseVcd } from '../../bench/wave/vcd-reader.ts';
import { DEFAULT_BENCH, findBench } from '../../bench/testbenches/index.ts';
import { testWavePath } from '../support/waves.ts';

/** Values a signal took, in time order (rising to each new value). */
function valuesOf(doc: ReturnType<typeof parseVcd>, path: string): bigint[] {
  const ch = doc.changes.get(path);
  if (!ch) throw new Error(`${path} not in the waveform`);
  return ch.map((c) => c.value);
}

describe('bench probe (the default bench)', () => {
  it('is the default and shows REG_SBA, REG_IEQ, QUERY_INFO, READ_GID executed in that order', async () => {
    expect(DEFAULT_BENCH).toBe('probe');
    const vcdPath = testWavePath('bench-probe');
    const summary = await findBench('probe')!.run({ vcdPath, seed: 1, vms: 1 });
    expect(summary.notes.join('\n')).toMatch(/vendor 0x1014 device 0x04ed/);
    const doc = parseVcd(readFileSync(vcdPath, 'utf8'));
    const codes = valuesOf(doc, 'top.vm0.ism.cmd.code').filter((v) => v !== 0n);
    // The adapter latches each command's code when it executes; the teardown follows the probe.
    expect(codes.slice(0, 4)).toEqual([0x01n, 0x02n, 0x08n, 0x03n]);
    expect(codes.slice(4)).toEqual([0x12n, 0x11n]);
  });
});

describe('bench vfio-dmb-write', () => {
  it('moves 64 KiB as 16 PCISTBs on BAR 0 with the signal flag on the last only, and VM1 takes an MSI', async () => {
    const vcdPath = testWavePath('bench-vfio-dmb-write');
    const summary = await findBench('vfio-dmb-write')!.run({ vcdPath, seed: 3, vms: 2 });
    expect(summary.notes.join('\n')).toMatch(/all 65536 bytes match/);
    const doc = parseVcd(readFileSync(vcdPath, 'utf8'));
    // Sample VM0's CPU port at every accepted request: the BAR 0 PCISTBs and their offsets.
    const valid = doc.changes.get('top.vm0.cpu_port.req_valid')!;
    const moves: { offset: bigint; len: bigint }[] = [];
    for (const c of valid) {
      if (c.value !== 1n) continue;
      const op = doc.valueAt('top.vm0.cpu_port.req_op', c.time);
      const space = doc.valueAt('top.vm0.cpu_port.req_pcias', c.time);
      if (op === 2n && space === 0n) moves.push({ offset: doc.valueAt('top.vm0.cpu_port.req_offset', c.time), len: doc.valueAt('top.vm0.cpu_port.req_len', c.time) });
    }
    expect(moves.length).toBe(16);
    expect(moves.every((m) => m.len === 4096n)).toBe(true);
    const sf = moves.map((m) => (m.offset >> 23n) & 1n);
    expect(sf).toEqual([...Array(15).fill(0n), 1n]);
    expect(valuesOf(doc, 'top.vm1.ism.msi')).toContain(1n);
  });
});

describe('bench vfio-dmb-write with a smaller maxstbl', () => {
  it('splits every 4 KiB target page into chunks of at most maxstbl (5 per page for 1000)', async () => {
    const summary = await findBench('vfio-dmb-write')!.run({ seed: 5, vms: 2, maxstbl: 1000 });
    const notes = summary.notes.join('\n');
    expect(notes).toMatch(/all 65536 bytes match/);
    // 4096 = 1000 + 1000 + 1000 + 1000 + 96 → 5 pwrites per page, 16 pages.
    expect(notes).toMatch(/65536 bytes in 80 pwrite\/PCISTBs/);
  });
});

describe('determinism', () => {
  it('the same seed and configuration give a byte-identical VCD; another seed gives another', async () => {
    const bench = findBench('vfio-dmb-write')!;
    const a = testWavePath('determinism-a');
    const b = testWavePath('determinism-b');
    const c = testWavePath('determinism-c');
    await bench.run({ vcdPath: a, seed: 11, vms: 2 });
    await bench.run({ vcdPath: b, seed: 11, vms: 2 });
    await bench.run({ vcdPath: c, seed: 12, vms: 2 });
    const [ta, tb, tc] = [a, b, c].map((p) => readFileSync(p));
    expect(ta.equals(tb)).toBe(true);
    expect(ta.equals(tc)).toBe(false);
  });
});
