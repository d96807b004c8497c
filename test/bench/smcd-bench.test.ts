import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { findBench } from '../../bench/testbenches/index.ts';
import { parseVcd, type VcdDocument } from '../../bench/wave/vcd-reader.ts';
import { Op } from '../../rtl/zpci/codes.ts';
import { testWavePath } from '../support/waves.ts';

interface WaveInstruction {
  readonly time: number;
  readonly op: number;
  readonly len: number;
  readonly gaddr: bigint;
  readonly cc: number;
  readonly pic: number;
}

/** Instructions accepted on a CPU port as the waveform shows them, each with its response. */
function instructionsOnWave(doc: VcdDocument, port: string): WaveInstruction[] {
  const at = (name: string, t: number): bigint => doc.valueAt(`${port}.${name}`, t);
  const times = [...new Set(['req_valid', 'req_ready', 'rsp_valid'].flatMap((n) => (doc.changes.get(`${port}.${n}`) ?? []).map((c) => c.time)))].sort((a, b) => a - b);
  const out: WaveInstruction[] = [];
  let pending: Omit<WaveInstruction, 'cc' | 'pic'> | null = null;
  let accepting = false;
  for (const t of times) {
    if (pending && at('rsp_valid', t) === 1n) {
      out.push({ ...pending, cc: Number(at('rsp_cc', t)), pic: Number(at('rsp_pic', t)) });
      pending = null;
    }
    const both = at('req_valid', t) === 1n && at('req_ready', t) === 1n;
    if (both && !accepting) pending = { time: t, op: Number(at('req_op', t)), len: Number(at('req_len', t)), gaddr: at('req_gaddr', t) };
    accepting = both;
  }
  return out;
}

describe('bench smcd', () => {
  it('moves both streams intact and its waveform shows PCISTBs whose source crosses a 4 KiB page accepted with cc 0', async () => {
    const vcdPath = testWavePath('smcd-bench');
    const summary = await findBench('smcd')!.run({ vcdPath, seed: 3, vms: 2 });
    expect(summary.notes.join('\n')).toMatch(/327680 bytes verified in order both ways; [1-9]\d* PCISTBs with page-crossing sources accepted/);
    const doc = parseVcd(readFileSync(vcdPath, 'utf8'));
    const stores = ['top.vm0.cpu_port', 'top.vm1.cpu_port'].flatMap((port) => instructionsOnWave(doc, port)).filter((i) => i.op === Op.PCISTB);
    // Every PCISTB the CPUs counted is on the waveform.
    expect(stores.length).toBe(summary.instructions.PCISTB.cc0);
    const crossing = stores.filter((i) => Number(i.gaddr % 4096n) + i.len > 4096);
    expect(crossing.length).toBeGreaterThan(0);
    for (const i of crossing) expect({ cc: i.cc, pic: i.pic }).toEqual({ cc: 0, pic: 0 });
    // The SMC-D shape on the wire: a full 4 KiB target chunk stored from 4064 bytes into a page.
    expect(crossing.some((i) => i.len === 4096 && i.gaddr % 4096n === 4064n)).toBe(true);
  }, 60_000);
});
