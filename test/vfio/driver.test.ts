import { describe, expect, it } from 'vitest';
import { FunctionState } from '../../rtl/zpci/codes.ts';
import { Errno } from '../../models/linux/errno.ts';
import { VfioError } from '../../models/vfio/vfio-device.ts';
import {
  VFIO_PCI_CONFIG_REGION_INDEX,
  VFIO_REGION_INFO_FLAG_READ,
  VFIO_REGION_INFO_FLAG_WRITE,
  regionOffset,
} from '../../models/vfio/regions.ts';
import type { IsmVfioPciDevice } from '../../models/vfio/ism-vfio-pci.ts';
import { ZpciInstructions, createRequest } from '../../models/linux/zpci.ts';
import { withVfioDevice } from '../support/vfio-rig.ts';

const BAR0 = regionOffset(0);
const BAR2 = regionOffset(2);
const CONFIG = regionOffset(VFIO_PCI_CONFIG_REGION_INDEX);

const withDevice = withVfioDevice;

async function errnoOf(p: Promise<unknown>): Promise<number> {
  try {
    await p;
  } catch (e) {
    if (e instanceof VfioError) return e.errno;
    throw e;
  }
  return 0;
}

describe('vfio-ism region layout', () => {
  it('reports config and BARs at index << 48 with their sizes and flags', async () => {
    await withDevice(async ({ dev }) => {
      const rw = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
      expect(dev.regionInfo(7)).toEqual({ index: 7, offset: 7n << 48n, size: 4096n, flags: rw });
      expect(dev.regionInfo(0)).toEqual({ index: 0, offset: 0n, size: 1n << 48n, flags: rw });
      expect(dev.regionInfo(2)).toEqual({ index: 2, offset: 2n << 48n, size: 8192n, flags: rw });
      expect(dev.regionInfo(1)).toEqual({ index: 1, offset: 1n << 48n, size: 0n, flags: 0 });
      for (const bad of [6, 8, 9, 100]) {
        expect(() => dev.regionInfo(bad)).toThrow(VfioError);
        try {
          dev.regionInfo(bad);
        } catch (e) {
          expect((e as VfioError).errno).toBe(Errno.EINVAL);
        }
      }
    });
  });
});

describe('vfio-ism lifecycle', () => {
  it('init creates the store-block cache (named by fid, maxstbl-sized page-aligned objects); release gives its pages back', async () => {
    await withDevice(
      async ({ machine, dev }) => {
        const port = dev.driver as IsmVfioPciDevice; // the default firmware
        const cache = port.storeBlockCache!;
        expect(cache.name).toBe(`ism_sb_fid_${machine.zdev.fid.toString(16).padStart(8, '0')}`);
        expect(cache.objectSize).toBe(8192); // 5000 bytes of maxstbl round up to whole pages
        const before = machine.pages.allocatedPages;
        await dev.pwrite(new Uint8Array(3000), BAR0 + 4096n);
        expect(machine.pages.allocatedPages).toBeGreaterThan(before);
        expect(cache.inUse).toBe(0); // the buffer went back to the cache after the PCISTB
        dev.close();
        expect(port.storeBlockCache).toBeNull();
        expect(machine.pages.allocatedPages).toBe(before);
        expect(dev.driver.isOpen).toBe(false);
      },
      { machine: { config: { maxstbl: 5000 } } },
    );
  });
});

