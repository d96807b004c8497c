import { describe, expect, it } from 'vitest';
import { Simulator } from '../../rtl/hdl/index.ts';
import { Channel, ChannelError, HEADER_SIZE, StackErrno } from '../../models/ism/channel.ts';
import { loopbackPair } from '../../models/ism/loopback-port.ts';
import { BLOCK_HEADER_SIZE, BlockOp, BlockServer, MemoryImage, encodeRequest } from '../../models/ism/block-device.ts';

/** A client that writes raw bytes at the server; returns how the server ended and what the client then read. */
async function rawAtServer(header: Uint8Array): Promise<{ serverError: unknown; clientRead: unknown; diskTouched: boolean }> {
  const sim = new Simulator();
  const [ps, pc] = loopbackPair(sim, { lengthA: HEADER_SIZE + 4096, lengthB: HEADER_SIZE + 4096 });
  const image = new MemoryImage(64 * 512);
  const before = image.bytes.slice();
  const client = new Channel(pc, 'cli');
  let serverError: unknown;
  let clientRead: unknown;
  sim.process('server', async () => {
    try {
      await new BlockServer(new Channel(ps, 'srv'), image).serve();
    } catch (e) {
      serverError = e;
    }
  });
  sim.process('client', async () => {
    await client.send(header);
    try {
      clientRead = await client.recvExact(BLOCK_HEADER_SIZE);
    } catch (e) {
      clientRead = e;
    }
  });
  await sim.run({ maxCycles: 1_000_000 });
  sim.dispose();
  return { serverError, clientRead, diskTouched: Buffer.compare(image.bytes, before) !== 0 };
}

describe('block server framing', () => {
  it('a request claiming a 4 GiB payload ends the stream with EPROTO; nothing is allocated or written', async () => {
    const header = encodeRequest({ op: BlockOp.WRITE, tag: 1, lba: 0n, count: 1, length: 0xffff_fff0 });
    const r = await rawAtServer(header);
    expect(r.serverError).toBeInstanceOf(ChannelError);
    expect((r.serverError as ChannelError).errno).toBe(StackErrno.EPROTO);
    expect((r.serverError as Error).message).toMatch(/request payload of 4294967280 bytes/);
    // The client is not left waiting: its read fails because the stream ended.
    expect(r.clientRead).toBeInstanceOf(ChannelError);
    expect(r.diskTouched).toBe(false);
  });

  it('a bad magic ends the stream the same way', async () => {
    const header = encodeRequest({ op: BlockOp.READ, tag: 1, lba: 0n, count: 1, length: 0 });
    header[0] ^= 0xff;
    const r = await rawAtServer(header);
    expect((r.serverError as ChannelError).errno).toBe(StackErrno.EPROTO);
    expect((r.serverError as Error).message).toMatch(/bad request magic/);
    expect(r.clientRead).toBeInstanceOf(ChannelError);
  });
});
