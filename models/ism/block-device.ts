/**
 * Remote block device over a channel (PROTOCOL.md §6). The server (VM 0's daemon) owns an image
 * of 512-byte sectors; the client sends requests {op, tag, lba, count} (+ data for writes) and
 * gets responses {tag, status, length} (+ data for reads). A write is applied only once its
 * whole payload has arrived and its range checked, so a failed transfer changes nothing.
 */
import { closeSync, fstatSync, openSync, readSync, writeSync, fsyncSync } from 'node:fs';
import { SimMutex } from '../host/sim-mutex.ts';
import { Channel, ChannelError, StackErrno, stackErrnoName } from './channel.ts';

export const SECTOR_SIZE = 512;
export const BLOCK_REQUEST_MAGIC = 0x49534d42; // 'ISMB'
export const BLOCK_RESPONSE_MAGIC = 0x49534d52; // 'ISMR'
export const BLOCK_HEADER_SIZE = 32;
/** Largest request, in sectors (128 KiB); the client splits larger transfers. */
export const MAX_REQUEST_SECTORS = 256;
export const BlockOp = { READ: 1, WRITE: 2, FLUSH: 3 } as const;

export interface BlockRequest {
  readonly op: number;
  readonly tag: number;
  readonly lba: bigint;
  readonly count: number;
  readonly length: number;
}

export interface BlockResponse {
  readonly tag: number;
  readonly status: number;
  readonly length: number;
}

export function encodeRequest(r: BlockRequest): Uint8Array {
  const b = new Uint8Array(BLOCK_HEADER_SIZE);
  const v = new DataView(b.buffer);
  v.setUint32(0, BLOCK_REQUEST_MAGIC);
  v.setUint8(4, r.op);
  v.setUint32(8, r.tag >>> 0);
  v.setUint32(12, r.count >>> 0);
  v.setBigUint64(16, r.lba);
  v.setUint32(24, r.length >>> 0);
  return b;
}

export function decodeRequest(b: Uint8Array): BlockRequest & { magic: number } {
  const v = new DataView(b.buffer, b.byteOffset, BLOCK_HEADER_SIZE);
  return { magic: v.getUint32(0), op: v.getUint8(4), tag: v.getUint32(8), count: v.getUint32(12), lba: v.getBigUint64(16), length: v.getUint32(24) };
}

export function encodeResponse(r: BlockResponse): Uint8Array {
  const b = new Uint8Array(BLOCK_HEADER_SIZE);
  const v = new DataView(b.buffer);
  v.setUint32(0, BLOCK_RESPONSE_MAGIC);
  v.setUint32(4, r.tag >>> 0);
  v.setUint32(8, r.status >>> 0);
  v.setUint32(12, r.length >>> 0);
  return b;
}

export function decodeResponse(b: Uint8Array): BlockResponse & { magic: number } {
  const v = new DataView(b.buffer, b.byteOffset, BLOCK_HEADER_SIZE);
  return { magic: v.getUint32(0), tag: v.getUint32(4), status: v.getUint32(8), length: v.getUint32(12) };
}

/** The disk behind the server. */
export interface BlockImage {
  readonly sectors: bigint;
  read(lba: bigint, count: number): Uint8Array;
  write(lba: bigint, data: Uint8Array): void;
  flush(): void;
}

export class MemoryImage implements BlockImage {
  readonly bytes: Uint8Array;
  flushes = 0;
  constructor(sizeBytes: number) {
    if (sizeBytes % SECTOR_SIZE !== 0) throw new RangeError('image size must be a multiple of 512');
    this.bytes = new Uint8Array(sizeBytes);
  }
  get sectors(): bigint {
    return BigInt(this.bytes.length / SECTOR_SIZE);
  }
  read(lba: bigint, count: number): Uint8Array {
    const at = Number(lba) * SECTOR_SIZE;
    return this.bytes.slice(at, at + count * SECTOR_SIZE);
  }
  write(lba: bigint, data: Uint8Array): void {
    this.bytes.set(data, Number(lba) * SECTOR_SIZE);
  }
  flush(): void {
    this.flushes++;
  }
}

