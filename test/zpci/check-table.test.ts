/**
 * The check table of /work/shared/spec/zpci.md §11, row by row and instruction by instruction,
 * through the RTL (CPU BFM → function unit → store-block engine → scratch device). Expected
 * values are the spec's (or the documented "our choice" in rtl/zpci/README.md).
 */
import { describe, expect, it } from 'vitest';
import { genericFunctionConfig, ismFunctionConfig, type FunctionConfig } from '../../rtl/zpci/function-config.ts';
import { FH_ENABLE, FunctionState } from '../../rtl/zpci/codes.ts';
import { outcome, withRig, type Rig } from './support.ts';

const strict = genericFunctionConfig(); // BAR0 64 KiB, BAR2 16 KiB, maxstbl 128
const ism = ismFunctionConfig(); // BAR0 1 MiB, BAR2 8 KiB, maxstbl 4096, relaxed

const PI = (pic: number) => ({ pic });
const CC = (cc: number, status = 0, data = 0n) => ({ cc, status, data });

/** Run `body` with an enabled function; returns the rig for post-run checks. */
function run(config: FunctionConfig, body: (r: Rig, fh: number) => Promise<void>): Promise<Rig> {
  return withRig(config, async (r) => {
    const fh = r.vm.pfu.enable();
    await r.sim.tick();
    await body(r, fh);
  });
}

describe('row 1: problem state → privileged-operation 0x02, before every other check', () => {
  it('PCILG / PCISTG / PCISTB, even with a bad handle and bad operands', async () => {
    const r = await run(strict, async ({ cpu }, fh) => {
      const ps = { problemState: true };
      expect(await outcome(cpu.pcilg(fh, 0, 0n, 8, ps))).toEqual(PI(0x02));
      expect(await outcome(cpu.pcistg(fh, 0, 0n, 8, 1n, ps))).toEqual(PI(0x02));
      expect(await outcome(cpu.pcistb(fh, 0, 0n, 0n, 16, ps))).toEqual(PI(0x02));
      expect(await outcome(cpu.pcilg(0, 9, 3n, 0, { ...ps, r2Odd: true }))).toEqual(PI(0x02));
      expect(await outcome(cpu.pcistb(0x1234, 15, 3n, 5n, 0, ps))).toEqual(PI(0x02));
    });
    expect(r.dev.writes).toEqual([]);
  });
});

describe('row 2: odd r2 register → specification 0x06 (PCILG, PCISTG only)', () => {
  it('PCILG / PCISTG raise 0x06 before the handle check; PCISTB has no r2 pair', async () => {
    const r = await run(strict, async ({ cpu }, fh) => {
      expect(await outcome(cpu.pcilg(fh, 0, 0n, 8, { r2Odd: true }))).toEqual(PI(0x06));
      expect(await outcome(cpu.pcistg(fh, 0, 0n, 8, 1n, { r2Odd: true }))).toEqual(PI(0x06));
      expect(await outcome(cpu.pcilg(0, 0, 0n, 8, { r2Odd: true }))).toEqual(PI(0x06));
      expect(await outcome(cpu.pcistb(fh, 0, 0n, 0n, 16, { r2Odd: true }))).toEqual(CC(0));
    });
    expect(r.dev.writes).toHaveLength(1);
  });
});

describe('row 3: fh enable bit clear → cc 3', () => {
  it('all three instructions, including the current handle of a disabled function', async () => {
    const r = await withRig(strict, async ({ cpu, vm }) => {
      const disabledFh = vm.pfu.currentFh;
      expect(disabledFh & FH_ENABLE).toBe(0);
      expect(await outcome(cpu.pcilg(disabledFh, 0, 0n, 8))).toEqual(CC(3));
      expect(await outcome(cpu.pcistg(disabledFh, 0, 0n, 8, 1n))).toEqual(CC(3));
      expect(await outcome(cpu.pcistb(disabledFh, 0, 0n, 0n, 16))).toEqual(CC(3));
      const fh = vm.pfu.enable();
      await vm.sim.tick();
      // Same handle with the enable bit cleared.
      expect(await outcome(cpu.pcilg((fh & ~FH_ENABLE) >>> 0, 0, 0n, 8))).toEqual(CC(3));
      expect(vm.pfu.chkRow.value).toBe(3);
    });
    expect(r.dev.writes).toEqual([]);
  });
});

