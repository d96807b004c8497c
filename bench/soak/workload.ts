/**
 * The `daemon` workload as the soak runs it, forever reconnecting: VM 0's daemon serves a console
 * to every odd VM and a disk to every even VM (from 2); each client loops over operations and,
 * when a fault breaks its channel, reconnects with a new epoch (new DMBs on both sides). Every
 * answer is checked on the spot: reads against the client's shadow disk, console replies against
 * the exact expected bytes, console lines at the server for order and duplicates.
 */
import { xorshift32 } from '../../models/host/prng.ts';
import { BLOCK_HEADER_SIZE, BLOCK_REQUEST_MAGIC, BlockClient, BlockOp, BlockServer, MemoryImage, SECTOR_SIZE, encodeRequest } from '../../models/ism/block-device.ts';
import { Channel, HEADER_SIZE, StackErrno } from '../../models/ism/channel.ts';
import { ConsoleClient, ConsoleServer } from '../../models/ism/console.ts';
import { LinuxError } from '../../models/linux/errno.ts';
import { DeferredImage } from './planted.ts';
import { ShadowDisk } from './shadow-disk.ts';
import type { Connection, SoakNode } from './soak-node.ts';
import type { SoakState } from './state.ts';

export const DISK_SECTORS = 256;
const CONSOLE_DMB = HEADER_SIZE + 4096;
const DISK_DMB = HEADER_SIZE + 64 * 1024;
/** Longest any channel wait lasts before ETIMEDOUT (cycles). */
export const CHANNEL_TIMEOUT = 400_000;
/** Longest a client waits for the daemon's answering offer. */
export const CONNECT_TIMEOUT = 300_000;
const PROMPT = 'root@vm0:~# ';

export type ClientKind = 'console' | 'disk';

export function clientKind(vm: number): ClientKind {
  return vm % 2 === 1 ? 'console' : 'disk';
}

function dmbLength(kind: ClientKind): number {
  return kind === 'console' ? CONSOLE_DMB : DISK_DMB;
}

/** Errnos after which the channel is still usable (the request itself was refused). */
const REQUEST_LEVEL = new Set<number>([StackErrno.ERANGE, StackErrno.EINVAL, StackErrno.EOPNOTSUPP]);

/** Per-client state that outlives connections and VM restarts. */
export class ClientState {
  epoch = 0;
  /** Operation in progress since this cycle (-1: none): the hang watchdog reads it. */
  opStartedAt = -1;
  opWhat = '';
  /** A bad request a fault asked for, sent as the next operation. */
  badRequest: string | null = null;
  lineNo = 0;
  readonly shadow = new ShadowDisk(DISK_SECTORS);
  readonly random: () => number;
  constructor(
    readonly vm: number,
    readonly kind: ClientKind,
    seed: number,
  ) {
    this.random = xorshift32((seed * 7919 + vm * 104729) >>> 0);
  }
}

/** What the daemon keeps per client: the disk image, the last console line number it saw. */
export class ServedClient {
  served = 0;
  lastLine = -1;
  readonly image = new MemoryImage(DISK_SECTORS * SECTOR_SIZE);
  constructor(
    readonly vm: number,
    readonly kind: ClientKind,
  ) {}
}

// ------------------------------------------------------------------ client side

/** Register our DMB, offer it under a new epoch, wait for the daemon's answering offer. */
async function connect(state: SoakState, node: SoakNode, client: ClientState, serverGid: bigint): Promise<Connection> {
  const epoch = ++client.epoch;
  const conn = await node.listen(client.kind, 0, serverGid, dmbLength(client.kind), epoch);
  state.clientOffers.set(client.vm, { epoch, gid: node.driver!.gid, token: conn.rx.token, length: conn.rx.length });
  const sim = state.sim;
  const answered = (): boolean => state.serverOffers.get(client.vm)?.epoch === epoch;
  await sim.until(() => answered() || !node.up || state.finished, { timeout: CONNECT_TIMEOUT, what: `vm${client.vm}: daemon answers epoch ${epoch}` }).catch(() => undefined);
  if (!answered()) {
    await node.close(conn);
    throw new LinuxError(state.finished || !node.up ? StackErrno.ESHUTDOWN : StackErrno.ETIMEDOUT, `vm${client.vm}: connect epoch ${epoch}`);
  }
  conn.port.connect(state.serverOffers.get(client.vm)!);
  conn.channel = new Channel(conn.port, `vm${client.vm}:${client.kind}`, CHANNEL_TIMEOUT);
  return conn;
}