describe('vfio-ism reads', () => {
  it('split into naturally aligned 8/4/2/1-byte PCILGs and return the device bytes', async () => {
    await withDevice(async ({ machine, dev, monitor }) => {
      const pattern = Uint8Array.from({ length: 64 }, (_, i) => (i * 37 + 11) & 0xff);
      machine.hw.dev!.poke(2, 0x100n, pattern);
      monitor.clear();
      // Offset 0x103, 13 bytes: 1 @0x103, 4 @0x104, 8 @0x108 (then nothing left).
      const bytes = await dev.pread(13, BAR2 + 0x103n);
      expect([...bytes]).toEqual([...pattern.subarray(3, 16)]);
      expect(monitor.seen.map((i) => [i.kind, i.pcias, Number(i.offset), i.len])).toEqual([
        ['PCILG', 2, 0x103, 1],
        ['PCILG', 2, 0x104, 4],
        ['PCILG', 2, 0x108, 8],
      ]);
      monitor.clear();
      const tail = await dev.pread(7, BAR2 + 0x131n);
      expect([...tail]).toEqual([...pattern.subarray(0x31, 0x38)]);
      expect(monitor.seen.map((i) => [Number(i.offset), i.len])).toEqual([
        [0x131, 1],
        [0x132, 2],
        [0x134, 4],
      ]);
    });
  });

  it('clamp a read that runs past the end of the BAR', async () => {
    await withDevice(async ({ dev }) => {
      const bytes = await dev.pread(64, BAR2 + 8192n - 5n);
      expect(bytes.length).toBe(5);
    });
  });

  it('use the current function handle after a reset changed it', async () => {
    await withDevice(async ({ machine, dev, monitor }) => {
      const before = machine.zdev.fh;
      await dev.reset();
      const after = machine.zdev.fh;
      expect(after).not.toBe(before);
      monitor.clear();
      await dev.pread(8, BAR2);
      expect(monitor.seen[0].fh).toBe(after);
    });
  });
});

describe('vfio-ism writes', () => {
  it('issue exactly one PCISTB from a page-aligned bounce buffer', async () => {
    await withDevice(async ({ machine, dev, monitor }) => {
      const data = Uint8Array.from({ length: 77 }, (_, i) => 255 - i);
      monitor.clear();
      expect(await dev.pwrite(data, BAR0 + 0x12345n)).toBe(77);
      expect(monitor.seen.length).toBe(1);
      const stb = monitor.seen[0];
      expect([stb.kind, stb.pcias, stb.offset, stb.len]).toEqual(['PCISTB', 0, 0x12345n, 77]);
      expect(Number(stb.gaddr) % 4096).toBe(0);
      expect([...machine.hw.dev!.load(0, 0x12345n, 77)]).toEqual([...data]);
      expect(machine.insn.busyRetries).toBe(0);
      // The device-port protocol checker saw the block: 77 bytes at lane 5 → 11 beats.
      expect(machine.hw.devPortChecker.counts.blocks).toBe(1);
      expect(machine.hw.devPortChecker.counts.beats).toBe(11);
    });
  });

  it('accept a write that ends exactly at a 4 KiB boundary and refuse one that crosses it', async () => {
    await withDevice(async ({ dev, monitor }) => {
      expect(await dev.pwrite(new Uint8Array(16), BAR0 + 4096n - 16n)).toBe(16);
      monitor.clear();
      expect(await errnoOf(dev.pwrite(new Uint8Array(17), BAR0 + 4096n - 16n))).toBe(Errno.EINVAL);
      expect(monitor.seen).toEqual([]);
    });
  });

  it('refuse a write longer than maxstbl with EINVAL and issue nothing', async () => {
    await withDevice(
      async ({ dev, monitor }) => {
        expect(await dev.pwrite(new Uint8Array(256), BAR0)).toBe(256);
        monitor.clear();
        expect(await errnoOf(dev.pwrite(new Uint8Array(257), BAR0))).toBe(Errno.EINVAL);
        expect(monitor.seen).toEqual([]);
      },
      { machine: { config: { maxstbl: 256 } } },
    );
  });

  it('retry a busy PCISTB after 1 µs until it is accepted', async () => {
    await withDevice(async ({ machine, dev, monitor }) => {
      machine.hw.dev!.busyNext = 3;
      monitor.clear();
      expect(await dev.pwrite(Uint8Array.of(1, 2, 3), BAR0 + 8n)).toBe(3);
      expect(monitor.seen.map((i) => i.cc)).toEqual([2, 2, 2, 0]);
      const gaps = monitor.seen.slice(1).map((i, k) => i.cycle - monitor.seen[k].cycle);
      for (const g of gaps) expect(g).toBeGreaterThanOrEqual(machine.insn.busyDelayCycles);
      expect(machine.insn.busyRetries).toBe(3);
    });
  });
});

