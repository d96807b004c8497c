import { describe, expect, it } from 'vitest';
import { GuestMemory, PAGE_SIZE } from '../../models/host/guest-memory.ts';
import { HostMemoryError } from '../../rtl/host-memory.ts';

describe('GuestMemory', () => {
  it('is sparse: a 1 MiB DMB or a 4 KiB SBA costs only the pages touched', () => {
    const m = new GuestMemory(1 << 30);
    expect(m.residentPages).toBe(0);
    expect(m.read(0x100000, 1 << 20).every((b) => b === 0)).toBe(true); // reading allocates nothing
    expect(m.residentPages).toBe(0);
    m.writeU8(0x100000 + 32, 1); // one byte of a 1 MiB DMB
    m.writeU16(0x1000 + 256 + 64, 0x8000); // one dmbe_mask in an SBA
    expect(m.residentPages).toBe(2);
    expect(m.pageNumbers()).toEqual([1, 0x100]);
  });

  it('big-endian accessors and page-crossing writes', () => {
    const m = new GuestMemory(1 << 20);
    m.writeU64(PAGE_SIZE - 4, 0x0102030405060708n);
    expect(m.read(PAGE_SIZE - 4, 8)).toEqual(Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8));
    expect(m.readU32(PAGE_SIZE - 4)).toBe(0x01020304);
    expect(m.readU16(PAGE_SIZE)).toBe(0x0506);
    expect(m.readU64(PAGE_SIZE - 4)).toBe(0x0102030405060708n);
    m.writeU32(8, 0xdeadbeef);
    expect(m.readU32(8)).toBe(0xdeadbeef);
    expect(m.residentPages).toBe(2);
  });

  it('fill sets every byte of a range across pages and no byte outside it; a range past the end throws and fills nothing', () => {
    const m = new GuestMemory(4 * PAGE_SIZE);
    m.fill(PAGE_SIZE - 3, PAGE_SIZE + 6, 0x1ff); // a byte's worth of the value, as Uint8Array.fill
    const around = m.read(PAGE_SIZE - 4, PAGE_SIZE + 8);
    expect(around[0]).toBe(0);
    expect(around.subarray(1, PAGE_SIZE + 7).every((b) => b === 0xff)).toBe(true);
    expect(around[PAGE_SIZE + 7]).toBe(0);
    expect(m.pageNumbers()).toEqual([0, 1, 2]);
    expect(() => m.fill(3 * PAGE_SIZE, PAGE_SIZE + 1, 1)).toThrow(HostMemoryError);
    expect(m.pageNumbers()).toEqual([0, 1, 2]);
  });

  it('snapshots are copies; accesses outside storage throw and write nothing', () => {
    const m = new GuestMemory(2 * PAGE_SIZE);
    m.fill(0, 16, 0xaa);
    const s = m.snapshot();
    m.fill(0, 16, 0xbb);
    expect(s.get(0)![0]).toBe(0xaa);
    expect(() => m.write(2 * PAGE_SIZE - 2, new Uint8Array(4))).toThrow(HostMemoryError);
    expect(m.residentPages).toBe(1);
    expect(m.contains(PAGE_SIZE, PAGE_SIZE)).toBe(true);
    expect(m.contains(PAGE_SIZE, PAGE_SIZE + 1)).toBe(false);
    expect(() => new GuestMemory(1000)).toThrow(RangeError);
  });
});