describe('row 4: fh not the current handle → cc 3', () => {
  it('a stale handle (after disable + enable) and an unrelated enabled handle', async () => {
    const r = await run(strict, async ({ cpu, vm, sim }, oldFh) => {
      vm.pfu.disable();
      const fh = vm.pfu.enable();
      await sim.tick(2);
      expect(fh).not.toBe(oldFh);
      expect(await outcome(cpu.pcilg(oldFh, 0, 0n, 8))).toEqual(CC(3));
      expect(await outcome(cpu.pcistg(oldFh, 0, 0n, 8, 1n))).toEqual(CC(3));
      expect(await outcome(cpu.pcistb(oldFh, 0, 0n, 0n, 16))).toEqual(CC(3));
      expect(vm.pfu.chkRow.value).toBe(4);
      expect(await outcome(cpu.pcilg(0x8000_0001, 0, 0n, 8))).toEqual(CC(3));
      expect(await outcome(cpu.pcilg(fh, 0, 0n, 8))).toEqual(CC(0));
    });
    expect(r.dev.writes).toEqual([]);
  });
});

describe('row 5: error / permanent error → cc 1 status 12; blocked is usable', () => {
  it('ERROR and PERMANENT_ERROR reject all three, before the address-space check', async () => {
    const r = await run(strict, async ({ cpu, vm, sim }, fh) => {
      vm.pfu.setError();
      await sim.tick();
      expect(vm.pfu.fnState.value).toBe(FunctionState.ERROR);
      expect(await outcome(cpu.pcilg(fh, 0, 0n, 8))).toEqual(CC(1, 12));
      expect(await outcome(cpu.pcistg(fh, 0, 0n, 8, 1n))).toEqual(CC(1, 12));
      expect(await outcome(cpu.pcistb(fh, 0, 0n, 0n, 16))).toEqual(CC(1, 12));
      expect(await outcome(cpu.pcilg(fh, 9, 0n, 8))).toEqual(CC(1, 12)); // row 5 before row 6
      // MPCIFC reset-block: ERROR → BLOCKED, load/store allowed again.
      expect(vm.pfu.resetBlock()).toBe(true);
      await sim.tick();
      expect(await outcome(cpu.pcistg(fh, 0, 0n, 8, 0xabn))).toEqual(CC(0));
      expect(await outcome(cpu.pcistb(fh, 0, 8n, 0n, 16))).toEqual(CC(0));
      // reset-error: back to ENABLED.
      expect(vm.pfu.resetError()).toBe(true);
      vm.pfu.setPermanentError();
      await sim.tick();
      expect(await outcome(cpu.pcilg(fh, 0, 0n, 8))).toEqual(CC(1, 12));
      expect(await outcome(cpu.pcistb(fh, 0, 0n, 0n, 16))).toEqual(CC(1, 12));
    });
    expect(r.dev.writes.map((w) => w.offset)).toEqual([0n, 8n]);
  });
});

