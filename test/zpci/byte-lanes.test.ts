/** The one byte-lane helper: 64-bit words as two 32-bit halves, lanes packed and unpacked by byte enable. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { joinHalves, newLaneWord, packLanes, splitHalves, unpackLanes } from '../../rtl/zpci/byte-lanes.ts';
import { propertySeed } from '../support/seed.ts';

describe('byte lanes', () => {
  it('lane 0 is the most significant byte and byte-enable bit 0x80', () => {
    const w = newLaneWord();
    packLanes(Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8), 0, 0, 8, w);
    expect(joinHalves(w)).toBe(0x0102030405060708n);
    expect(w.be).toBe(0xff);
    packLanes(Uint8Array.of(0xaa, 0xbb), 0, -3, 2, w); // a 2-byte block at lane 3
    expect(joinHalves(w)).toBe(0x000000aabb000000n);
    expect(w.be).toBe(0x18);
  });

  it('split and join are exact over all 64 bits; pack then unpack gives the block back', () => {
    const seed = propertySeed(0x1a9e, 'byte lanes');
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), (v) => {
        const w = newLaneWord();
        splitHalves(v, w);
        expect([w.hi, w.lo]).toEqual([Number(v >> 32n), Number(v & 0xffffffffn)]);
        expect(joinHalves(w)).toBe(v);
      }),
      { seed },
    );
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.integer({ min: 0, max: 7 }), (block, lane0) => {
        const out = new Uint8Array(block.length);
        let enabled = 0;
        const w = newLaneWord();
        for (let k = 0; 8 * k < lane0 + block.length; k++) {
          packLanes(block, 0, 8 * k - lane0, block.length, w);
          enabled += unpackLanes(w.hi, w.lo, w.be, out, 8 * k - lane0, block.length);
        }
        expect(enabled).toBe(block.length);
        expect(out).toEqual(block);
      }),
      { seed },
    );
  });

  it('packs and unpacks every window like a lane-by-lane reference (whole doublewords take a shortcut)', () => {
    const seed = propertySeed(0x1a9f, 'byte lanes window');
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 48, maxLength: 48 }), fc.integer({ min: 0, max: 8 }), fc.integer({ min: 0, max: 40 }), fc.integer({ min: -10, max: 40 }), (src, srcOffset, len, base) => {
        let want = 0n;
        let wantBe = 0;
        for (let j = 0; j < 8; j++) {
          const inside = base + j >= 0 && base + j < len;
          want = (want << 8n) | (inside ? BigInt(src[srcOffset + base + j]) : 0n);
          if (inside) wantBe |= 0x80 >> j;
        }
        const w = newLaneWord();
        packLanes(src, srcOffset, base, len, w);
        expect([joinHalves(w), w.be]).toEqual([want, wantBe]);
        const dst = new Uint8Array(len).fill(0xee);
        const expected = dst.slice();
        for (let j = 0; j < 8; j++) if (base + j >= 0 && base + j < len) expected[base + j] = src[srcOffset + base + j];
        expect(unpackLanes(w.hi, w.lo, w.be, dst, base, len)).toBe(popcount(wantBe));
        expect(dst).toEqual(expected);
      }),
      { seed },
    );
  });
});

function popcount(v: number): number {
  let n = 0;
  for (let x = v; x !== 0; x &= x - 1) n++;
  return n;
}
