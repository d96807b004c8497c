import { Command } from 'commander';
import { Simulator } from '../rtl/hdl/index.ts';
import { buildDriver } from '../models/cosim/build.ts';
import { ScratchMachine } from '../models/host/zpci-machine.ts';
import { describeFailure, runVfioFuzz, type FuzzReport } from '../models/ref/vfio-fuzz.ts';
import { expectedRegionInfo } from '../models/ref/vfio-ism-reference.ts';
import type { VfioIsmFirmwareFactory } from '../models/vfio/firmware.ts';
import { VFIO_PCI_CONFIG_REGION_INDEX, regionOffset } from '../models/vfio/regions.ts';
import { VfioDevice } from '../models/vfio/vfio-device.ts';
import { DRIVER_OPTION_HELP, loadDriverOption } from './driver-option.ts';
import { integer } from './integer-option.ts';

/**
 * Bring-up through the C driver on an ISM-like function: bind and open, region info of every
 * index against the reference, the config header, a BAR 2 write read back. Throws on the first
 * difference.
 */
async function bringUp(firmware: VfioIsmFirmwareFactory): Promise<string> {
  const sim = new Simulator();
  const machine = new ScratchMachine(sim);
  const f = { maxstbl: machine.zdev.maxstbl, barSizes: machine.hw.pfu.config.barSizes, cfgSize: machine.zdev.cfgSize };
  let header = '';
  let failure: unknown;
  sim.process('user', async () => {
    try {
      const dev = VfioDevice.open(machine.zdev, { firmware });
      for (let index = 0; index <= 8; index++) {
        const want = expectedRegionInfo(f, index);
        let got: string;
        try {
          got = JSON.stringify(dev.regionInfo(index), (_, v) => (typeof v === 'bigint' ? v.toString() : v));
        } catch (e) {
          got = `error ${(e as Error).message}`;
        }
        const expected = want.ret < 0 ? `error` : JSON.stringify(want.info, (_, v) => (typeof v === 'bigint' ? v.toString() : v));
        if (want.ret < 0 ? !got.startsWith('error') : got !== expected) throw new Error(`region info ${index}: ${got}, the reference says ${expected}`);
      }
      const id = await dev.pread(4, regionOffset(VFIO_PCI_CONFIG_REGION_INDEX));
      header = `${((id[1] << 8) | id[0]).toString(16).padStart(4, '0')}:${((id[3] << 8) | id[2]).toString(16).padStart(4, '0')}`;
      const bytes = Uint8Array.from({ length: 64 }, (_, i) => (i * 37 + 5) & 0xff);
      await dev.pwrite(bytes, regionOffset(2) + 128n);
      const back = await dev.pread(64, regionOffset(2) + 128n);
      if (back.some((b, i) => b !== bytes[i])) throw new Error('BAR 2: a 64-byte write did not read back');
      dev.close();
    } catch (e) {
      failure = e;
    }
  });
  await sim.run({ maxCycles: 5_000_000 });
  sim.dispose();
  if (failure) throw failure;
  return `probe, open, region info 0-8 as the reference, config header ${header}, BAR 2 write read back, close: ok`;
}

function rate(r: FuzzReport): string {
  return `${r.counters.operations.toLocaleString('en-US')} calls checked, ${Math.round(r.counters.operations / (r.wallMs / 1000)).toLocaleString('en-US')} per second`;
}

/** `ism-sim cosim --driver <main.c>`: build a C vfio-ism driver, bring it up, fuzz it against the reference beside the TypeScript port. */
export function cosimCommand(): Command {
  return new Command('cosim')
    .description('compile a C vfio-ism driver to WebAssembly against the kernel-API shim, bring it up on the model and fuzz it beside the TypeScript port')
    .requiredOption('--driver <main.c>', DRIVER_OPTION_HELP)
    .option('--runs <n>', 'property runs of the fuzz (each through both firmwares)', integer('--runs', 1, 1_000_000), 100)
    .option('--seed <n>', 'fuzz seed', integer('--seed', 0, 2 ** 31 - 1), 1)
    .action(async (opts: { driver: string; runs: number; seed: number }) => {
      const started = performance.now();
      const firmware = await loadDriverOption(opts.driver);
      const { wasmBytes } = await buildDriver(opts.driver);
      console.log(`driver       ${opts.driver}: ${(wasmBytes / 1024).toFixed(1)} KiB of WebAssembly, ready in ${((performance.now() - started) / 1000).toFixed(1)} s`);
      console.log(`bring-up     ${await bringUp(firmware)}`);
      const c = await runVfioFuzz({ seed: opts.seed, runs: opts.runs, firmware });
      if (c.failure) {
        console.log(describeFailure(c));
        console.log(`  (the failure is the C driver's: give the replay --driver ${opts.driver})`);
        process.exitCode = 1;
        return;
      }
      const ts = await runVfioFuzz({ seed: opts.seed, runs: opts.runs });
      console.log(`fuzz C       seed ${opts.seed}, ${c.runs} runs: ${rate(c)}`);
      console.log(`fuzz TS port seed ${opts.seed}, ${ts.runs} runs: ${rate(ts)}`);
      console.log('result       every property held through the C driver');
    });
}