describe('row 6: address space → cc 1 status 20', () => {
  it('PCILG / PCISTG: 6..14; PCISTB: 6..15 (config space included)', async () => {
    const r = await run(strict, async ({ cpu }, fh) => {
      for (const as of [6, 7, 10, 14]) {
        expect(await outcome(cpu.pcilg(fh, as, 0n, 8))).toEqual(CC(1, 20));
        expect(await outcome(cpu.pcistg(fh, as, 0n, 8, 1n))).toEqual(CC(1, 20));
        expect(await outcome(cpu.pcistb(fh, as, 0n, 0n, 16))).toEqual(CC(1, 20));
      }
      expect(await outcome(cpu.pcistb(fh, 15, 0n, 0n, 16))).toEqual(CC(1, 20));
      // row 6 before row 7: a bad length in a bad space is still status 20.
      expect(await outcome(cpu.pcilg(fh, 7, 3n, 0))).toEqual(CC(1, 20));
      expect(await outcome(cpu.pcistb(fh, 8, 3n, 1n, 3))).toEqual(CC(1, 20));
    });
    expect(r.dev.writes).toEqual([]);
  });
});

describe('row 7: BAR access empty or crossing a doubleword → operand 0x15', () => {
  it('PCILG / PCISTG', async () => {
    const r = await run(strict, async ({ cpu }, fh) => {
      expect(await outcome(cpu.pcilg(fh, 0, 0n, 0))).toEqual(PI(0x15));
      expect(await outcome(cpu.pcistg(fh, 0, 0n, 0, 0n))).toEqual(PI(0x15));
      expect(await outcome(cpu.pcilg(fh, 0, 5n, 4))).toEqual(PI(0x15));
      expect(await outcome(cpu.pcistg(fh, 2, 1n, 8, 0n))).toEqual(PI(0x15));
      expect(await outcome(cpu.pcilg(fh, 0, 0n, 9))).toEqual(PI(0x15));
      expect(await outcome(cpu.pcilg(fh, 0, 16n, 16))).toEqual(PI(0x15)); // 4-bit field: 16 → 0
      // Within one doubleword is fine, including odd lengths (QEMU allows 3, 5, 6, 7).
      expect(await outcome(cpu.pcistg(fh, 0, 4n, 4, 0x01020304n))).toEqual(CC(0));
      expect(await outcome(cpu.pcistg(fh, 0, 9n, 3, 0xaabbccn))).toEqual(CC(0));
    });
    expect(r.dev.writes).toEqual([
      { space: 0, offset: 4n, bytes: Uint8Array.of(1, 2, 3, 4) },
      { space: 0, offset: 9n, bytes: Uint8Array.of(0xaa, 0xbb, 0xcc) },
    ]);
  });
});

describe('row 8: config length not 1/2/4 or crossing a word → operand 0x15', () => {
  it('PCILG / PCISTG', async () => {
    const r = await run(strict, async ({ cpu }, fh) => {
      expect(await outcome(cpu.pcilg(fh, 15, 0n, 3))).toEqual(PI(0x15));
      expect(await outcome(cpu.pcilg(fh, 15, 0n, 8))).toEqual(PI(0x15));
      expect(await outcome(cpu.pcilg(fh, 15, 0n, 0))).toEqual(PI(0x15));
      expect(await outcome(cpu.pcistg(fh, 15, 2n, 4, 0n))).toEqual(PI(0x15));
      expect(await outcome(cpu.pcilg(fh, 15, 3n, 2))).toEqual(PI(0x15));
      // Allowed: vendor ID (0x1014) comes back in address order, i.e. byte-swapped.
      expect(await outcome(cpu.pcilg(fh, 15, 0n, 2))).toEqual(CC(0, 0, 0x1410n));
      expect(await outcome(cpu.pcilg(fh, 15, 2n, 2))).toEqual(CC(0, 0, 0xed04n));
      expect(await outcome(cpu.pcistg(fh, 15, 0x40n, 4, 0x11223344n))).toEqual(CC(0));
      expect(await outcome(cpu.pcilg(fh, 15, 0x41n, 1))).toEqual(CC(0, 0, 0x22n));
    });
    expect(r.dev.writes).toEqual([{ space: 15, offset: 0x40n, bytes: Uint8Array.of(0x11, 0x22, 0x33, 0x44) }]);
  });
});

