import { describe, expect, it } from 'vitest';
import { twoVmStack } from './rig.ts';

function bytes(n: number, salt: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 37 + salt + (i >> 9)) & 0xff);
}

describe('channel over the ISM hardware (vfio daemon in VM 0, in-kernel driver in VM 1)', () => {
  it('carries a stream both ways through a small ring: every byte once, in order', async () => {
    const toServer = bytes(20_000, 1);
    const toClient = bytes(9_000, 2);
    let gotServer: Uint8Array | undefined;
    let gotClient: Uint8Array | undefined;
    await twoVmStack(
      async (node) => {
        const { channel } = await node.open('test', 'vm1', 4096 + 32);
        gotServer = await channel.recvExact(toServer.length);
        await channel.send(toClient);
      },
      async (node) => {
        const { channel } = await node.open('test', 'vm0', 8192);
        await channel.send(toServer);
        gotClient = await channel.recvExact(toClient.length);
        expect(channel.stats.blockedWaits).toBeGreaterThan(0);
      },
    );
    expect(gotServer).toEqual(toServer);
    expect(gotClient).toEqual(toClient);
  }, 60_000);
});
