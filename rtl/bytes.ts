/** Byte-order helpers: s390 is big-endian, so register images hold bytes in address order. */

/** Big-endian bytes → unsigned bigint. */
export function bytesToBigEndian(bytes: Uint8Array): bigint {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

/** Unsigned bigint → `length` big-endian bytes (high bytes dropped). */
export function bigEndianToBytes(value: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let v = value;
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}