describe('row 9: config offset ≥ config size → cc 0, all-ones / store dropped', () => {
  it('4 KiB config space', async () => {
    const r = await run(strict, async ({ cpu }, fh) => {
      expect(await outcome(cpu.pcilg(fh, 15, 4096n, 4))).toEqual(CC(0, 0, 0xffff_ffffn));
      expect(await outcome(cpu.pcilg(fh, 15, 0x1_0000_0000n, 2))).toEqual(CC(0, 0, 0xffffn));
      expect(await outcome(cpu.pcistg(fh, 15, 5000n, 4, 0x1234n))).toEqual(CC(0));
    });
    expect(r.dev.writes).toEqual([]);
    expect(r.dev.counts.loads + r.dev.counts.stores).toBe(0);
  });
  it('256-byte config space', async () => {
    await run(genericFunctionConfig({ configSize: 256 }), async ({ cpu }, fh) => {
      expect(await outcome(cpu.pcilg(fh, 15, 256n, 1))).toEqual(CC(0, 0, 0xffn));
      expect(await outcome(cpu.pcilg(fh, 15, 252n, 4))).toEqual(CC(0, 0, 0n));
    });
  });
});

describe('row 10: PCISTB offset not 8-aligned → specification 0x06 (strict); ISM accepts', () => {
  it('strict and relaxed', async () => {
    const s = await run(strict, async ({ cpu }, fh) => {
      expect(await outcome(cpu.pcistb(fh, 0, 4n, 0n, 16))).toEqual(PI(0x06));
      expect(await outcome(cpu.pcistb(fh, 0, 1n, 0n, 15))).toEqual(PI(0x06)); // row 10 before row 11
    });
    expect(s.dev.writes).toEqual([]);
    const i = await run(ism, async ({ cpu }, fh) => {
      expect(await outcome(cpu.pcistb(fh, 0, 4n, 0n, 16))).toEqual(CC(0));
    });
    expect(i.dev.writes).toHaveLength(1);
  });
});

describe('row 11: PCISTB length', () => {
  it('strict: len ≤ 8, not a multiple of 8, or > maxstbl (128) → 0x06', async () => {
    const r = await run(strict, async ({ cpu }, fh) => {
      for (const len of [0, 1, 8, 12, 20, 136, 4096]) expect(await outcome(cpu.pcistb(fh, 0, 0n, 0n, len))).toEqual(PI(0x06));
      for (const len of [16, 64, 128]) expect(await outcome(cpu.pcistb(fh, 0, 0n, 0n, len))).toEqual(CC(0));
    });
    expect(r.dev.writes.map((w) => w.bytes.length)).toEqual([16, 64, 128]);
  });
  it('relaxed (ISM, maxstbl 4096): any 1..4096; 0 and 4097 → 0x06', async () => {
    const r = await run(ism, async ({ cpu }, fh) => {
      expect(await outcome(cpu.pcistb(fh, 0, 0n, 0n, 0))).toEqual(PI(0x06));
      expect(await outcome(cpu.pcistb(fh, 0, 0n, 0n, 4097))).toEqual(PI(0x06));
      for (const len of [1, 7, 8, 13, 4096]) expect(await outcome(cpu.pcistb(fh, 0, 0n, 0n, len))).toEqual(CC(0));
    });
    expect(r.dev.writes.map((w) => w.bytes.length)).toEqual([1, 7, 8, 13, 4096]);
  });
  it('maxstbl is per function', async () => {
    await run(ismFunctionConfig({ maxstbl: 256 }), async ({ cpu }, fh) => {
      expect(await outcome(cpu.pcistb(fh, 0, 0n, 0n, 257))).toEqual(PI(0x06));
      expect(await outcome(cpu.pcistb(fh, 0, 0n, 0n, 256))).toEqual(CC(0));
    });
  });
});

