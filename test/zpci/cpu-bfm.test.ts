/** The CPU bus-functional model: typed program exceptions, FIFO serialisation of concurrent callers, stats. */
import { describe, expect, it } from 'vitest';
import { ismFunctionConfig } from '../../rtl/zpci/function-config.ts';
import { ProgramException } from '../../models/host/cpu.ts';
import { withRig } from './support.ts';

describe('Cpu', () => {
  it('throws ProgramException naming the instruction and the cause', async () => {
    await withRig(ismFunctionConfig(), async ({ cpu, vm, sim }) => {
      const fh = vm.pfu.enable();
      await sim.tick();
      const err = await cpu.pcistb(fh, 0, 0xfffn, 0n, 2).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ProgramException);
      expect((err as ProgramException).code).toBe(0x06);
      expect((err as Error).message).toMatch(/PCISTB: program interruption 0x06 \(specification\)/);
      expect(cpu.stats).toEqual({ PCISTB: { pic06: 1 } });
    });
  });

  it('serialises concurrent callers first-come first-served, one instruction on the port at a time', async () => {
    await withRig(ismFunctionConfig(), async ({ cpu, vm, sim, dev }) => {
      const fh = vm.pfu.enable();
      await sim.tick();
      dev.poke(0, 0n, Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8));
      const order: string[] = [];
      let overlaps = 0;
      let accepted = 0;
      const mon = sim.process('monitor', async () => {
        let prevFsm = 0;
        let responses = 0;
        for (let i = 0; i < 400; i++) {
          await sim.tick();
          const fsm = vm.pfu.fsm.value;
          if (prevFsm === 0 && fsm === 1) {
            if (accepted !== responses) overlaps++; // accepted before the previous one answered
            accepted++;
          }
          if (vm.cpuPort.rspValid.value) responses++;
          prevFsm = fsm;
        }
      });
      const a = sim.process('a', async () => {
        const r = await cpu.pcilg(fh, 0, 0n, 4);
        order.push(`a:${r.data.toString(16)}`);
      });
      const b = sim.process('b', async () => {
        const r = await cpu.pcistb(fh, 0, 0x100n, 0n, 100);
        order.push(`b:${r.cc}`);
      });
      const c = sim.process('c', async () => {
        const r = await cpu.pcilg(fh, 0, 4n, 4);
        order.push(`c:${r.data.toString(16)}`);
      });
      await sim.until(() => a.done && b.done && c.done && mon.done);
      expect(order).toEqual(['a:1020304', 'b:0', 'c:5060708']);
      expect(overlaps).toBe(0);
      expect(accepted).toBe(3);
      expect(cpu.stats).toEqual({ PCILG: { cc0: 2 }, PCISTB: { cc0: 1 } });
    });
  });
});
