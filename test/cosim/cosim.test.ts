import { existsSync, readFileSync, rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseVcd } from '../../bench/wave/vcd-reader.ts';
import type { ScratchMachineOptions } from '../../models/host/zpci-machine.ts';
import { Errno } from '../../models/linux/errno.ts';
import { describeFailure, runVfioFuzz } from '../../models/ref/vfio-fuzz.ts';
import { CosimVfioIsmDevice, cosimFirmware } from '../../models/cosim/cosim-driver.ts';
import { CosimBuildError, buildDriver } from '../../models/cosim/build.ts';
import { CosimOops } from '../../models/cosim/oops.ts';
import { cosimAvailability, probeToolchain } from '../../models/cosim/toolchain.ts';
import { regionOffset } from '../../models/vfio/regions.ts';
import { propertySeed } from '../support/seed.ts';
import { withVfioDevice, type VfioRig } from '../support/vfio-rig.ts';
import { TEST_WAVES_DIR } from '../support/waves.ts';
import { BUILD_TIMEOUT, DRIVERS, OUR_VARIANT, built } from './support.ts';

const BAR0 = regionOffset(0);
const BAR2 = regionOffset(2);

/** Run `body` as the user program of a one-VM system whose vfio-ism firmware is the C driver at `path`. */
async function withCDriver(path: string, body: (rig: VfioRig) => Promise<void>, machine: ScratchMachineOptions = {}, storeBlockLimit?: number): Promise<void> {
  await withVfioDevice(body, { machine, driver: { firmware: cosimFirmware(await built(path)), storeBlockLimit } });
}

const availability = cosimAvailability();

describe('cosim toolchain', () => {
  it('a missing compiler makes cosim say plainly that it is unavailable and how to install it', () => {
    const r = probeToolchain('ism-sim-no-such-clang', 'wasm-ld');
    expect(r).toBeInstanceOf(Error);
    expect((r as Error).message).toMatch(/^cosim is unavailable: .*apt-get install -y clang lld.*no `ism-sim-no-such-clang` found/);
  });

  if (!availability.available) {
    // No skipped tests: without clang/lld this says so, and fails where the toolchain is promised (CI installs it).
    it(`cosim tests need clang and lld: ${availability.reason}`, () => {
      expect(process.env.CI, 'CI installs clang and lld (.ci/run); cosim must run there').toBeFalsy();
    });
  }
});