describe('row 12: PCISTB crossing a 4 KiB boundary on the PCI side → 0x06 (strict and ISM)', () => {
  it('touching is fine, crossing is not', async () => {
    const s = await run(strict, async ({ cpu }, fh) => {
      expect(await outcome(cpu.pcistb(fh, 0, 0xff8n, 0n, 16))).toEqual(PI(0x06));
      expect(await outcome(cpu.pcistb(fh, 0, 0x1f80n, 0n, 128))).toEqual(CC(0));
    });
    expect(s.dev.writes).toHaveLength(1);
    const i = await run(ism, async ({ cpu }, fh) => {
      expect(await outcome(cpu.pcistb(fh, 0, 1n, 0n, 4096))).toEqual(PI(0x06));
      expect(await outcome(cpu.pcistb(fh, 0, 0x2fffn, 0n, 2))).toEqual(PI(0x06));
      expect(await outcome(cpu.pcistb(fh, 0, 0x2fffn, 0n, 1))).toEqual(CC(0));
      expect(await outcome(cpu.pcistb(fh, 0, 0x3000n, 0n, 4096))).toEqual(CC(0));
    });
    expect(i.dev.writes.map((w) => [w.offset, w.bytes.length])).toEqual([
      [0x2fffn, 1],
      [0x3000n, 4096],
    ]);
  });
});

describe('row 13 and source boundary: PCISTB source in guest storage', () => {
  it('strict: source not 8-aligned → 0x06; ISM accepts any alignment', async () => {
    await run(strict, async ({ cpu }, fh) => {
      expect(await outcome(cpu.pcistb(fh, 0, 0n, 0x104n, 16))).toEqual(PI(0x06));
    });
    await run(ism, async ({ cpu }, fh) => {
      expect(await outcome(cpu.pcistb(fh, 0, 0n, 0x105n, 16))).toEqual(CC(0));
    });
  });
  it('PCISTB source crossing a 4 KiB page is accepted by default on every function kind (Linux and QEMU do not check it)', async () => {
    // The second chunk of an 8 KiB ism_move into a DMB at +32: target [4096, 8192), source [4064, 8160).
    const src = 0x4000 + 4064;
    const payload = Uint8Array.from({ length: 4096 }, (_, i) => (i * 7 + 3) & 0xff);
    const r = await run(ism, async ({ cpu, mem }, fh) => {
      mem.write(src, payload);
      expect(await outcome(cpu.pcistb(fh, 0, 4096n, BigInt(src), 4096))).toEqual(CC(0));
    });
    expect(r.dev.writes).toEqual([{ space: 0, offset: 4096n, bytes: payload }]);
    await run(strict, async ({ cpu }, fh) => {
      expect(await outcome(cpu.pcistb(fh, 0, 0n, 0xff8n, 16))).toEqual(CC(0));
    });
  });
  it('the strict source-page rule is an option: sourceBoundaryCheck → 0x06 (row 0x12), nothing written', async () => {
    const r = await run(genericFunctionConfig({ sourceBoundaryCheck: true }), async ({ cpu, vm }, fh) => {
      expect(await outcome(cpu.pcistb(fh, 0, 0n, 0xff8n, 16))).toEqual(PI(0x06));
      expect(vm.pfu.chkRow.value).toBe(0x12);
    });
    expect(r.dev.writes).toEqual([]);
    await run(ismFunctionConfig({ sourceBoundaryCheck: true }), async ({ cpu }, fh) => {
      expect(await outcome(cpu.pcistb(fh, 0, 0n, 0x1ffen, 4))).toEqual(PI(0x06));
      expect(await outcome(cpu.pcistb(fh, 0, 0n, 0x1ffcn, 4))).toEqual(CC(0));
    });
  });
});