describe('zPCI helpers', () => {
  it('wait busyRetryDelay cycles between busy retries, as configured', async () => {
    await withDevice(async ({ machine, monitor, sim }) => {
      const insn = new ZpciInstructions(sim, machine.cpu, 250);
      const source = machine.pages.allocate(4096);
      machine.hw.dev!.busyNext = 2;
      monitor.clear();
      expect(await insn.storeBlock(source, createRequest(machine.zdev.fh, 0, 64), 0n)).toBe(0);
      expect(monitor.seen.map((i) => i.cc)).toEqual([2, 2, 0]);
      for (let k = 1; k < 3; k++) {
        const gap = monitor.seen[k].cycle - monitor.seen[k - 1].cycle;
        // The refused instruction's own cycles (a dozen) plus the configured delay.
        expect(gap).toBeGreaterThanOrEqual(250);
        expect(gap).toBeLessThan(250 + 30);
      }
    });
  });
});

describe('vfio-ism errno paths', () => {
  it('count 0 returns 0 and issues nothing, even for an invalid region', async () => {
    await withDevice(async ({ dev, monitor }) => {
      monitor.clear();
      expect(await dev.preadRaw(dev.user.allocate(1), 0, regionOffset(9))).toBe(0);
      expect(await dev.pwriteRaw(dev.user.allocate(1), 0, BAR0)).toBe(0);
      expect(monitor.seen).toEqual([]);
    });
  });

  it('EINVAL: unknown region, absent BAR, position at or beyond the BAR end', async () => {
    await withDevice(async ({ dev }) => {
      expect(await errnoOf(dev.pread(8, regionOffset(8)))).toBe(Errno.EINVAL);
      expect(await errnoOf(dev.pread(8, regionOffset(6)))).toBe(Errno.EINVAL);
      expect(await errnoOf(dev.pread(8, regionOffset(1)))).toBe(Errno.EINVAL);
      expect(await errnoOf(dev.pread(8, BAR2 + 8192n))).toBe(Errno.EINVAL);
      expect(await errnoOf(dev.pwrite(new Uint8Array(8), BAR2 + 9000n))).toBe(Errno.EINVAL);
    });
  });

  it('EFAULT: a user buffer outside the process, and config beyond its size', async () => {
    await withDevice(async ({ dev, monitor }) => {
      monitor.clear();
      expect(await dev.pwriteRaw(0x10, 8, BAR0)).toBe(-Errno.EFAULT);
      expect(monitor.seen).toEqual([]); // nothing issued: copy_from_user failed first
      expect(await dev.preadRaw(0x10, 8, BAR2)).toBe(-Errno.EFAULT);
      expect(await errnoOf(dev.pread(8, CONFIG + 4092n))).toBe(Errno.EFAULT);
      expect(await errnoOf(dev.pread(4, CONFIG + 4096n))).toBe(Errno.EFAULT);
    });
  });

  it('ENOMEM: no store-block buffer can be had', async () => {
    await withDevice(
      async ({ dev, monitor }) => {
        monitor.clear();
        expect(await errnoOf(dev.pwrite(new Uint8Array(8), BAR0))).toBe(Errno.ENOMEM);
        expect(monitor.seen).toEqual([]);
      },
      { driver: { storeBlockLimit: 0 } },
    );
  });

  it('EIO: the function is in the error state (cc 1) or its handle went stale (cc 3)', async () => {
    await withDevice(async ({ machine, dev, monitor }) => {
      machine.hw.pfu.setError();
      await machine.sim.tick();
      expect(machine.hw.pfu.currentState).toBe(FunctionState.ERROR);
      monitor.clear();
      expect(await errnoOf(dev.pread(8, BAR2))).toBe(Errno.EIO);
      expect(await errnoOf(dev.pwrite(new Uint8Array(8), BAR0))).toBe(Errno.EIO);
      expect(monitor.seen.map((i) => [i.cc, i.status])).toEqual([
        [1, 12],
        [1, 12],
      ]);
      await dev.reset();
      expect(await dev.pwrite(new Uint8Array(8), BAR0)).toBe(8);
      machine.hw.pfu.disable();
      await machine.sim.tick();
      expect(await errnoOf(dev.pwrite(new Uint8Array(8), BAR0))).toBe(Errno.EIO);
    });
  });

  it('ENXIO: a program exception (strict function: PCISTB of 3 bytes) is caught by the fixup', async () => {
    await withDevice(
      async ({ dev, monitor, machine }) => {
        monitor.clear();
        expect(await errnoOf(dev.pwrite(Uint8Array.of(1, 2, 3), BAR0))).toBe(Errno.ENXIO);
        expect(monitor.seen[0].pic).toBe(0x06);
        expect(machine.insn.log.at(-1)?.what).toBe('error');
      },
      { machine: { config: { relaxedAlignment: false, maxstbl: 128 } } },
    );
  });

  it('a negative or fractional count is refused with a RangeError naming the count; nothing is issued', async () => {
    await withDevice(async ({ dev, monitor }) => {
      monitor.clear();
      await expect(dev.preadRaw(dev.user.allocate(8), -1, BAR2)).rejects.toThrow(/pread: count -1 must be a non-negative integer/);
      await expect(dev.pwriteRaw(dev.user.allocate(8), 2.5, BAR0)).rejects.toThrow(RangeError);
      expect(monitor.seen).toEqual([]);
    });
  });

  it('a count larger than any user buffer is refused cleanly; a huge write still gets EINVAL from the driver', async () => {
    await withDevice(async ({ dev, monitor }) => {
      monitor.clear();
      await expect(dev.pread(2 ** 31, BAR0)).rejects.toThrow(/user buffer of 2147483648 bytes does not fit/);
      expect(await errnoOf(dev.pwrite(new Uint8Array(17 << 20), BAR0))).toBe(Errno.EINVAL);
      expect(() => dev.regionInfo(1.5)).toThrow(/index 1.5 must be an integer/);
      expect(monitor.seen).toEqual([]);
    });
  });

  it('ENODEV after close', async () => {
    await withDevice(async ({ dev }) => {
      dev.close();
      expect(await errnoOf(dev.pread(8, BAR2))).toBe(Errno.ENODEV);
    });
  });
});

