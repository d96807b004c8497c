import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Simulator } from '../../rtl/hdl/index.ts';
import { Channel, ChannelError, HEADER_SIZE, advance, decodeChannelHeader, distance, encodeChannelHeader } from '../../models/ism/channel.ts';
import { loopbackPair } from '../../models/ism/loopback-port.ts';
import { propertySeed } from '../support/seed.ts';

/** A message's bytes: position-dependent so reordering, loss or duplication shows. */
function pattern(stream: number, start: number, n: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => ((start + i) * 131 + stream * 7 + ((start + i) >> 8)) & 0xff);
}

interface Scenario {
  ringA: number;
  ringB: number;
  /** Message sizes each side sends. */
  aToB: number[];
  bToA: number[];
  /** Per-receive: max bytes and cycles the reader idles first (a slow reader). */
  readsB: { max: number; idle: number }[];
  readsA: { max: number; idle: number }[];
  latency: number;
}

async function runScenario(s: Scenario): Promise<{ gotB: Uint8Array; gotA: Uint8Array; blocked: number }> {
  const sim = new Simulator();
  const [pa, pb] = loopbackPair(sim, { lengthA: HEADER_SIZE + s.ringA, lengthB: HEADER_SIZE + s.ringB, latency: (n) => s.latency + (n >> 6) });
  const a = new Channel(pa, 'a', 2_000_000);
  const b = new Channel(pb, 'b', 2_000_000);
  const totalAB = s.aToB.reduce((x, y) => x + y, 0);
  const totalBA = s.bToA.reduce((x, y) => x + y, 0);
  const gotB: number[] = [];
  const gotA: number[] = [];
  const errors: unknown[] = [];
  const guard = (f: () => Promise<void>) => async () => {
    try {
      await f();
    } catch (e) {
      errors.push(e);
    }
  };
  const sender = (ch: Channel, sizes: number[], stream: number) =>
    guard(async () => {
      let at = 0;
      for (const n of sizes) {
        await ch.send(pattern(stream, at, n));
        at += n;
      }
      await ch.close();
    });
  const reader = (ch: Channel, reads: { max: number; idle: number }[], into: number[]) =>
    guard(async () => {
      for (let i = 0; ; i++) {
        const r = reads[i % reads.length];
        if (r.idle) await sim.tick(r.idle);
        const part = await ch.recv(r.max);
        if (part.length === 0) return;
        into.push(...part);
      }
    });
  sim.process('a_tx', sender(a, s.aToB, 1));
  sim.process('b_tx', sender(b, s.bToA, 2));
  sim.process('b_rx', reader(b, s.readsB, gotB));
  sim.process('a_rx', reader(a, s.readsA, gotA));
  await sim.run({ maxCycles: 20_000_000 });
  sim.dispose();
  if (errors.length) throw errors[0];
  expect(gotB.length).toBe(totalAB);
  expect(gotA.length).toBe(totalBA);
  return { gotB: Uint8Array.from(gotB), gotA: Uint8Array.from(gotA), blocked: a.stats.blockedWaits + b.stats.blockedWaits };
}

describe('channel cursors', () => {
  it('advance wraps at the ring size and counts wraps mod 2^16', () => {
    expect(advance({ wrap: 0, count: 90 }, 10, 100)).toEqual({ wrap: 1, count: 0 });
    expect(advance({ wrap: 0xffff, count: 95 }, 10, 100)).toEqual({ wrap: 0, count: 5 });
    expect(distance({ wrap: 0xffff, count: 95 }, { wrap: 0, count: 5 }, 100)).toBe(10);
    expect(distance({ wrap: 3, count: 40 }, { wrap: 4, count: 40 }, 100)).toBe(100);
  });

  it('header encodes big-endian at the documented offsets', () => {
    const b = encodeChannelHeader({ type: 0xfe, flags: 1, seq: 0x01020304, prod: { wrap: 0x0506, count: 0x0708090a }, cons: { wrap: 0x0b0c, count: 0x0d0e0f10 }, ringSize: 0x11121314 });
    expect([...b.subarray(0, 28)]).toEqual([0xfe, 1, 0, 0, 1, 2, 3, 4, 5, 6, 0, 0, 7, 8, 9, 10, 11, 12, 0, 0, 13, 14, 15, 16, 0x11, 0x12, 0x13, 0x14]);
    expect(decodeChannelHeader(b).cons).toEqual({ wrap: 0x0b0c, count: 0x0d0e0f10 });
  });
});

describe('channel over a loopback port (property)', () => {
  it('delivers every byte once, in order, both ways, through wrap-around and back-pressure', async () => {
    const seed = propertySeed(0x15a6, 'channel loopback');
    const read = fc.record({ max: fc.integer({ min: 1, max: 300 }), idle: fc.integer({ min: 0, max: 40 }) });
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          ringA: fc.integer({ min: 1, max: 200 }),
          ringB: fc.integer({ min: 1, max: 200 }),
          aToB: fc.array(fc.integer({ min: 0, max: 500 }), { maxLength: 8 }),
          bToA: fc.array(fc.integer({ min: 0, max: 500 }), { maxLength: 8 }),
          readsB: fc.array(read, { minLength: 1, maxLength: 5 }),
          readsA: fc.array(read, { minLength: 1, maxLength: 5 }),
          latency: fc.integer({ min: 1, max: 20 }),
        }),
        async (s) => {
          const { gotA, gotB } = await runScenario(s);
          expect(gotB).toEqual(pattern(1, 0, s.aToB.reduce((x, y) => x + y, 0)));
          expect(gotA).toEqual(pattern(2, 0, s.bToA.reduce((x, y) => x + y, 0)));
        },
      ),
      { seed, numRuns: 200 },
    );
  }, 60_000);

  it('a slow reader holds a fast writer back: the writer blocks and nothing is overwritten', async () => {
    const { gotB, blocked } = await runScenario({
      ringA: 64,
      ringB: 100,
      aToB: [1000, 777, 3],
      bToA: [],
      readsB: [{ max: 33, idle: 200 }],
      readsA: [{ max: 1000, idle: 0 }],
      latency: 2,
    });
    expect(gotB).toEqual(pattern(1, 0, 1780));
    expect(blocked).toBeGreaterThan(10);
  });

  it('a move failure ends the channel with the errno; later calls rethrow it', async () => {
    const sim = new Simulator();
    const [pa, pb] = loopbackPair(sim, { lengthA: 128, lengthB: 128 });
    const a = new Channel(pa, 'a');
    new Channel(pb, 'b');
    const seen: unknown[] = [];
    sim.process('tx', async () => {
      await a.send(Uint8Array.of(1, 2, 3));
      pa.failMoves = -5;
      for (let i = 0; i < 2; i++) {
        try {
          await a.send(Uint8Array.of(4));
        } catch (e) {
          seen.push(e);
        }
      }
    });
    await sim.run({ maxCycles: 10_000 });
    sim.dispose();
    expect(seen).toHaveLength(2);
    expect(seen[0]).toBeInstanceOf(ChannelError);
    expect((seen[0] as ChannelError).errno).toBe(5);
    expect(seen[1]).toBe(seen[0]);
  });
});