describe('row 14 (our choice): unimplemented BAR or beyond its end → operand 0x15', () => {
  it('all three, nothing reaches the device', async () => {
    const r = await run(strict, async ({ cpu }, fh) => {
      expect(await outcome(cpu.pcilg(fh, 1, 0n, 8))).toEqual(PI(0x15));
      expect(await outcome(cpu.pcistg(fh, 5, 0n, 8, 0n))).toEqual(PI(0x15));
      expect(await outcome(cpu.pcistb(fh, 3, 0n, 0n, 16))).toEqual(PI(0x15));
      expect(await outcome(cpu.pcilg(fh, 0, 0x1_0000n, 1))).toEqual(PI(0x15)); // BAR0 is 64 KiB
      expect(await outcome(cpu.pcistg(fh, 2, 0x3ffcn, 8, 0n))).toEqual(PI(0x15)); // decided by row 7 (4+8 > 8)
      expect(await outcome(cpu.pcistg(fh, 2, 0x4000n, 4, 0n))).toEqual(PI(0x15)); // BAR2 is 16 KiB
      expect(await outcome(cpu.pcistb(fh, 2, 0x4000n, 0n, 32))).toEqual(PI(0x15));
      expect(await outcome(cpu.pcilg(fh, 0, 0xfff8n, 8))).toEqual(CC(0));
    });
    expect(r.dev.writes).toEqual([]);
    expect(r.dev.counts.loads).toBe(1);
  });
});

describe('row 15: source outside guest storage → addressing 0x05, nothing written', () => {
  it('PCISTB', async () => {
    const r = await run(ism, async ({ cpu, mem }, fh) => {
      expect(mem.size).toBe(0x10000);
      expect(await outcome(cpu.pcistb(fh, 0, 0n, 0x10000n, 8))).toEqual(PI(0x05));
      expect(await outcome(cpu.pcistb(fh, 0, 0n, 0xffff_ffff_ffff_fff0n, 8))).toEqual(PI(0x05));
      expect(await outcome(cpu.pcistb(fh, 0, 0n, 0xfff8n, 8))).toEqual(CC(0));
    });
    expect(r.dev.writes).toHaveLength(1);
  });
});

describe('row 16: success', () => {
  it('PCILG returns bytes in address order, right-aligned; PCISTG and PCISTB write in address order', async () => {
    const r = await run(strict, async ({ cpu, dev, mem }, fh) => {
      dev.poke(0, 0x100n, Uint8Array.of(0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4));
      expect(await outcome(cpu.pcilg(fh, 0, 0x100n, 8))).toEqual(CC(0, 0, 0xdeadbeef01020304n));
      expect(await outcome(cpu.pcilg(fh, 0, 0x102n, 2))).toEqual(CC(0, 0, 0xbeefn));
      expect(await outcome(cpu.pcistg(fh, 2, 0x10n, 2, 0xffff_1234n))).toEqual(CC(0)); // only the low 2 bytes
      mem.write(0x200, Uint8Array.from({ length: 24 }, (_, i) => 0xa0 + i));
      expect(await outcome(cpu.pcistb(fh, 0, 0x300n, 0x200n, 24))).toEqual(CC(0));
    });
    expect(r.dev.writes).toEqual([
      { space: 2, offset: 0x10n, bytes: Uint8Array.of(0x12, 0x34) },
      { space: 0, offset: 0x300n, bytes: Uint8Array.from({ length: 24 }, (_, i) => 0xa0 + i) },
    ]);
  });
});