describe('vfio-ism config space', () => {
  it('reads the IDs little-endian through space-15 PCILGs of 4/2/1 bytes', async () => {
    await withDevice(async ({ dev, monitor }) => {
      monitor.clear();
      const id = await dev.pread(4, CONFIG);
      expect([...id]).toEqual([0x14, 0x10, 0xed, 0x04]);
      expect(monitor.seen.map((i) => [i.pcias, i.len])).toEqual([[15, 4]]);
      monitor.clear();
      const odd = await dev.pread(3, CONFIG + 1n);
      expect([...odd]).toEqual([0x10, 0xed, 0x04]);
      expect(monitor.seen.map((i) => [Number(i.offset), i.len])).toEqual([
        [1, 1],
        [2, 2],
      ]);
    });
  });

  it('EIO when the function is in the error state; EFAULT for a bad user buffer; nothing written', async () => {
    await withDevice(async ({ machine, dev, monitor }) => {
      expect(await dev.pwriteRaw(0x10, 4, CONFIG + 0x40n)).toBe(-Errno.EFAULT);
      expect(await dev.preadRaw(0x10, 4, CONFIG)).toBe(-Errno.EFAULT);
      machine.hw.pfu.setError();
      await machine.sim.tick();
      monitor.clear();
      expect(await errnoOf(dev.pread(4, CONFIG))).toBe(Errno.EIO);
      expect(await errnoOf(dev.pwrite(Uint8Array.of(1, 2, 3, 4), CONFIG + 0x40n))).toBe(Errno.EIO);
      expect(monitor.seen.map((i) => [i.pcias, i.cc, i.status])).toEqual([
        [15, 1, 12],
        [15, 1, 12],
      ]);
      expect([...machine.hw.dev!.load(15, 0x40n, 4)]).toEqual([0, 0, 0, 0]);
    });
  });

  it('writes go to the function and read back', async () => {
    await withDevice(async ({ dev }) => {
      expect(await dev.pwrite(Uint8Array.of(0xde, 0xad, 0xbe, 0xef, 0x01), CONFIG + 0x40n)).toBe(5);
      expect([...(await dev.pread(5, CONFIG + 0x40n))]).toEqual([0xde, 0xad, 0xbe, 0xef, 0x01]);
    });
  });
});
