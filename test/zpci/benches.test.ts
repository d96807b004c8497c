/** The zPCI benches run clean and their VCDs show the handshake, the checks and the beats under clear scopes. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseVcd } from '../../bench/wave/vcd-reader.ts';
import { findBench } from '../../bench/testbenches/index.ts';
import { testWavePath } from '../support/waves.ts';

function rises(doc: ReturnType<typeof parseVcd>, path: string): number {
  const ch = doc.changes.get(path) ?? [];
  return ch.filter((c, i) => i > 0 && c.value === 1n).length;
}

describe.each(['pcilg', 'pcistg', 'pcistb', 'zpci-mixed'])('bench %s', (name) => {
  it('runs, verifies itself and writes a readable VCD', async () => {
    const vcdPath = testWavePath(`zpci-bench-${name}`);
    const summary = await findBench(name)!.run({ vcdPath, seed: 7, vms: 1 });
    expect(summary.cycles).toBeGreaterThan(1000);
    const doc = parseVcd(readFileSync(vcdPath, 'utf8'));
    for (const scope of ['top.vm0.cpu_port', 'top.vm0.pfu', 'top.vm0.sbe', 'top.vm0.sbe.mem', 'top.vm0.dev_port', 'top.vm0.dev']) {
      expect(doc.scopes).toContain(scope);
    }
    const instructions = Object.values(summary.instructions).reduce((a, o) => a + Object.values(o).reduce((x, y) => x + y, 0), 0);
    // One response pulse per instruction on the waveform.
    expect(rises(doc, 'top.vm0.cpu_port.rsp_valid')).toBe(instructions);
    expect(rises(doc, 'top.vm0.pfu.chk_done')).toBeGreaterThan(0);
    if (name === 'pcistb' || name === 'zpci-mixed') {
      expect(rises(doc, 'top.vm0.sbe.mem.req_valid')).toBeGreaterThan(0);
      expect(doc.changes.get('top.vm0.dev_port.beat_be')!.length).toBeGreaterThan(10);
    }
  });
});

describe('waveform of one rejected and one passed instruction', () => {
  it('chk_done pulses once per instruction and chk_row names the deciding row', async () => {
    const { withRig } = await import('./support.ts');
    const { genericFunctionConfig } = await import('../../rtl/zpci/function-config.ts');
    await withRig(genericFunctionConfig(), async ({ cpu, vm, sim }) => {
      const fh = vm.pfu.enable();
      await sim.tick();
      let pulses = 0;
      const w = sim.process('watch', async () => {
        for (let i = 0; i < 40; i++) {
          await sim.tick();
          pulses += vm.pfu.chkDone.value;
        }
      });
      await cpu.pcilg(fh, 9, 0n, 8);
      expect(vm.pfu.chkRow.value).toBe(6);
      await cpu.pcilg(fh, 0, 0n, 8);
      expect(vm.pfu.chkRow.value).toBe(0);
      await sim.until(() => w.done);
      expect(pulses).toBe(2);
    });
  });
});
