import { describe, expect, it } from 'vitest';
import { StackErrno } from '../../models/ism/channel.ts';
import { BlockClient, BlockError, BlockServer, MemoryImage, SECTOR_SIZE } from '../../models/ism/block-device.ts';
import { ConsoleClient, ConsoleServer } from '../../models/ism/console.ts';
import { twoVmStack } from './rig.ts';

const DISK_SECTORS = 512; // 256 KiB
const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && Buffer.compare(a, b) === 0;

function data(n: number, salt: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 29 + salt + (i >> 10)) & 0xff);
}

/** VM 0's daemon serves `image`; the client body runs in VM 1 with a BlockClient. */
function blockRig(image: MemoryImage, client: (blk: BlockClient, rig: Parameters<Parameters<typeof twoVmStack>[1]>[1]) => Promise<void>, serverHook?: (s: BlockServer) => Promise<void>) {
  let serverError: unknown;
  return twoVmStack(
    async (node) => {
      const { channel } = await node.open('blk', 'vm1', 32 + 16384);
      const server = new BlockServer(channel, image);
      if (serverHook) await serverHook(server);
      else
        try {
          await server.serve();
        } catch (e) {
          serverError = e;
        }
    },
    async (node, rig) => {
      const { channel } = await node.open('blk', 'vm0', 32 + 16384);
      await client(new BlockClient(channel), rig);
      if (!channel.error) await channel.close();
    },
  ).then((rig) => ({ rig, serverError }));
}

describe('remote block device over the ISM hardware', () => {
  it('writes and reads back sectors; out-of-range requests get ERANGE and change nothing', async () => {
    const image = new MemoryImage(DISK_SECTORS * SECTOR_SIZE);
    const written = data(200 * SECTOR_SIZE, 5);
    await blockRig(image, async (blk) => {
      await blk.write(100, written);
      expect(same(await blk.read(100, 200), written)).toBe(true);
      const before = image.bytes.slice();
      const err = await blk.write(DISK_SECTORS - 2, data(4 * SECTOR_SIZE, 9)).catch((e) => e);
      expect(err).toBeInstanceOf(BlockError);
      expect(err.errno).toBe(StackErrno.ERANGE);
      expect(same(image.bytes, before)).toBe(true);
      const rerr = await blk.read(DISK_SECTORS, 1).catch((e) => e);
      expect(rerr.errno).toBe(StackErrno.ERANGE);
      await blk.flush();
      // The stream is still in step after errors.
      expect(same(await blk.read(150, 2), written.subarray(50 * SECTOR_SIZE, 52 * SECTOR_SIZE))).toBe(true);
    });
    expect(same(image.bytes.subarray(100 * SECTOR_SIZE, 300 * SECTOR_SIZE), written)).toBe(true);
    expect(image.flushes).toBe(1);
  }, 60_000);

  it('a server that unregistered its DMB: the requester gets ECONNRESET, the disk is untouched', async () => {
    const image = new MemoryImage(DISK_SECTORS * SECTOR_SIZE);
    let seen: unknown;
    let unregistered = false;
    await blockRig(
      image,
      async (blk, rig) => {
        await blk.write(0, data(8 * SECTOR_SIZE, 1));
        await rig.sim.until(() => unregistered, { timeout: 1_000_000 });
        seen = await blk.write(8, data(64 * SECTOR_SIZE, 2)).catch((e) => e);
      },
      async (server) => {
        // Serve one request, then the daemon drops its receive DMB without a goodbye.
        const port = server.channel.port as import('../../models/ism/channel-port.ts').IsmChannelPort;
        expect(await server.serveOne()).toBe(true);
        await port.driver.unregisterDmb(port.rx);
        unregistered = true;
      },
    );
    expect(seen).toBeInstanceOf(BlockError);
    expect((seen as BlockError).errno).toBe(StackErrno.ECONNRESET);
    expect(same(image.bytes.subarray(0, 8 * SECTOR_SIZE), data(8 * SECTOR_SIZE, 1))).toBe(true);
    expect(image.bytes.subarray(8 * SECTOR_SIZE).every((b) => b === 0)).toBe(true);
  }, 60_000);

  it("the requester's function put into error state mid-write: EIO, and the disk is unchanged", async () => {
    const image = new MemoryImage(DISK_SECTORS * SECTOR_SIZE);
    const before = data(DISK_SECTORS * SECTOR_SIZE, 3);
    image.bytes.set(before);
    let seen: unknown;
    const { serverError } = await blockRig(image, async (blk, rig) => {
      const vm1 = rig.machine.vms[1];
      const moves0 = vm1.cpu.stats.PCISTB?.cc0 ?? 0;
      rig.sim.process('fault', async () => {
        // Once a few chunks of the 128 KiB write are through, the function fails.
        await rig.sim.until(() => (vm1.cpu.stats.PCISTB?.cc0 ?? 0) >= moves0 + 6, { timeout: 2_000_000 });
        vm1.vm.hw.pfu.setError();
      });
      seen = await blk.write(64, data(256 * SECTOR_SIZE, 4)).catch((e) => e);
    });
    expect(seen).toBeInstanceOf(BlockError);
    expect((seen as BlockError).errno).toBe(StackErrno.EIO);
    expect(same(image.bytes, before)).toBe(true);
    void serverError;
  }, 60_000);
});

describe('remote console over the ISM hardware', () => {
  it('lines typed in VM 1 reach the console process in VM 0; echo, output and prompt come back', async () => {
    let server: ConsoleServer | undefined;
    const replies: string[] = [];
    let banner = '';
    await twoVmStack(
      async (node) => {
        const { channel } = await node.open('console', 'vm1', 32 + 4096);
        server = new ConsoleServer(channel, { hostname: 'vm0', now: () => node.sim.cycle });
        await server.serve();
      },
      async (node) => {
        const { channel } = await node.open('console', 'vm0', 32 + 4096);
        const client = new ConsoleClient(channel, 'root@vm0:~# ');
        banner = await client.attach();
        for (const line of ['echo hello over ISM', 'rev stressed', 'frobnicate', 'exit']) {
          const x = await client.type(line);
          expect(x.echoCycles).toBeGreaterThan(0);
          expect(x.roundTripCycles).toBeGreaterThanOrEqual(x.echoCycles);
          replies.push(x.reply);
        }
        expect(await channel.recv()).toHaveLength(0); // the server closed after exit
      },
    );
    expect(banner).toBe('vm0 ISM console\nroot@vm0:~# ');
    expect(server!.received).toEqual(['echo hello over ISM', 'rev stressed', 'frobnicate', 'exit']);
    expect(replies[0]).toBe('echo hello over ISM\nhello over ISM\nroot@vm0:~# ');
    expect(replies[1]).toBe('rev stressed\ndesserts\nroot@vm0:~# ');
    expect(replies[2]).toBe('frobnicate\n-sh: frobnicate: command not found\nroot@vm0:~# ');
    expect(replies[3]).toBe('exit\nlogout\n');
  }, 60_000);
});
