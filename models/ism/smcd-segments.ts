/** One data write of SMC-D: `length` bytes from send-ring offset `srcOff` to receive-ring offset `dstOff`. */
export interface DataWriteSegment {
  readonly srcOff: number;
  readonly dstOff: number;
  readonly length: number;
}

export interface DataWriteGeometry {
  /** Bytes to move (≤ both ring sizes). */
  readonly len: number;
  /** Where the send ring's unsent data starts, and its size. */
  readonly srcStart: number;
  readonly srcRing: number;
  /** Where the peer's ring is written next (producer count), and its size. */
  readonly dstStart: number;
  readonly dstRing: number;
  /**
   * Whether the free space in the peer's ring wraps past its end: true when the producer and
   * the peer's consumer cursor have the same wrap count (only then can a write reach the end).
   */
  readonly freeSpaceWraps: boolean;
}

/**
 * The writes smcd_tx_rdma_writes (net/smc/smc_tx.c) issues for one batch: the range is cut
 * where the destination ring wraps (if its free space wraps) and where the send ring wraps,
 * giving at most three writes, in stream order.
 */
export function dataWriteSegments(g: DataWriteGeometry): DataWriteSegment[] {
  const dstWrap = g.freeSpaceWraps ? g.dstRing - g.dstStart : Infinity;
  const srcWrap = g.srcRing - g.srcStart;
  const cuts = [...new Set([0, dstWrap, srcWrap, g.len])].filter((c) => c >= 0 && c <= g.len).sort((a, b) => a - b);
  const out: DataWriteSegment[] = [];
  for (let i = 0; i + 1 < cuts.length; i++) {
    const from = cuts[i];
    out.push({ srcOff: (g.srcStart + from) % g.srcRing, dstOff: (g.dstStart + from) % g.dstRing, length: cuts[i + 1] - from });
  }
  return out;
}
