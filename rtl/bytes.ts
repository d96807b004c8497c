/** Byte-order helpers: s390 is big-endian, so register images hold bytes in address order. */

/** Big-endian bytes → unsigned bigint. */
export function bytesToBigEndian(bytes: Uint8Array): bigint {
  // Up to 4 bytes are gathered in a number first: a bigint step makes a new bigint, a number's does not.
  const n = bytes.length;
  let v = 0n;
  let i = 0;
  for (let chunk = n % 4 || 4; i < n; chunk = 4) {
    let word = 0;
    for (const end = i + chunk; i < end; i++) word = word * 256 + bytes[i];
    v = v === 0n ? BigInt(word) : (v << 32n) | BigInt(word); // only the first chunk is shorter, and v is 0n before it
  }
  return v;
}

/** Unsigned bigint → `length` big-endian bytes (high bytes dropped). */
export function bigEndianToBytes(value: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  // 32 bits at a time: each bigint operation makes a new bigint, a number's do not.
  let v = value;
  for (let i = length - 1; i >= 0; ) {
    let word = Number(BigInt.asUintN(32, v));
    for (let k = 0; k < 4 && i >= 0; k++, i--) {
      out[i] = word & 0xff;
      word >>>= 8;
    }
    if (i >= 0) v >>= 32n;
  }
  return out;
}
