/**
 * SMC-D's connection data control (CDC) message and cursor arithmetic, as Linux lays them out
 * (net/smc/smc_cdc.h: struct smcd_cdc_msg, union smcd_cdc_cursor, smc_curs_add, smc_curs_diff;
 * smc_curs_diff_large; net/smc/smc.h: the flag bytes). The message occupies the first 32 bytes of every RMBE (the
 * peer's DMB); the ring of data follows it (smc_conn_create sets rx_off to its size).
 *
 * Layout (s390 is big-endian; SMC-D writes host order):
 *   0      type 0xFE (SMC_CDC_MSG_TYPE)       1..7   reserved
 *   8..9   producer cursor wrap               10..13 producer cursor count
 *   14..15 reserved (the producer cursor's flag bytes, never set)
 *   16..17 consumer cursor wrap               18..21 consumer cursor count
 *   22     producer flags                     23     connection state flags
 *   24..31 reserved
 */

export const SMCD_CDC_SIZE = 32;
export const SMC_CDC_MSG_TYPE = 0xfe;

/** Producer flag bits (struct smc_cdc_producer_flags, big-endian bit-field order). */
export const ProducerFlags = {
  /** The writer ran out of room in our ring and wants to hear when it reopens. */
  WRITE_BLOCKED: 0x80,
  URG_DATA_PENDING: 0x40,
  URG_DATA_PRESENT: 0x20,
  /** The writer asks for our consumer cursor now. */
  CONS_CURS_UPD_REQ: 0x10,
} as const;

/** Connection state flag bits (struct smc_cdc_conn_state_flags). */
export const ConnStateFlags = {
  /** The writer will send no more data (shutdown for writing). */
  PEER_DONE_WRITING: 0x80,
  PEER_CONN_CLOSED: 0x40,
  PEER_CONN_ABORT: 0x20,
} as const;

/** A position in a ring: completed laps (16 bits) and the offset in the ring. */
export interface SmcCursor {
  readonly wrap: number;
  readonly count: number;
}

export const CURSOR_ZERO: SmcCursor = { wrap: 0, count: 0 };

export interface SmcdCdcMsg {
  /** How far the writer has produced into the reader's ring. */
  readonly prod: SmcCursor;
  /** How far the writer has consumed of its own ring (the reader's data). */
  readonly cons: SmcCursor;
  readonly prodFlags: number;
  readonly connStateFlags: number;
}

/** `c` moved on by `n` bytes in a ring of `size` (smc_curs_add: n ≤ size). */
export function cursorAdd(c: SmcCursor, n: number, size: number): SmcCursor {
  const count = c.count + n;
  return count >= size ? { wrap: (c.wrap + 1) & 0xffff, count: count - size } : { wrap: c.wrap, count };
}

/**
 * Bytes from `older` to `newer` in a ring of `size`, never negative (smc_curs_diff): a differing
 * wrap means exactly one lap between them.
 */
export function cursorDiff(size: number, older: SmcCursor, newer: SmcCursor): number {
  if (older.wrap !== newer.wrap) return Math.max(0, size - older.count + newer.count);
  return Math.max(0, newer.count - older.count);
}

/**
 * Bytes from `older` to `newer` in a ring of `size` when `newer` may be several laps ahead,
 * capped at `size` (smc_curs_diff_large, the wrap counter taken modulo 2^16).
 */
export function cursorDiffLarge(size: number, older: SmcCursor, newer: SmcCursor): number {
  const laps = (newer.wrap - older.wrap) & 0xffff;
  if (laps === 0) return Math.max(0, newer.count - older.count);
  return Math.min(size - older.count + newer.count + (laps - 1) * size, size);
}

export function encodeSmcdCdc(msg: SmcdCdcMsg): Uint8Array {
  const bytes = new Uint8Array(SMCD_CDC_SIZE);
  const v = new DataView(bytes.buffer);
  v.setUint8(0, SMC_CDC_MSG_TYPE);
  v.setUint16(8, msg.prod.wrap);
  v.setUint32(10, msg.prod.count);
  v.setUint16(16, msg.cons.wrap);
  v.setUint32(18, msg.cons.count);
  v.setUint8(22, msg.prodFlags);
  v.setUint8(23, msg.connStateFlags);
  return bytes;
}

export function decodeSmcdCdc(bytes: Uint8Array): SmcdCdcMsg & { readonly type: number } {
  const v = new DataView(bytes.buffer, bytes.byteOffset, SMCD_CDC_SIZE);
  return {
    type: v.getUint8(0),
    prod: { wrap: v.getUint16(8), count: v.getUint32(10) },
    cons: { wrap: v.getUint16(16), count: v.getUint32(18) },
    prodFlags: v.getUint8(22),
    connStateFlags: v.getUint8(23),
  };
}
