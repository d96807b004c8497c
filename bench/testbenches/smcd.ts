import { IsmMachine } from '../../models/host/machine.ts';
import { randomBytes } from '../../models/host/prng.ts';
import { smcdTransfer } from '../../models/ism/smcd-transfer.ts';
import { InstructionMonitor, VFIO_ISM_DRIVER_RULES } from '../../models/ref/instruction-monitor.ts';
import { Op } from '../../rtl/zpci/codes.ts';
import { KERNEL_DRIVER_MAXSTBL, runBench, traceIfAsked, type Testbench } from '../harness.ts';

/** VM 0 → VM 1 and VM 1 → VM 0 stream lengths. */
const DOWN = 256 * 1024;
const UP = 64 * 1024;
const SMCD_SCOPES = ['vm0.cpu_port', 'vm1.cpu_port', 'vm0.ism', 'vm1.ism'];

function check(cond: boolean, what: string): void {
  if (!cond) throw new Error(`smcd: ${what}`);
}

/**
 * SMC-D's data path, the traffic real ISM hardware carries every day (models/ism/smcd-*.ts):
 * two VMs with the in-kernel ISM driver open one SMC-D connection with Linux's default
 * buffers (16 KiB DMB: 32-byte CDC message + 16 352-byte ring; 16 KiB send buffer) and stream
 * 256 KiB one way and 64 KiB the other at the same time. Data moves straight from the send
 * buffer into the peer's ring at +32 (so most PCISTB sources cross a page and are accepted),
 * each batch followed by the CDC message with the signal; readers take 8 KiB at a time.
 */
export const smcdBench: Testbench = {
  name: 'smcd',
  description: 'SMC-D over ISM: two VMs stream 256 KiB and 64 KiB both ways through 16 KiB DMB rings, CDC at +0 with the signal, data from +32',
  vms: { min: 2, max: 2, default: 2 },
  seeded: true,
  maxstbl: KERNEL_DRIVER_MAXSTBL,
  run: (options) =>
    runBench('smcd', options, async (ctx) => {
      const { sim, note } = ctx;
      const m = new IsmMachine(sim, { vms: 2, maxstbl: options.maxstbl });
      traceIfAsked(sim, options, 'smcd: SMC-D connection between two VMs over ISM', { scopes: SMCD_SCOPES, clock: false });
      if (options.vcdPath && !(options.scopes && options.scopes.length > 0)) note(`waveform: scopes ${SMCD_SCOPES.join(' ')}, no clk (choose scopes with --scope)`);
      const monitors = m.vms.map((vm) => new InstructionMonitor(sim, vm.vm.hw.cpuPort, VFIO_ISM_DRIVER_RULES));
      const streams = [randomBytes(options.seed, DOWN), randomBytes(options.seed + 1, UP)] as const;
      const results = smcdTransfer(m, [
        { stream: streams[0], writeSizes: [65536], readSizes: [8192], readPauses: [200] },
        { stream: streams[1], writeSizes: [16384], readSizes: [8192], readPauses: [200] },
      ]);
      await sim.run({ maxCycles: 100_000_000 });
      for (const vm of m.vms) ctx.count(vm.cpu.stats);
      check(results[1].received.length === DOWN && results[1].received.every((b, i) => b === streams[0][i]), 'VM 1 did not receive VM 0 stream intact');
      check(results[0].received.length === UP && results[0].received.every((b, i) => b === streams[1][i]), 'VM 0 did not receive VM 1 stream intact');
      let crossing = 0;
      for (const [i, r] of results.entries()) {
        const s = r.stats!;
        const driver = r.driver!;
        const stores = monitors[i].seen.filter((x) => x.op === Op.PCISTB);
        check(
          stores.every((x) => x.cc === 0),
          `VM ${i}: a PCISTB was refused`,
        );
        const accepted = monitors[i].violations.filter((v) => v.instruction.cc === 0).length;
        crossing += accepted;
        note(
          `VM ${i}: sent ${s.bytesSent} bytes in ${s.dataWrites} data writes + ${s.cdcWrites} CDC writes ` +
            `(${s.consumerUpdates} consumer updates, window closed ${s.writeBlocked}×) = ${driver.counts.moveChunks} move PCISTBs; ` +
            `${accepted} with a source crossing a 4 KiB page, all accepted (cc 0)`,
        );
      }
      check(crossing > 0, 'no page-crossing PCISTB source seen');
      note(`${DOWN + UP} bytes verified in order both ways; ${crossing} PCISTBs with page-crossing sources accepted; ${sim.cycle} cycles`);
    }),
};
