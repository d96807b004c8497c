import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { propertySeed } from '../support/seed.ts';
import { twoVmStack } from './rig.ts';

function stream(salt: number, n: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 131 + salt * 17 + (i >> 8)) & 0xff);
}

/**
 * The channel on the real hardware (vfio daemon in VM 0, in-kernel driver in VM 1), with
 * random ring sizes, message sizes and a reader that reads in random pieces after random
 * pauses: every byte arrives once and in order, both ways. Few runs: each is a whole
 * two-VM system; the loopback property test covers the space more densely.
 */
describe('channel over the ISM hardware (property)', () => {
  it('delivers random message streams once, in order, through wrap-around and back-pressure', async () => {
    const seed = propertySeed(0x1571, 'channel on hardware');
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          ringServer: fc.integer({ min: 64, max: 3000 }),
          ringClient: fc.integer({ min: 64, max: 3000 }),
          toServer: fc.array(fc.integer({ min: 1, max: 2500 }), { minLength: 1, maxLength: 5 }),
          toClient: fc.array(fc.integer({ min: 1, max: 2500 }), { minLength: 1, maxLength: 4 }),
          reads: fc.array(fc.record({ max: fc.integer({ min: 1, max: 1500 }), pause: fc.integer({ min: 0, max: 3000 }) }), { minLength: 1, maxLength: 4 }),
        }),
        async (s) => {
          const up = stream(1, s.toServer.reduce((a, b) => a + b, 0));
          const down = stream(2, s.toClient.reduce((a, b) => a + b, 0));
          const gotUp: number[] = [];
          let gotDown: Uint8Array | undefined;
          await twoVmStack(
            async (node, rig) => {
              const { channel } = await node.open('p', 'vm1', s.ringServer + 32);
              for (let k = 0; gotUp.length < up.length; k++) {
                const r = s.reads[k % s.reads.length];
                if (r.pause > 0) await rig.sim.tick(r.pause);
                gotUp.push(...(await channel.recv(r.max)));
              }
              let at = 0;
              for (const n of s.toClient) {
                await channel.send(down.subarray(at, at + n));
                at += n;
              }
            },
            async (node) => {
              const { channel } = await node.open('p', 'vm0', s.ringClient + 32);
              let at = 0;
              for (const n of s.toServer) {
                await channel.send(up.subarray(at, at + n));
                at += n;
              }
              gotDown = await channel.recvExact(down.length);
            },
          );
          expect(Uint8Array.from(gotUp)).toEqual(up);
          expect(gotDown).toEqual(down);
        },
      ),
      { seed, numRuns: 40 },
    );
  }, 120_000);
});
