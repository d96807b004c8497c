import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Simulator } from '../../rtl/hdl/index.ts';
import { Channel, HEADER_SIZE, StackErrno } from '../../models/ism/channel.ts';
import { loopbackPair } from '../../models/ism/loopback-port.ts';
import { BlockClient, BlockError, BlockServer, MemoryImage, SECTOR_SIZE } from '../../models/ism/block-device.ts';
import { propertySeed } from '../support/seed.ts';

const SECTORS = 64;

const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && Buffer.compare(a, b) === 0;

type Op = { kind: 'read'; lba: number; count: number } | { kind: 'write'; lba: number; count: number; fill: number } | { kind: 'flush' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('read' as const), lba: fc.integer({ min: 0, max: SECTORS + 4 }), count: fc.integer({ min: 0, max: 300 }) }),
  fc.record({ kind: fc.constant('write' as const), lba: fc.integer({ min: 0, max: SECTORS + 4 }), count: fc.integer({ min: 1, max: 20 }), fill: fc.integer({ min: 0, max: 255 }) }),
  fc.constant({ kind: 'flush' as const }),
);

function sectorData(lba: number, count: number, fill: number): Uint8Array {
  return Uint8Array.from({ length: count * SECTOR_SIZE }, (_, i) => (fill + lba * 3 + i * 7 + (i >> 9)) & 0xff);
}

describe('block device against an in-memory reference disk (property, loopback channel)', () => {
  it('reads return the reference bytes, writes land, bad requests get ERANGE/EINVAL and change nothing', async () => {
    const seed = propertySeed(0xb10c, 'block device vs reference');
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 12 }), fc.integer({ min: 512, max: 8192 }), async (ops, ring) => {
        const sim = new Simulator();
        const [ps, pc] = loopbackPair(sim, { lengthA: HEADER_SIZE + ring, lengthB: HEADER_SIZE + ring });
        const image = new MemoryImage(SECTORS * SECTOR_SIZE);
        const reference = new Uint8Array(SECTORS * SECTOR_SIZE);
        const server = new BlockServer(new Channel(ps, 'srv'), image);
        const clientChannel = new Channel(pc, 'cli');
        const client = new BlockClient(clientChannel);
        const failures: unknown[] = [];
        sim.process('server', async () => {
          try {
            await server.serve();
          } catch (e) {
            failures.push(e);
          }
        });
        sim.process('client', async () => {
          try {
            for (const op of ops) {
              const inRange = op.kind !== 'flush' && op.lba + op.count <= SECTORS && op.lba < SECTORS;
              if (op.kind === 'read') {
                const expected = op.count === 0 ? StackErrno.EINVAL : op.count > 256 ? (inRange ? 0 : StackErrno.ERANGE) : inRange ? 0 : StackErrno.ERANGE;
                try {
                  const got = await client.read(op.lba, op.count);
                  expect(expected).toBe(0);
                  expect(same(got, reference.subarray(op.lba * SECTOR_SIZE, (op.lba + op.count) * SECTOR_SIZE))).toBe(true);
                } catch (e) {
                  if (!(e instanceof BlockError)) throw e;
                  expect(e.errno).toBe(expected);
                }
              } else if (op.kind === 'write') {
                const data = sectorData(op.lba, op.count, op.fill);
                try {
                  await client.write(op.lba, data);
                  expect(inRange).toBe(true);
                  reference.set(data, op.lba * SECTOR_SIZE);
                } catch (e) {
                  if (!(e instanceof BlockError)) throw e;
                  expect(inRange).toBe(false);
                  expect(e.errno).toBe(StackErrno.ERANGE);
                }
              } else await client.flush();
              expect(same(image.bytes, reference)).toBe(true);
            }
            await clientChannel.close();
          } catch (e) {
            failures.push(e);
          }
        });
        await sim.run({ maxCycles: 50_000_000 });
        sim.dispose();
        if (failures.length) throw failures[0];
        expect(same(image.bytes, reference)).toBe(true);
        expect(image.flushes).toBe(ops.filter((o) => o.kind === 'flush').length);
      }),
      { seed, numRuns: 200 },
    );
  }, 60_000);
});