describe('row 17: busy (cc 2) and device errors', () => {
  it('device BUSY → cc 2 with nothing done; the retry succeeds', async () => {
    const r = await run(ism, async ({ cpu, dev, mem }, fh) => {
      mem.write(0x40, Uint8Array.of(5, 6, 7));
      for (const issue of [
        () => cpu.pcilg(fh, 0, 0n, 8),
        () => cpu.pcistg(fh, 0, 0n, 8, 0x55n),
        () => cpu.pcistb(fh, 0, 0x21n, 0x40n, 3),
      ]) {
        dev.busyNext = 2;
        expect(await outcome(issue())).toEqual(CC(2));
        expect(await outcome(issue())).toEqual(CC(2));
        expect((await outcome(issue())) as { cc: number }).toMatchObject({ cc: 0 });
      }
    });
    expect(r.dev.writes).toEqual([
      { space: 0, offset: 0n, bytes: Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0x55) },
      { space: 0, offset: 0x21n, bytes: Uint8Array.of(5, 6, 7) },
    ]);
    expect(r.cpu.stats.PCISTB).toEqual({ cc2: 2, cc0: 1 });
  });
  it('device ERROR → cc 1 with the device code as status', async () => {
    await run(ism, async ({ cpu, dev }, fh) => {
      dev.errorNext = 3;
      dev.errorCode = 0x2a;
      expect(await outcome(cpu.pcilg(fh, 2, 0n, 8))).toEqual(CC(1, 0x2a));
      expect(await outcome(cpu.pcistg(fh, 2, 0n, 8, 1n))).toEqual(CC(1, 0x2a));
      expect(await outcome(cpu.pcistb(fh, 2, 0n, 0n, 8))).toEqual(CC(1, 0x2a));
      expect(dev.writes).toEqual([]);
    });
  });
});

describe('MIO forms', () => {
  it('our choice: a function without MIO (ISM) raises operand 0x15', async () => {
    await run(ism, async ({ cpu }) => {
      expect(await outcome(cpu.pcilgMio(ism.mioBase, 8))).toEqual(PI(0x15));
      expect(await outcome(cpu.pcistgMio(ism.mioBase, 8, 0n))).toEqual(PI(0x15));
      expect(await outcome(cpu.pcistbMio(ism.mioBase, 0n, 16))).toEqual(PI(0x15));
      expect(await outcome(cpu.pcilgMio(ism.mioBase, 8, { problemState: true }))).toEqual(PI(0x02));
    });
  });
  it('an MIO-capable function decodes the address to a BAR; outside every window → cc 3', async () => {
    const cfg = genericFunctionConfig({ mioCapable: true });
    const r = await run(cfg, async ({ cpu, dev }) => {
      const bar2 = cfg.mioBase + 2n * (1n << 36n);
      dev.poke(2, 0x18n, Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8));
      expect(await outcome(cpu.pcilgMio(bar2 + 0x18n, 8))).toEqual(CC(0, 0, 0x0102030405060708n));
      expect(await outcome(cpu.pcistbMio(cfg.mioBase + 0x40n, 0n, 16))).toEqual(CC(0));
      expect(await outcome(cpu.pcilgMio(cfg.mioBase + (1n << 36n), 8))).toEqual(CC(3)); // BAR1 absent
      expect(await outcome(cpu.pcilgMio(bar2 + 0x4000n, 8))).toEqual(CC(3)); // past BAR2
      expect(await outcome(cpu.pcilgMio(bar2 + 3n, 8))).toEqual(PI(0x15)); // row 7 still applies
    });
    expect(r.dev.writes).toEqual([{ space: 0, offset: 0x40n, bytes: new Uint8Array(16) }]);
  });
  it('disabled function → cc 3', async () => {
    const cfg = genericFunctionConfig({ mioCapable: true });
    await withRig(cfg, async ({ cpu }) => {
      expect(await outcome(cpu.pcilgMio(cfg.mioBase, 8))).toEqual(CC(3));
    });
  });
});

describe('function-level reset', () => {
  it('pulses DevicePort.reset once and the device drops its contents', async () => {
    const r = await run(strict, async ({ cpu, vm, sim }, fh) => {
      expect(await outcome(cpu.pcistg(fh, 0, 0n, 8, 0x77n))).toEqual(CC(0));
      let pulses = 0;
      vm.pfu.functionLevelReset();
      for (let i = 0; i < 5; i++) {
        await sim.tick();
        pulses += vm.devPort.reset.value;
      }
      expect(pulses).toBe(1);
      expect(await outcome(cpu.pcilg(fh, 0, 0n, 8))).toEqual(CC(0, 0, 0n));
    });
    expect(r.dev.counts.resets).toBe(1);
  });
});
