import { IsmMachine } from '../../models/host/machine.ts';
import { randomBytes } from '../../models/host/prng.ts';
import { IsmDriver, type DmbSignal } from '../../models/ism/ism-driver.ts';
import { VfioIsmAccess } from '../../models/ism/vfio-access.ts';
import { VfioDevice } from '../../models/vfio/vfio-device.ts';
import { runBench, traceIfAsked, type Testbench } from '../harness.ts';

const SIZE = 64 * 1024;

/**
 * DMB writes driven entirely through vfio: every VM runs a user-space ISM driver on its vfio
 * device. Each receiver (VM 1 … VM n-1) registers a 64 KiB DMB writable by VM 0; VM 0 writes
 * into each with pwrite on the BAR 0 region (one pwrite per chunk of at most 4 KiB and maxstbl,
 * the signal flag on the last); each receiver's MSI arrives through vfio, its handler reports
 * the DMB, and every byte is compared.
 */
export const vfioDmbWrite: Testbench = {
  name: 'vfio-dmb-write',
  description: "VMs with user-space drivers over vfio: VM0 writes 64 KiB into each other VM's DMB with pwrite on BAR 0; each gets the MSI",
  vms: { min: 2, max: 8, default: 2 },
  seeded: true,
  // vfio-ism's pwrite refuses a command block longer than maxstbl (REG_DMB is 32 bytes).
  maxstbl: { min: 32, max: 8191, default: 4096 },
  run: (options) =>
    runBench('vfio-dmb-write', options, async (ctx) => {
      const { sim, note } = ctx;
      const machine = new IsmMachine(sim, { vms: options.vms, maxstbl: options.maxstbl });
      traceIfAsked(sim, options, 'vfio-dmb-write: 64 KiB DMB writes through vfio pwrite on BAR 0');
      const [writer, ...receivers] = machine.vms;
      const payloads = receivers.map((_, k) => randomBytes(options.seed + k, SIZE));
      // The out-of-band directory (SMC's CLC handshake): who may write, and where.
      const directory: { writerGid?: bigint; tokens: (bigint | undefined)[] } = { tokens: receivers.map(() => undefined) };
      const signalled = receivers.map(() => false);
      const chunks: number[] = [];
      // vm1's transfer is told in full; the others in one line, so the summary stays one screen.
      const noteFirst = (k: number, line: string): void => {
        if (k === 0) note(line);
      };

      receivers.forEach((vm, k) => {
        const name = `vm${k + 1}`;
        sim.process(`${name}_user_driver`, async () => {
          const dev = VfioDevice.open(vm.zdev);
          const driver = new IsmDriver(sim, new VfioIsmAccess(dev));
          await driver.probe();
          const signals: DmbSignal[] = [];
          driver.dmbSignals$.subscribe((s) => signals.push(s));
          await sim.until(() => directory.writerGid !== undefined, { what: 'VM0 GID' });
          const dmb = await driver.registerDmb({ length: SIZE, rgid: directory.writerGid! });
          directory.tokens[k] = dmb.token;
          noteFirst(k, `${name}: DMB token 0x${dmb.token.toString(16)} at IOVA 0x${dmb.iova.toString(16)}, SBA index ${dmb.sbaIndex}`);
          await sim.until(() => signals.length > 0, { timeout: 20_000_000, what: `signal on ${name}'s DMB` });
          const got = vm.memory.read(dmb.iova, SIZE);
          const want = payloads[k];
          const bad = got.findIndex((b, i) => b !== want[i]);
          if (bad >= 0) throw new Error(`${name}: DMB byte ${bad} is 0x${got[bad].toString(16)}, VM0 wrote 0x${want[bad].toString(16)}`);
          noteFirst(k, `${name}: MSI at cycle ${signals[0].cycle}, handler saw SBA index ${signals[0].sbaIndex} mask 0x${signals[0].mask.toString(16)}; all ${SIZE} bytes match`);
          signalled[k] = true;
          await driver.remove();
          dev.close();
        });
      });

      sim.process('vm0_user_driver', async () => {
        const dev = VfioDevice.open(writer.zdev);
        const driver = new IsmDriver(sim, new VfioIsmAccess(dev));
        await driver.probe();
        directory.writerGid = driver.gid;
        for (let k = 0; k < receivers.length; k++) {
          await sim.until(() => directory.tokens[k] !== undefined, { what: `vm${k + 1} DMB token` });
          const started = sim.cycle;
          const chunksBefore = driver.counts.moveChunks;
          const rc = await driver.move(directory.tokens[k]!, 0, true, 0, payloads[k]);
          if (rc !== 0) throw new Error(`move to vm${k + 1} failed: ${rc}`);
          const cycles = sim.cycle - started;
          chunks[k] = driver.counts.moveChunks - chunksBefore;
          noteFirst(k, `VM0 -> vm${k + 1}: ${SIZE} bytes in ${driver.counts.moveChunks - chunksBefore} pwrite/PCISTBs, ${cycles} cycles (${(SIZE / cycles).toFixed(2)} bytes/cycle)`);
        }
        await sim.until(() => signalled.every(Boolean), { timeout: 20_000_000, what: 'every receiver to take its signal' });
        await driver.remove();
        dev.close();
      });

      await sim.run();
      for (const vm of machine.vms) ctx.count(vm.cpu.stats);
      if (receivers.length > 1) {
        note(`vm2..vm${receivers.length}: the same, ${chunks.slice(1).join('/')} pwrite/PCISTBs each; every MSI taken, all bytes match`);
      }
    }),
};