/** The client process of VM `vm`: connect, run operations until a failure, reconnect; until the budget is spent. */
export async function runClient(state: SoakState, node: SoakNode, client: ClientState, serverGid: () => bigint | undefined): Promise<void> {
  const sim = state.sim;
  while (!state.finished) {
    await sim.until(() => (node.up && serverGid() !== undefined) || state.finished, { timeout: 1_000_000, what: `vm${client.vm}: node up` }).catch(() => undefined);
    if (state.finished) break;
    if (!node.up || serverGid() === undefined) continue;
    let conn: Connection;
    try {
      conn = await connect(state, node, client, serverGid()!);
    } catch (e) {
      state.failed(client.vm, 'connect', e);
      await sim.tick(2_000);
      continue;
    }
    state.reconnects++;
    try {
      if (client.kind === 'console') await consoleSession(state, node, client, conn.channel!);
      else await diskSession(state, node, client, conn.channel!);
      // Budget spent with the channel healthy: an orderly close.
      await conn.channel!.close().catch((e) => state.failed(client.vm, 'close', e));
    } catch (e) {
      if (e instanceof SessionBroken) {
        node.recoverIfFunctionFailed();
      } else state.failed(client.vm, 'session', e);
    }
    await node.close(conn);
  }
  state.clientsDone.add(client.vm);
}

/** The channel is unusable after this failure (already counted): reconnect. */
class SessionBroken extends Error {}

async function operation<T>(state: SoakState, client: ClientState, what: string, kind: string, body: () => Promise<T>): Promise<T> {
  client.opStartedAt = state.sim.cycle;
  client.opWhat = what;
  try {
    const r = await body();
    state.opDone(kind);
    return r;
  } catch (e) {
    if (e instanceof SessionBroken) throw e;
    const errno = state.failed(client.vm, what, e);
    state.opDone(kind);
    if (errno >= 0 && REQUEST_LEVEL.has(errno)) throw new RequestRefused(errno);
    throw new SessionBroken();
  } finally {
    client.opStartedAt = -1;
  }
}

class RequestRefused extends Error {
  constructor(readonly errno: number) {
    super(`refused: ${errno}`);
  }
}

async function consoleSession(state: SoakState, node: SoakNode, client: ClientState, channel: Channel): Promise<void> {
  const term = new ConsoleClient(channel, PROMPT, false);
  await operation(state, client, 'console attach', 'console-attach', async () => {
    const banner = await term.attach();
    if (banner !== `vm0 ISM console\n${PROMPT}`) state.violation('console transcript never duplicates or reorders', client.vm, `banner ${JSON.stringify(banner)}`);
  });
  while (!state.finished && node.up) {
    const word = `vm${client.vm}-${client.lineNo++}`;
    const line = `echo ${word}`;
    const x = await operation(state, client, `console "${line}"`, 'console-line', () => term.type(line));
    const want = `${line}\n${word}\n${PROMPT}`;
    if (x.reply !== want) state.violation('console transcript never duplicates or reorders', client.vm, `typed "${line}", got ${JSON.stringify(x.reply)}`);
  }
}

async function diskSession(state: SoakState, node: SoakNode, client: ClientState, channel: Channel): Promise<void> {
  const blk = new BlockClient(channel, `vm${client.vm} blk`);
  const shadow = client.shadow;
  const r = client.random;
  while (!state.finished && node.up) {
    if (shadow.unsure) {
      // Decide the write that failed before anything else touches the disk.
      const w = shadow.unsure;
      const count = w.data.length / SECTOR_SIZE;
      const got = await operation(state, client, `resolve-read lba ${w.lba} count ${count}`, 'block-read', () => blk.read(w.lba, count));
      const verdict = shadow.resolve(got);
      if (verdict === 'torn') state.violation('an unacknowledged write happened entirely or not at all', client.vm, `write lba ${w.lba} count ${count} (faults: ${w.faults}) is torn`);
      else {
        const key = verdict === 'applied' ? 'applied' : 'notApplied';
        state.unacked[key]++;
        const by = (state.unacked.byFault[w.faults] ??= { applied: 0, notApplied: 0 });
        by[key]++;
      }
      continue;
    }
    if (client.badRequest) {
      const variant = client.badRequest;
      client.badRequest = null;
      await badRequest(state, client, blk, channel, variant);
      continue;
    }
    const count = r() % 32 === 0 ? 1 + (r() % 64) : 1 + (r() % 8);
    const lba = r() % (DISK_SECTORS - count + 1);
    const pick = r() % 100;
    try {
      if (pick < 45) {
        const data = new Uint8Array(count * SECTOR_SIZE);
        for (let i = 0; i < data.length; i += 4) new DataView(data.buffer).setUint32(i, r());
        const since = state.injected.length;
        try {
          await operation(state, client, `write lba ${lba} count ${count}`, 'block-write', () => blk.write(lba, data));
          shadow.acknowledged(lba, data);
        } catch (e) {
          if (e instanceof SessionBroken) shadow.unsure = { lba, data, faults: state.faultsSince(Math.max(0, since - 1)) };
          throw e;
        }
      } else if (pick < 95) {
        const got = await operation(state, client, `read lba ${lba} count ${count}`, 'block-read', () => blk.read(lba, count));
        const bad = shadow.mismatch(lba, got);
        if (bad >= 0) {
          state.violation('every acknowledged write reads back with the same bytes', client.vm, `read lba ${lba} count ${count}: byte ${bad} is 0x${got[bad].toString(16)}, acknowledged 0x${shadow.expected(lba, count)[bad].toString(16)}`);
          shadow.acknowledged(lba, got); // report each loss once
        }
      } else await operation(state, client, 'flush', 'block-flush', () => blk.flush());
    } catch (e) {
      if (!(e instanceof RequestRefused)) throw e;
      state.violation('failure reaches the caller as a documented errno', client.vm, `a valid request was refused with errno ${e.errno}`);
    }
  }
}

