import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StackErrno } from '../../models/ism/channel.ts';
import { BlockClient, BlockError, BlockServer, MemoryImage, SECTOR_SIZE } from '../../models/ism/block-device.ts';
import { propertySeed } from '../support/seed.ts';
import { twoVmStack } from './rig.ts';

const SECTORS = 96;
const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && Buffer.compare(a, b) === 0;

type Op = { kind: 'read' | 'write'; lba: number; count: number; fill: number };
const opArb: fc.Arbitrary<Op> = fc.record({
  kind: fc.constantFrom('read' as const, 'write' as const),
  lba: fc.integer({ min: 0, max: SECTORS + 3 }),
  count: fc.integer({ min: 1, max: 24 }),
  fill: fc.integer({ min: 0, max: 255 }),
});

function sectors(lba: number, count: number, fill: number): Uint8Array {
  return Uint8Array.from({ length: count * SECTOR_SIZE }, (_, i) => (fill * 5 + lba + i * 3 + (i >> 9)) & 0xff);
}

/**
 * The block device on the real two-VM hardware (VM 0's vfio daemon serves, VM 1's in-kernel
 * driver asks) against an in-memory reference disk: random reads and writes, some out of
 * range. After every request the served image equals the reference; errors are ERANGE.
 */
describe('block device over the ISM hardware against a reference disk (property)', () => {
  it('every read returns the reference bytes; out-of-range requests get ERANGE and change nothing', async () => {
    const seed = propertySeed(0xb1d, 'block device on hardware');
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 8 }), async (ops) => {
        const image = new MemoryImage(SECTORS * SECTOR_SIZE);
        const reference = new Uint8Array(SECTORS * SECTOR_SIZE);
        await twoVmStack(
          async (node) => {
            const { channel } = await node.open('blk', 'vm1', 32 + 8192);
            await new BlockServer(channel, image).serve().catch(() => undefined);
          },
          async (node) => {
            const { channel } = await node.open('blk', 'vm0', 32 + 8192);
            const blk = new BlockClient(channel);
            for (const op of ops) {
              const inRange = op.lba + op.count <= SECTORS;
              try {
                if (op.kind === 'read') {
                  const got = await blk.read(op.lba, op.count);
                  expect(same(got, reference.subarray(op.lba * SECTOR_SIZE, (op.lba + op.count) * SECTOR_SIZE))).toBe(true);
                } else {
                  const d = sectors(op.lba, op.count, op.fill);
                  await blk.write(op.lba, d);
                  reference.set(d, op.lba * SECTOR_SIZE);
                }
                expect(inRange).toBe(true);
              } catch (e) {
                if (!(e instanceof BlockError)) throw e;
                expect(inRange).toBe(false);
                expect(e.errno).toBe(StackErrno.ERANGE);
              }
              expect(same(image.bytes, reference)).toBe(true);
            }
            await channel.close();
          },
        );
      }),
      { seed, numRuns: 25 },
    );
  }, 120_000);
});
