/**
 * Byte lanes of a 64-bit PCI doubleword (DevicePort beats, storage fetch data). Lane j holds the
 * byte at the j-th lowest address: lane 0 is data bits 63..56 and byte-enable bit 0x80. Work is
 * done on two 32-bit halves, so the only bigint operations are the split and the join.
 */

/** A doubleword as two 32-bit halves and its byte enables; reused by its owner, never allocated per beat. */
export interface LaneWord {
  hi: number;
  lo: number;
  be: number;
}

export function newLaneWord(): LaneWord {
  return { hi: 0, lo: 0, be: 0 };
}

// A 64-bit word seen as two 32-bit halves: joining and splitting through typed arrays costs one
// bigint (the joined value) and no bigint arithmetic. Halves are indexed by the host's byte order.
const word64 = new BigUint64Array(1);
const word32 = new Uint32Array(word64.buffer);
const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;
const HI = LITTLE_ENDIAN ? 1 : 0;
const LO = 1 - HI;

/** The 64-bit value of `w` (for a 64-bit signal). */
export function joinHalves(w: LaneWord): bigint {
  word32[HI] = w.hi;
  word32[LO] = w.lo;
  return word64[0];
}

/** Split a 64-bit value into `w.hi` / `w.lo` (byte enables untouched). */
export function splitHalves(value: bigint, w: LaneWord): void {
  word64[0] = value;
  w.hi = word32[HI];
  w.lo = word32[LO];
}

function laneByte(hi: number, lo: number, lane: number): number {
  return lane < 4 ? (hi >>> (24 - 8 * lane)) & 0xff : (lo >>> (56 - 8 * lane)) & 0xff;
}

/**
 * Pack the doubleword whose lane j carries block byte `base + j`: lanes with 0 ≤ base + j < len
 * take `src[srcOffset + base + j]` and are enabled; the others are zero and disabled.
 */
export function packLanes(src: Uint8Array, srcOffset: number, base: number, len: number, w: LaneWord): void {
  if (base >= 0 && base + 8 <= len) {
    // A whole doubleword (every beat of a block but its first and last): no per-lane test.
    const o = srcOffset + base;
    w.hi = ((src[o] << 24) | (src[o + 1] << 16) | (src[o + 2] << 8) | src[o + 3]) >>> 0;
    w.lo = ((src[o + 4] << 24) | (src[o + 5] << 16) | (src[o + 6] << 8) | src[o + 7]) >>> 0;
    w.be = 0xff;
    return;
  }
  let hi = 0;
  let lo = 0;
  let be = 0;
  for (let j = 0; j < 8; j++) {
    const p = base + j;
    let byte = 0;
    if (p >= 0 && p < len) {
      byte = src[srcOffset + p];
      be |= 0x80 >>> j;
    }
    if (j < 4) hi = (hi << 8) | byte;
    else lo = (lo << 8) | byte;
  }
  w.hi = hi >>> 0;
  w.lo = lo >>> 0;
  w.be = be;
}

/**
 * Unpack the enabled lanes of (hi, lo, be) into `dst`: lane j is block byte `base + j`; bytes
 * outside [0, len) are not stored. Returns the number of enabled lanes.
 */
export function unpackLanes(hi: number, lo: number, be: number, dst: Uint8Array, base: number, len: number): number {
  if (be === 0xff && base >= 0 && base + 8 <= len) {
    dst[base] = hi >>> 24;
    dst[base + 1] = (hi >>> 16) & 0xff;
    dst[base + 2] = (hi >>> 8) & 0xff;
    dst[base + 3] = hi & 0xff;
    dst[base + 4] = lo >>> 24;
    dst[base + 5] = (lo >>> 16) & 0xff;
    dst[base + 6] = (lo >>> 8) & 0xff;
    dst[base + 7] = lo & 0xff;
    return 8;
  }
  let n = 0;
  for (let j = 0; j < 8; j++) {
    if ((be & (0x80 >>> j)) === 0) continue;
    n++;
    const p = base + j;
    if (p >= 0 && p < len) dst[p] = laneByte(hi, lo, j);
  }
  return n;
}