/** Bad magic / oversized payload end the stream (the daemon disconnects); out-of-range sectors get ERANGE. */
async function badRequest(state: SoakState, client: ClientState, blk: BlockClient, channel: Channel, variant: string): Promise<void> {
  if (variant === 'range') {
    const lba = DISK_SECTORS - 1 - (client.random() % 4);
    try {
      await operation(state, client, `bad request: write lba ${lba} count 8 (past the end)`, 'bad-request', () => blk.write(lba, new Uint8Array(8 * SECTOR_SIZE).fill(0xee)));
      state.violation('failure reaches the caller as a documented errno', client.vm, `write past the end at lba ${lba} succeeded`);
    } catch (e) {
      if (e instanceof RequestRefused && e.errno !== StackErrno.ERANGE) state.violation('failure reaches the caller as a documented errno', client.vm, `write past the end: errno ${e.errno}, documented ERANGE`);
      if (!(e instanceof RequestRefused)) throw e;
    }
    return;
  }
  const header = encodeRequest({ op: BlockOp.WRITE, tag: 0xbad, lba: 0n, count: 1, length: variant === 'oversize' ? 0x4000_0000 : SECTOR_SIZE });
  if (variant === 'magic') new DataView(header.buffer).setUint32(0, BLOCK_REQUEST_MAGIC ^ 0xffff_ffff);
  await operation(state, client, `bad request: ${variant}`, 'bad-request', async () => {
    await channel.send(header);
    const answer = await channel.recv(BLOCK_HEADER_SIZE);
    // The daemon must end the stream (recv → end of stream), never answer or act on it.
    if (answer.length !== 0) state.violation('failure reaches the caller as a documented errno', client.vm, `bad request (${variant}) was answered`);
    throw new LinuxError(StackErrno.ECONNRESET, `bad request (${variant}): the daemon ended the stream`);
  });
}

// ------------------------------------------------------------------ daemon side

/** One daemon process per client: accept each new epoch, serve it until it breaks or ends. */
export async function runServer(state: SoakState, node: SoakNode, served: ServedClient): Promise<void> {
  const sim = state.sim;
  const fresh = (): boolean => (state.clientOffers.get(served.vm)?.epoch ?? 0) > served.served;
  for (;;) {
    await sim.until(() => (node.up && fresh()) || state.clientsDone.has(served.vm), { timeout: 1_000_000, what: `vm0: offer from vm${served.vm}` }).catch(() => undefined);
    if (!(node.up && fresh())) {
      if (state.clientsDone.has(served.vm)) return;
      continue;
    }
    const offer = state.clientOffers.get(served.vm)!;
    served.served = offer.epoch;
    let conn: Connection;
    try {
      conn = await node.listen(served.kind, served.vm, offer.gid, dmbLength(served.kind), offer.epoch);
    } catch (e) {
      state.failed(0, `accept vm${served.vm}`, e);
      continue;
    }
    conn.port.connect(offer);
    state.serverOffers.set(served.vm, { epoch: offer.epoch, gid: node.driver!.gid, token: conn.rx.token, length: conn.rx.length });
    const channel = (conn.channel = new Channel(conn.port, `vm0:${served.kind}:vm${served.vm}`, CHANNEL_TIMEOUT));
    try {
      if (served.kind === 'console') {
        await new ConsoleServer(channel, { hostname: 'vm0', now: () => sim.cycle, onLine: (line) => checkLine(state, served, line) }).serve();
      } else {
        const image = state.options.plant === 'ack-before-apply' ? new DeferredImage(served.image) : served.image;
        await new BlockServer(channel, image).serve();
        // An orderly close writes the cache back: only a broken connection loses the write.
        if (image instanceof DeferredImage) image.flush();
      }
    } catch (e) {
      // The daemon's own view of a broken session (the client counts what reaches it).
      if (!(e instanceof LinuxError)) state.failed(0, `serve vm${served.vm}`, e);
    }
    await node.close(conn);
  }
}

/** Console lines reach the daemon once each, in order: line numbers only grow. */
function checkLine(state: SoakState, served: ServedClient, line: string): void {
  const m = /^echo vm\d+-(\d+)$/.exec(line);
  const n = m ? Number(m[1]) : NaN;
  if (!m || n <= served.lastLine) state.violation('console transcript never duplicates or reorders', served.vm, `daemon read "${line}" after line ${served.lastLine}`);
  if (m) served.lastLine = Math.max(served.lastLine, n);
}
