import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ConnStateFlags,
  ProducerFlags,
  SMCD_CDC_SIZE,
  cursorAdd,
  cursorDiff,
  cursorDiffLarge,
  decodeSmcdCdc,
  encodeSmcdCdc,
} from '../../models/ism/smcd-cdc.ts';
import { dataWriteSegments, type DataWriteGeometry, type DataWriteSegment } from '../../models/ism/smcd-segments.ts';
import { propertySeed } from '../support/seed.ts';

describe('SMC-D CDC message (struct smcd_cdc_msg)', () => {
  it('is 32 bytes: type 0xFE, producer cursor at 8, consumer cursor at 16, flags at 22 and 23, big-endian', () => {
    const bytes = encodeSmcdCdc({
      prod: { wrap: 0x0102, count: 0x03040506 },
      cons: { wrap: 0x0708, count: 0x090a0b0c },
      prodFlags: ProducerFlags.WRITE_BLOCKED,
      connStateFlags: ConnStateFlags.PEER_DONE_WRITING,
    });
    expect(bytes.length).toBe(SMCD_CDC_SIZE);
    const expected = new Uint8Array(32);
    expected.set([0xfe], 0);
    expected.set([0x01, 0x02, 0x03, 0x04, 0x05, 0x06], 8);
    expected.set([0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x80, 0x80], 16);
    expect(bytes).toEqual(expected);
    expect(decodeSmcdCdc(bytes)).toEqual({
      type: 0xfe,
      prod: { wrap: 0x0102, count: 0x03040506 },
      cons: { wrap: 0x0708, count: 0x090a0b0c },
      prodFlags: 0x80,
      connStateFlags: 0x80,
    });
  });

  it('cursor arithmetic: one wrap per add, differences across a wrap, multi-lap differences capped', () => {
    expect(cursorAdd({ wrap: 0, count: 90 }, 10, 100)).toEqual({ wrap: 1, count: 0 });
    expect(cursorAdd({ wrap: 0xffff, count: 95 }, 10, 100)).toEqual({ wrap: 0, count: 5 });
    expect(cursorDiff(100, { wrap: 3, count: 90 }, { wrap: 4, count: 5 })).toBe(15);
    expect(cursorDiff(100, { wrap: 3, count: 50 }, { wrap: 3, count: 40 })).toBe(0);
    expect(cursorDiffLarge(100, { wrap: 3, count: 90 }, { wrap: 4, count: 5 })).toBe(15);
    expect(cursorDiffLarge(100, { wrap: 3, count: 90 }, { wrap: 5, count: 5 })).toBe(100);
    expect(cursorDiffLarge(100, { wrap: 0xffff, count: 90 }, { wrap: 0, count: 5 })).toBe(15);
  });
});

/** The batch as smcd_tx_rdma_writes walks it: destination pieces outside, source pieces inside. */
function nestedWalk(g: DataWriteGeometry): DataWriteSegment[] {
  const out: DataWriteSegment[] = [];
  let srcOff = g.srcStart;
  let dstOff = g.dstStart;
  let dstPiece = g.freeSpaceWraps ? Math.min(g.dstRing - g.dstStart, g.len) : g.len;
  let done = 0;
  while (done < g.len) {
    for (let left = dstPiece; left > 0; ) {
      const n = Math.min(left, g.srcRing - srcOff);
      out.push({ srcOff, dstOff, length: n });
      srcOff = (srcOff + n) % g.srcRing;
      dstOff += n;
      left -= n;
    }
    done += dstPiece;
    dstOff = 0;
    dstPiece = g.len - done;
  }
  return out;
}

describe('SMC-D data writes of one batch (smcd_tx_rdma_writes)', () => {
  it('cuts at the destination wrap and the send-ring wrap exactly as the nested walk does', () => {
    const seed = propertySeed(0x5e65, 'SMC-D write segments');
    const geometry = fc
      .record({ srcRing: fc.integer({ min: 1, max: 5000 }), dstRing: fc.integer({ min: 1, max: 5000 }), a: fc.nat(), b: fc.nat(), c: fc.nat(), wraps: fc.boolean() })
      .map(({ srcRing, dstRing, a, b, c, wraps }): DataWriteGeometry => {
        const srcStart = a % srcRing;
        const dstStart = b % dstRing;
        // Unwrapped free space lies before the ring's end.
        const maxLen = Math.min(srcRing, wraps ? dstRing : dstRing - dstStart);
        return { len: 1 + (c % maxLen), srcStart, srcRing, dstStart, dstRing, freeSpaceWraps: wraps };
      });
    fc.assert(
      fc.property(geometry, (g) => {
        const segments = dataWriteSegments(g);
        expect(segments).toEqual(nestedWalk(g));
        expect(segments.length).toBeLessThanOrEqual(3);
        expect(segments.reduce((n, s) => n + s.length, 0)).toBe(g.len);
      }),
      { seed, numRuns: 500 },
    );
  });

  it('a batch that wraps both rings is three writes', () => {
    expect(dataWriteSegments({ len: 100, srcStart: 950, srcRing: 1000, dstStart: 980, dstRing: 1000, freeSpaceWraps: true })).toEqual([
      { srcOff: 950, dstOff: 980, length: 20 },
      { srcOff: 970, dstOff: 0, length: 30 },
      { srcOff: 0, dstOff: 30, length: 50 },
    ]);
  });
});
