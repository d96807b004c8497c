import { IsmMachine } from '../../models/host/machine.ts';
import { IsmDriver } from '../../models/ism/ism-driver.ts';
import { VfioIsmAccess } from '../../models/ism/vfio-access.ts';
import { VfioDevice } from '../../models/vfio/vfio-device.ts';
import { VFIO_PCI_CONFIG_REGION_INDEX, regionOffset } from '../../models/vfio/regions.ts';
import { runBench, traceIfAsked, type Testbench } from '../harness.ts';

const CONFIG = regionOffset(VFIO_PCI_CONFIG_REGION_INDEX);

function le(bytes: Uint8Array): number {
  return bytes.reduceRight((v, b) => v * 256 + b, 0);
}

function hex(v: number | bigint, width = 0): string {
  return `0x${v.toString(16).padStart(width, '0')}`;
}

/**
 * What a user-space ISM driver does first, through vfio only: open the device, ask for every
 * region's info, read the config header, then bring the function up — REG_SBA, REG_IEQ,
 * QUERY_INFO, READ_GID — as pwrite (body at +8, header at +0) and pread (8-byte loads) on the
 * BAR 2 region. Every access is one PCILG/PCISTB on the waveform.
 */
export const probe: Testbench = {
  name: 'probe',
  description: 'user-space probe over vfio: region info, config header, REG_SBA/REG_IEQ/QUERY_INFO/READ_GID through BAR 2',
  vms: { min: 1, max: 16, default: 1 },
  // vfio-ism's pwrite refuses a command block longer than maxstbl (REG_IEQ is 16 bytes).
  maxstbl: { min: 16, max: 8191, default: 4096 },
  run: (options) =>
    runBench('probe', options, async (ctx) => {
      const { sim, note } = ctx;
      const machine = new IsmMachine(sim, { vms: options.vms, maxstbl: options.maxstbl });
      traceIfAsked(sim, options, 'probe: vfio-ism user-space bring-up');
      // Every VM's user-space driver probes its own function at the same time. VM0's bring-up is
      // told in full; the others in one line, so the summary stays one screen at 16 VMs.
      const gids: bigint[] = [];
      machine.vms.forEach((vm, i) => {
        const say = (line: string): void => {
          if (i === 0) note(line);
        };
        sim.process(`vm${i}_user_driver`, async () => {
          const dev = VfioDevice.open(vm.zdev);
          if (i === 0) {
            for (const index of [0, 1, 2, 3, 4, 5, 7]) {
              const r = dev.regionInfo(index);
              say(`region ${index}: offset ${hex(r.offset)} size ${hex(r.size)} flags ${r.flags}`);
            }
          }
          const ids = await dev.pread(4, CONFIG);
          const vendor = le(ids.subarray(0, 2));
          const device = le(ids.subarray(2, 4));
          const command = le(await dev.pread(2, CONFIG + 4n));
          const classRev = le(await dev.pread(4, CONFIG + 8n));
          const bar0 = le(await dev.pread(4, CONFIG + 0x10n));
          const capPtr = (await dev.pread(1, CONFIG + 0x34n))[0];
          say(`config: vendor ${hex(vendor, 4)} device ${hex(device, 4)} command ${hex(command, 4)} class/rev ${hex(classRev, 8)} BAR0 low ${hex(bar0, 8)} cap ptr ${hex(capPtr, 2)}`);
          if (vendor !== 0x1014 || device !== 0x04ed) throw new Error(`vm${i}: not an ISM function: ${hex(vendor)}:${hex(device)}`);
          const driver = new IsmDriver(sim, new VfioIsmAccess(dev));
          await driver.probe();
          const q = driver.queryInfo;
          say(`READ_GID: ${hex(driver.gid, 16)}; QUERY_INFO: version ${q.version} state ${q.ism_state} my_gid ${hex(q.my_gid ?? 0n, 16)} sba ${hex(q.sba ?? 0n)} ieq ${hex(q.ieq ?? 0n)} ieq_len ${q.ieq_len}`);
          if (driver.gid !== vm.vm.ism.gid) throw new Error(`vm${i}: READ_GID disagrees with the adapter`);
          gids[i] = driver.gid;
          say(`commands: ${Object.entries(driver.counts.commands).map(([k, n]) => `${k}×${n}`).join(' ')}`);
          await driver.remove();
          dev.close();
        });
      });
      await sim.run();
      for (const vm of machine.vms) ctx.count(vm.cpu.stats);
      if (options.vms > 1) {
        const distinct = new Set(gids).size === options.vms;
        note(`vm1..vm${options.vms - 1}: the same bring-up and teardown; every READ_GID matches its adapter${distinct ? ', all GIDs distinct' : ''}`);
      }
      // Counted after the run, teardown included, so it agrees with the cc=2 answers above.
      const retries = machine.vms.reduce((n, vm) => n + vm.insn.busyRetries, 0);
      note(`busy retries: ${retries} (every cc=2 answer re-issued after Linux's 1 µs delay)`);
    }),
};
