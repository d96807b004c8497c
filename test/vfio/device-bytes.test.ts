import { describe, expect, it } from 'vitest';
import { DeviceBytes } from '../../models/ref/device-bytes.ts';

describe('the fuzz reference\'s device bytes', () => {
  it('read the initial bytes (config IDs, else 0) until written, keep each written byte by space and position, and forget them all at clear()', () => {
    const bytes = new DeviceBytes();
    expect([0, 1, 2, 3, 4].map((p) => bytes.get(15, p))).toEqual([0x14, 0x10, 0xed, 0x04, 0]);
    expect(bytes.get(0, 2)).toBe(0);
    bytes.set(15, 5, 0xaa); // makes config page 0: the IDs beside it stay
    bytes.set(0, 2 ** 48 - 1, 0x55); // BAR 0's last byte
    bytes.set(2, 4095, 0x11);
    bytes.set(2, 4096, 0x22); // the next page
    expect([0, 1, 2, 3, 4, 5].map((p) => bytes.get(15, p))).toEqual([0x14, 0x10, 0xed, 0x04, 0, 0xaa]);
    expect(bytes.get(0, 2 ** 48 - 1)).toBe(0x55);
    expect(bytes.get(1, 2 ** 48 - 1)).toBe(0);
    expect([bytes.get(2, 4094), bytes.get(2, 4095), bytes.get(2, 4096), bytes.get(2, 4097)]).toEqual([0, 0x11, 0x22, 0]);
    bytes.clear();
    expect([bytes.get(15, 0), bytes.get(15, 5), bytes.get(0, 2 ** 48 - 1), bytes.get(2, 4096)]).toEqual([0x14, 0, 0, 0]);
  });
});