/** An image file on the host (size rounded down to whole sectors). */
export class FileImage implements BlockImage {
  private readonly fd: number;
  readonly sectors: bigint;
  constructor(path: string) {
    this.fd = openSync(path, 'r+');
    this.sectors = BigInt(Math.floor(fstatSync(this.fd).size / SECTOR_SIZE));
  }
  read(lba: bigint, count: number): Uint8Array {
    const out = new Uint8Array(count * SECTOR_SIZE);
    readSync(this.fd, out, 0, out.length, Number(lba) * SECTOR_SIZE);
    return out;
  }
  write(lba: bigint, data: Uint8Array): void {
    writeSync(this.fd, data, 0, data.length, Number(lba) * SECTOR_SIZE);
  }
  flush(): void {
    fsyncSync(this.fd);
  }
  close(): void {
    closeSync(this.fd);
  }
}

/** A request the server refused, or a transport failure, as the requester sees it. */
export class BlockError extends Error {
  constructor(
    readonly errno: number,
    readonly where: string,
  ) {
    super(`${where}: ${stackErrnoName(errno)} (-${errno})`);
    this.name = 'BlockError';
  }
}

export interface BlockServerStats {
  requests: number;
  errors: number;
  bytesRead: number;
  bytesWritten: number;
}

/** Serves `image` on `channel` until the client closes the stream. */
export class BlockServer {
  readonly stats: BlockServerStats = { requests: 0, errors: 0, bytesRead: 0, bytesWritten: 0 };
  constructor(
    readonly channel: Channel,
    readonly image: BlockImage,
  ) {}

  /** Check a request against the image: 0 or an errno (PROTOCOL.md §6.3). */
  validate(r: BlockRequest): number {
    if (r.op === BlockOp.FLUSH) return r.count === 0 && r.length === 0 ? 0 : StackErrno.EINVAL;
    if (r.op !== BlockOp.READ && r.op !== BlockOp.WRITE) return StackErrno.EOPNOTSUPP;
    if (r.count === 0 || r.count > MAX_REQUEST_SECTORS) return StackErrno.EINVAL;
    if (r.length !== (r.op === BlockOp.WRITE ? r.count * SECTOR_SIZE : 0)) return StackErrno.EINVAL;
    if (r.lba >= this.image.sectors || r.lba + BigInt(r.count) > this.image.sectors) return StackErrno.ERANGE;
    return 0;
  }

  async serve(): Promise<void> {
    while (await this.serveOne());
  }

  /** Serve one request; false when the client has closed the stream. */
  async serveOne(): Promise<boolean> {
    {
      const first = await this.channel.recv(BLOCK_HEADER_SIZE);
      if (first.length === 0) return false; // client closed
      const head = new Uint8Array(BLOCK_HEADER_SIZE);
      head.set(first);
      if (first.length < BLOCK_HEADER_SIZE) head.set(await this.channel.recvExact(BLOCK_HEADER_SIZE - first.length), first.length);
      const r = decodeRequest(head);
      // A header that cannot be framed (bad magic, a payload longer than any request may carry)
      // leaves the stream unreadable: end it, so the client sees the stream close instead of
      // waiting, and never allocate what a bad header claims.
      const framingError =
        r.magic !== BLOCK_REQUEST_MAGIC
          ? `bad request magic 0x${r.magic.toString(16)}`
          : r.length > MAX_REQUEST_SECTORS * SECTOR_SIZE
            ? `request payload of ${r.length} bytes (at most ${MAX_REQUEST_SECTORS * SECTOR_SIZE})`
            : null;
      if (framingError !== null) {
        await this.channel.close().catch(() => undefined);
        throw new ChannelError(StackErrno.EPROTO, `block server: ${framingError}`);
      }
      this.stats.requests++;
      // The payload is always consumed (its length is in the header) so the stream stays framed.
      const payload = r.length > 0 ? await this.channel.recvExact(r.length) : new Uint8Array(0);
      const status = this.validate(r);
      if (status !== 0) {
        this.stats.errors++;
        await this.channel.send(encodeResponse({ tag: r.tag, status, length: 0 }));
        return true;
      }
      if (r.op === BlockOp.READ) {
        const data = this.image.read(r.lba, r.count);
        this.stats.bytesRead += data.length;
        const out = new Uint8Array(BLOCK_HEADER_SIZE + data.length);
        out.set(encodeResponse({ tag: r.tag, status: 0, length: data.length }));
        out.set(data, BLOCK_HEADER_SIZE);
        await this.channel.send(out);
      } else {
        if (r.op === BlockOp.WRITE) {
          this.image.write(r.lba, payload);
          this.stats.bytesWritten += payload.length;
        } else this.image.flush();
        await this.channel.send(encodeResponse({ tag: r.tag, status: 0, length: 0 }));
      }
      return true;
    }
  }
}