// Without the toolchain these are not defined at all (no skipped tests); the test above says why.
if (availability.available) describe('a C vfio-ism driver as firmware (cosim)', () => {
  it('our C variant driver passes the vfio-ism property fuzz (same oracle as the TypeScript port)', { timeout: BUILD_TIMEOUT }, async () => {
    const seed = propertySeed(20261127, 'cosim fuzz our-ism-variant.c');
    const report = await runVfioFuzz({ seed, runs: 60, firmware: cosimFirmware(await built(OUR_VARIANT)), wavesDir: TEST_WAVES_DIR });
    if (report.failure) throw new Error(describeFailure(report));
    expect(report.counters.operations).toBeGreaterThan(250);
    expect(report.counters.byKind.PCILG?.cc0 ?? 0).toBeGreaterThan(50);
    expect(report.counters.byKind.PCISTB?.cc0 ?? 0).toBeGreaterThan(10);
    expect(report.counters.byKind.PCISTB?.cc2 ?? 0).toBeGreaterThan(0);
  });

  it('the C variant and the TypeScript port are indistinguishable to the fuzzer: same calls, same instruction outcomes, same simulated cycles', { timeout: BUILD_TIMEOUT }, async () => {
    const seed = propertySeed(5, 'cosim differential');
    const c = await runVfioFuzz({ seed, runs: 40, firmware: cosimFirmware(await built(OUR_VARIANT)), wavesDir: TEST_WAVES_DIR });
    const ts = await runVfioFuzz({ seed, runs: 40, wavesDir: TEST_WAVES_DIR });
    expect(c.failure).toBeUndefined();
    expect(c.counters.operations).toBe(ts.counters.operations);
    expect(c.counters.byKind).toEqual(ts.counters.byKind);
    expect(c.counters.cycles).toBe(ts.counters.cycles);
  });

  it('split write: a C driver that issues a BAR write as two PCISTBs is caught with a one-call counterexample and its waveform', { timeout: BUILD_TIMEOUT }, async () => {
    const seed = propertySeed(1414, 'cosim planted split write');
    const vcd = `${TEST_WAVES_DIR}/counterexample-${seed}.vcd`;
    rmSync(vcd, { force: true });
    const firmware = cosimFirmware(await built(`${DRIVERS}/faulty-split-write.c`));
    const report = await runVfioFuzz({ seed, runs: 200, firmware, wavesDir: TEST_WAVES_DIR });
    const failure = report.failure!;
    expect(failure, 'the split write went unnoticed').toBeDefined();
    expect(failure.rule).toBe('one PCISTB per write');
    expect(failure.counterexample.split(';')).toHaveLength(1);
    expect(failure.counterexample).toMatch(/^maxstbl \d+, BAR4 \d+ bytes: pwrite\(/);
    expect(failure.vcdPath).toBe(vcd);
    expect(existsSync(vcd)).toBe(true);
    const doc = parseVcd(readFileSync(vcd, 'utf8'));
    // The waveform shows both halves: two PCISTB requests (op 2) on the CPU port.
    const valid = doc.changes.get('top.vm0.cpu_port.req_valid')!;
    expect(valid.filter((c) => c.value === 1n).length).toBeGreaterThanOrEqual(2);
    // Deterministic: the same seed gives the same counterexample and a byte-identical waveform.
    const first = readFileSync(vcd);
    const again = await runVfioFuzz({ seed, runs: 200, firmware, wavesDir: TEST_WAVES_DIR });
    expect(again.failure?.counterexample).toBe(failure.counterexample);
    expect(readFileSync(vcd).equals(first)).toBe(true);
  });

  it('probe creates the driver\'s slab cache; a write borrows one page-aligned object and gives it back; close and release return every page', { timeout: BUILD_TIMEOUT }, async () => {
    await withCDriver(
      OUR_VARIANT,
      async ({ machine, dev, monitor }) => {
        const driver = dev.driver as CosimVfioIsmDevice;
        expect(driver.kernel.cacheNames).toEqual([`our_ism_${machine.zdev.fid.toString(16).padStart(8, '0')}`]);
        const before = machine.pages.allocatedPages;
        expect(await dev.pwrite(new Uint8Array(3000).fill(0x5a), BAR0 + 4096n)).toBe(3000);
        expect(machine.pages.allocatedPages).toBeGreaterThan(before);
        expect(driver.kernel.objectsInUse).toBe(0);
        const stb = monitor.seen.filter((i) => i.kind === 'PCISTB');
        expect(stb).toHaveLength(1);
        expect(Number(stb[0].gaddr % 4096n)).toBe(0); // the bounce object is page-aligned in storage too
        dev.close();
        expect(driver.isOpen).toBe(false);
        expect(machine.pages.allocatedPages).toBe(before);
      },
      { config: { maxstbl: 5000 } },
    );
  });

  it('copy_to_user/copy_from_user fault on a bad user pointer: -EFAULT, and a faulted write issues no PCISTB', { timeout: BUILD_TIMEOUT }, async () => {
    await withCDriver(OUR_VARIANT, async ({ dev, monitor }) => {
      expect(await dev.preadRaw(0x40, 8, BAR2)).toBe(-Errno.EFAULT);
      expect(await dev.pwriteRaw(0x40, 8, BAR2)).toBe(-Errno.EFAULT);
      expect(await dev.pwriteRaw(2 ** 40, 8, BAR2)).toBe(-Errno.EFAULT); // user pointers are 64-bit (LP64): a high one faults, never aliases
      expect(monitor.seen.filter((i) => i.kind === 'PCISTB')).toHaveLength(0);
      expect(await dev.pwrite(Uint8Array.of(1, 2, 3), BAR2 + 16n)).toBe(3); // the device still works
    });
  });

  it('usercopy window: copy_from_user past a slab cache\'s usersize is a HARDENED_USERCOPY abort that kills the driver', { timeout: BUILD_TIMEOUT }, async () => {
    await withCDriver(
      `${DRIVERS}/faulty-usercopy-window.c`,
      async ({ dev }) => {
        expect(await dev.pwrite(new Uint8Array(64), BAR2)).toBe(64); // inside the window (maxstbl / 2)
        const oops = await dev.pwrite(new Uint8Array(200), BAR2).catch((e: unknown) => e);
        expect(oops).toBeInstanceOf(CosimOops);
        expect((oops as Error).message).toMatch(/usercopy: Kernel memory overwrite attempt detected from SLUB object 'our_ism_[0-9a-f]{8}' \(offset 0, size 200\)/);
        await expect(dev.pread(4, BAR2)).rejects.toBe(oops);
      },
      { config: { maxstbl: 256 } },
    );
  });

  it('memory pressure: kmem_cache_alloc returning NULL is -ENOMEM from the C driver', { timeout: BUILD_TIMEOUT }, async () => {
    await withCDriver(
      OUR_VARIANT,
      async ({ dev }) => {
        expect(await dev.pwriteRaw(dev.user.allocate(8), 8, BAR2)).toBe(-Errno.ENOMEM);
      },
      {},
      0,
    );
  });

  it('a driver that calls what the shim does not provide fails to build, naming the symbol', { timeout: BUILD_TIMEOUT }, async () => {
    await expect(buildDriver(`${DRIVERS}/uses-unknown-symbol.c`)).rejects.toThrow(CosimBuildError);
    await expect(buildDriver(`${DRIVERS}/uses-unknown-symbol.c`)).rejects.toThrow(/undefined symbol: pci_iomap/);
  });
});
