import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bigEndianToBytes, bytesToBigEndian } from '../../rtl/bytes.ts';
import { propertySeed } from '../support/seed.ts';

/** The conversions one byte at a time: what the word-at-a-time versions must agree with. */
function bytesToBigEndianByByte(bytes: Uint8Array): bigint {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

function bigEndianToBytesByByte(value: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let v = value;
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

describe('big-endian byte conversions', () => {
  it('bytesToBigEndian reads any length (word chunks and a shorter first chunk) like a byte-by-byte loop', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        expect(bytesToBigEndian(bytes)).toBe(bytesToBigEndianByByte(bytes));
      }),
      { seed: propertySeed(20261127, 'bytesToBigEndian') },
    );
    expect(bytesToBigEndian(Uint8Array.of(0, 0, 0, 0, 0, 1))).toBe(1n);
    expect(bytesToBigEndian(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff))).toBe(0xff_ffff_ffffn);
  });

  it('bigEndianToBytes writes any length, dropping high bytes and two-complementing negatives, like a byte-by-byte loop', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(1n << 200n), max: 1n << 200n }), fc.nat({ max: 40 }), (value, length) => {
        expect(bigEndianToBytes(value, length)).toEqual(bigEndianToBytesByByte(value, length));
      }),
      { seed: propertySeed(20261127, 'bigEndianToBytes') },
    );
    expect([...bigEndianToBytes(0x1_0203_0405n, 5)]).toEqual([1, 2, 3, 4, 5]);
    expect([...bigEndianToBytes(-1n, 9)]).toEqual(Array(9).fill(0xff));
  });
});