/** The requester side: one request in flight at a time (callers from several processes queue). */
export class BlockClient {
  private tag = 0;
  private readonly lock: SimMutex;
  constructor(
    readonly channel: Channel,
    readonly name = 'blk',
  ) {
    this.lock = new SimMutex(channel.port.sim, `${name} request`);
  }

  private async request(op: number, lba: bigint, count: number, data?: Uint8Array): Promise<Uint8Array> {
    const expectedLength = op === BlockOp.READ ? count * SECTOR_SIZE : 0;
    return this.lock.with(async () => {
      const tag = ++this.tag;
      const what = `${this.name} ${op === BlockOp.READ ? 'read' : op === BlockOp.WRITE ? 'write' : 'flush'} lba ${lba} count ${count}`;
      try {
        const length = data?.length ?? 0;
        const msg = new Uint8Array(BLOCK_HEADER_SIZE + length);
        msg.set(encodeRequest({ op, tag, lba, count, length }));
        if (data) msg.set(data, BLOCK_HEADER_SIZE);
        await this.channel.send(msg);
        const resp = decodeResponse(await this.channel.recvExact(BLOCK_HEADER_SIZE));
        if (resp.magic !== BLOCK_RESPONSE_MAGIC || resp.tag !== tag) throw new BlockError(StackErrno.EPROTO, `${what}: response tag ${resp.tag}`);
        if (resp.length > MAX_REQUEST_SECTORS * SECTOR_SIZE) throw new BlockError(StackErrno.EPROTO, `${what}: response claims ${resp.length} bytes`);
        const payload = resp.length ? await this.channel.recvExact(resp.length) : new Uint8Array(0);
        if (resp.status !== 0) throw new BlockError(resp.status, what);
        if (payload.length !== expectedLength) throw new BlockError(StackErrno.EPROTO, `${what}: ${payload.length} bytes of data, expected ${expectedLength}`);
        return payload;
      } catch (e) {
        if (e instanceof ChannelError) throw new BlockError(e.errno, `${what}: ${e.where}`);
        throw e;
      }
    });
  }

  /** Read `count` sectors from `lba` (split into requests of at most MAX_REQUEST_SECTORS). */
  async read(lba: bigint | number, count: number): Promise<Uint8Array> {
    const out = new Uint8Array(count * SECTOR_SIZE);
    for (let done = 0; done < count || count === 0; ) {
      const n = Math.min(MAX_REQUEST_SECTORS, count - done) || count;
      out.set(await this.request(BlockOp.READ, BigInt(lba) + BigInt(done), n), done * SECTOR_SIZE);
      done += n;
      if (count === 0) break;
    }
    return out;
  }

  /** Write whole sectors at `lba`. */
  async write(lba: bigint | number, data: Uint8Array): Promise<void> {
    if (data.length % SECTOR_SIZE !== 0) throw new BlockError(StackErrno.EINVAL, `${this.name} write: ${data.length} bytes is not whole sectors`);
    const count = data.length / SECTOR_SIZE;
    for (let done = 0; done < count || count === 0; ) {
      const n = Math.min(MAX_REQUEST_SECTORS, count - done) || count;
      await this.request(BlockOp.WRITE, BigInt(lba) + BigInt(done), n, data.subarray(done * SECTOR_SIZE, (done + n) * SECTOR_SIZE));
      done += n;
      if (count === 0) break;
    }
  }

  async flush(): Promise<void> {
    await this.request(BlockOp.FLUSH, 0n, 0);
  }
}
