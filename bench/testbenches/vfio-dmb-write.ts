import { IsmMachine } from '../../models/host/machine.ts';
import { randomBytes } from '../../models/host/prng.ts';
import { IsmDriver, type DmbSignal } from '../../models/ism/ism-driver.ts';
import { VfioIsmAccess } from '../../models/ism/vfio-access.ts';
import { VfioDevice } from '../../models/vfio/vfio-device.ts';
import { runBench, traceIfAsked, type Testbench } from '../harness.ts';

const SIZE = 64 * 1024;

/**
 * A DMB write between two VMs driven entirely through vfio: both VMs run a user-space ISM
 * driver on their vfio device. VM1 registers a 64 KiB DMB writable by VM0; VM0 writes into it
 * with pwrite on the BAR 0 region (one pwrite per ≤ 4 KiB chunk, the signal flag on the last);
 * VM1's MSI arrives through vfio and its handler reports the DMB; every byte is compared.
 */
export const vfioDmbWrite: Testbench = {
  name: 'vfio-dmb-write',
  description: 'two VMs, both user-space drivers over vfio: VM0 writes 64 KiB into VM1\'s DMB with pwrite on BAR 0, VM1 gets the MSI',
  run: (options) =>
    runBench('vfio-dmb-write', options, async (ctx) => {
      const { sim, note } = ctx;
      const machine = new IsmMachine(sim, { vms: 2, maxstbl: options.maxstbl });
      traceIfAsked(sim, options, 'vfio-dmb-write: 64 KiB DMB write through vfio pwrite on BAR 0');
      const [vm0, vm1] = machine.vms;
      const data = randomBytes(options.seed, SIZE);
      // The out-of-band directory (SMC's CLC handshake): who may write, and where.
      const directory: { token?: bigint; writerGid?: bigint; receiverReady?: boolean } = {};
      const signals: DmbSignal[] = [];

      sim.process('vm1_user_driver', async () => {
        const dev = VfioDevice.open(vm1.zdev);
        const driver = new IsmDriver(sim, new VfioIsmAccess(dev));
        await driver.probe();
        driver.dmbSignals$.subscribe((s) => signals.push(s));
        await sim.until(() => directory.writerGid !== undefined, { what: 'VM0 GID' });
        const dmb = await driver.registerDmb({ length: SIZE, rgid: directory.writerGid! });
        directory.token = dmb.token;
        note(`VM1: DMB token 0x${dmb.token.toString(16)} at IOVA 0x${dmb.iova.toString(16)}, SBA index ${dmb.sbaIndex}`);
        await sim.until(() => signals.length > 0, { timeout: 5_000_000, what: 'signal on VM1\'s DMB' });
        const got = vm1.memory.read(dmb.iova, SIZE);
        const bad = got.findIndex((b, i) => b !== data[i]);
        if (bad >= 0) throw new Error(`DMB byte ${bad} is 0x${got[bad].toString(16)}, VM0 wrote 0x${data[bad].toString(16)}`);
        note(`VM1: MSI at cycle ${signals[0].cycle}, handler saw SBA index ${signals[0].sbaIndex} mask 0x${signals[0].mask.toString(16)}; all ${SIZE} bytes match`);
        await driver.remove();
        dev.close();
      });

      sim.process('vm0_user_driver', async () => {
        const dev = VfioDevice.open(vm0.zdev);
        const driver = new IsmDriver(sim, new VfioIsmAccess(dev));
        await driver.probe();
        directory.writerGid = driver.gid;
        await sim.until(() => directory.token !== undefined, { what: 'VM1 DMB token' });
        const started = sim.cycle;
        const rc = await driver.move(directory.token!, 0, true, 0, data);
        if (rc !== 0) throw new Error(`move failed: ${rc}`);
        const cycles = sim.cycle - started;
        note(`VM0: ${SIZE} bytes in ${driver.counts.moveChunks} pwrite/PCISTBs, ${cycles} cycles (${(SIZE / cycles).toFixed(2)} bytes/cycle)`);
        await sim.until(() => signals.length > 0, { timeout: 5_000_000, what: 'VM1 to take the signal' });
        await driver.remove();
        dev.close();
      });

      await sim.run();
      ctx.count(vm0.cpu.stats);
      ctx.count(vm1.cpu.stats);
    }),
};
