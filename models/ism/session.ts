/**
 * The two-VM services as runnable sessions, shared by the benches and the perf section: VM 0 runs
 * the user-space daemon (IsmDriver over vfio) with the console and block servers, VM 1 the
 * in-kernel driver with the clients.
 */
import { randomBytes } from '../host/prng.ts';
import type { Simulator } from '../../rtl/hdl/simulator.ts';
import type { IsmMachine } from '../host/machine.ts';
import { BlockClient, BlockServer, MemoryImage, SECTOR_SIZE, type BlockImage } from './block-device.ts';
import { HEADER_SIZE } from './channel.ts';
import { ConsoleClient, ConsoleServer, type ConsoleExchange } from './console.ts';
import { Directory, IsmNode } from './rendezvous.ts';

/** Receive DMB length of every service channel (32-byte header + 64 KiB ring). */
export const SERVICE_DMB_LENGTH = HEADER_SIZE + 64 * 1024;

export interface ConsoleSessionResult {
  banner: string;
  exchanges: ConsoleExchange[];
  received: string[];
  transcript: string;
}

/**
 * Start processes for a console session typing `lines`; the result fills in when the run ends.
 * `pauseCycles`: the typist reads the prompt and thinks this long before each line (the machine
 * idles meanwhile, apart from the waiting server's poll every CHANNEL_POLL_INTERVAL cycles).
 */
export function consoleSession(sim: Simulator, machine: IsmMachine, lines: readonly string[], pauseCycles = 0): ConsoleSessionResult {
  const directory = new Directory();
  const result: ConsoleSessionResult = { banner: '', exchanges: [], received: [], transcript: '' };
  sim.process('vm0_daemon', async () => {
    const node = await IsmNode.start('vm0', machine.vms[0], 'vfio', directory);
    const { channel } = await node.open('console', 'vm1', HEADER_SIZE + 4096);
    const server = new ConsoleServer(channel, { hostname: 'vm0', now: () => sim.cycle });
    await server.serve();
    result.received.push(...server.received);
  });
  sim.process('vm1_console', async () => {
    const node = await IsmNode.start('vm1', machine.vms[1], 'kernel', directory);
    const { channel } = await node.open('console', 'vm0', HEADER_SIZE + 4096);
    const client = new ConsoleClient(channel, 'root@vm0:~# ');
    result.banner = await client.attach();
    for (const line of lines) {
      if (pauseCycles > 0) await sim.tick(pauseCycles);
      result.exchanges.push(await client.type(line));
    }
    result.transcript = client.transcript;
    await channel.close();
  });
  return result;
}

export interface BlockSessionResult {
  bytes: number;
  writeCycles: number;
  readCycles: number;
  verified: boolean;
  mismatchAt: number;
  requests: number;
}

/** Write `bytes` (whole sectors) at LBA 0 in `chunk`-byte calls, read it back, compare. */
export function blockSession(sim: Simulator, machine: IsmMachine, options: { bytes: number; chunk?: number; seed: number; image?: BlockImage }): BlockSessionResult {
  const directory = new Directory();
  const image = options.image ?? new MemoryImage(Math.max(options.bytes, 1 << 20));
  const chunk = options.chunk ?? 128 * 1024;
  const result: BlockSessionResult = { bytes: options.bytes, writeCycles: 0, readCycles: 0, verified: false, mismatchAt: -1, requests: 0 };
  const data = randomBytes(options.seed, options.bytes);
  sim.process('vm0_daemon', async () => {
    const node = await IsmNode.start('vm0', machine.vms[0], 'vfio', directory);
    const { channel } = await node.open('blk', 'vm1', SERVICE_DMB_LENGTH);
    const server = new BlockServer(channel, image);
    await server.serve();
    result.requests = server.stats.requests;
  });
  sim.process('vm1_blk', async () => {
    const node = await IsmNode.start('vm1', machine.vms[1], 'kernel', directory);
    const { channel } = await node.open('blk', 'vm0', SERVICE_DMB_LENGTH);
    const blk = new BlockClient(channel);
    let t = sim.cycle;
    for (let at = 0; at < data.length; at += chunk) await blk.write(at / SECTOR_SIZE, data.subarray(at, Math.min(data.length, at + chunk)));
    await blk.flush();
    result.writeCycles = sim.cycle - t;
    t = sim.cycle;
    const back = new Uint8Array(data.length);
    for (let at = 0; at < data.length; at += chunk) {
      const n = Math.min(data.length, at + chunk) - at;
      back.set(await blk.read(at / SECTOR_SIZE, n / SECTOR_SIZE), at);
    }
    result.readCycles = sim.cycle - t;
    result.mismatchAt = back.findIndex((b, i) => b !== data[i]);
    result.verified = result.mismatchAt < 0;
    await channel.close();
  });
  return result;
}
