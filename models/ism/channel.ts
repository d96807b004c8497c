/**
 * The ism-sim byte-stream channel (PROTOCOL.md §2–§4): one receive DMB per side, a 32-byte
 * connection header at offset 0 (SMC-D CDC-like: producer and consumer cursors) and a data ring
 * after it. A sender moves payload into the peer's ring without signal, then its header with
 * the signal; a receiver consumes bytes and reports its consumer cursor back the same way.
 *
 * The logic depends only on `ChannelPort` (move into the peer's DMB, read ours, count the
 * signals on ours), so it runs over a cheap in-simulation loopback in property tests and over
 * the real ISM hardware end to end.
 */
import type { Simulator } from '../../rtl/hdl/simulator.ts';
import { SimMutex } from '../host/sim-mutex.ts';
import { Errno, LinuxError } from '../linux/errno.ts';

export const HEADER_SIZE = 32;
/** Header type byte (SMC-D uses 0xFE for its CDC message; so do we). */
export const CHANNEL_HEADER_TYPE = 0xfe;
/** Header flag bits. */
export const ChannelFlags = {
  /** The writer of this header will send no more bytes (orderly close). */
  CLOSED: 0x01,
} as const;

/** A ring position: how many times the ring wrapped (mod 2^16) and the offset in the ring. */
export interface Cursor {
  readonly wrap: number;
  readonly count: number;
}

export interface ChannelHeader {
  readonly type: number;
  readonly flags: number;
  readonly seq: number;
  /** The writer's producer cursor into the reader's ring. */
  readonly prod: Cursor;
  /** The writer's consumer cursor in its own ring (what it has consumed of the reader's bytes). */
  readonly cons: Cursor;
  /** The writer's receive ring size in bytes (its DMB length − 32). */
  readonly ringSize: number;
}

export const ZERO_CURSOR: Cursor = { wrap: 0, count: 0 };

/** Cursor `c` moved on by `n` bytes in a ring of `size` bytes (n ≤ size). */
export function advance(c: Cursor, n: number, size: number): Cursor {
  const count = c.count + n;
  return count >= size ? { wrap: (c.wrap + 1) & 0xffff, count: count - size } : { wrap: c.wrap, count };
}

/** Bytes from cursor `from` to cursor `to` in a ring of `size` (valid while the result ≤ size). */
export function distance(from: Cursor, to: Cursor, size: number): number {
  return ((to.wrap - from.wrap) & 0xffff) * size + to.count - from.count;
}

function cursorsEqual(a: Cursor, b: Cursor): boolean {
  return a.wrap === b.wrap && a.count === b.count;
}

/** Big-endian layout, PROTOCOL.md §2. */
export function encodeChannelHeader(h: ChannelHeader): Uint8Array {
  const b = new Uint8Array(HEADER_SIZE);
  const v = new DataView(b.buffer);
  v.setUint8(0, h.type);
  v.setUint8(1, h.flags);
  v.setUint32(4, h.seq >>> 0);
  v.setUint16(8, h.prod.wrap);
  v.setUint32(12, h.prod.count);
  v.setUint16(16, h.cons.wrap);
  v.setUint32(20, h.cons.count);
  v.setUint32(24, h.ringSize);
  return b;
}

export function decodeChannelHeader(b: Uint8Array): ChannelHeader {
  const v = new DataView(b.buffer, b.byteOffset, HEADER_SIZE);
  return {
    type: v.getUint8(0),
    flags: v.getUint8(1),
    seq: v.getUint32(4),
    prod: { wrap: v.getUint16(8), count: v.getUint32(12) },
    cons: { wrap: v.getUint16(16), count: v.getUint32(20) },
    ringSize: v.getUint32(24),
  };
}

/** What a channel end needs from below. */
export interface ChannelPort {
  readonly sim: Simulator;
  /** Our receive DMB's length (header + ring). */
  readonly rxLength: number;
  /** The peer's receive DMB's length. */
  readonly txLength: number;
  /** Move `bytes` into the peer's DMB at `offset`, signalling it if `signal`: 0 or -errno. */
  move(offset: number, bytes: Uint8Array, signal: boolean): Promise<number>;
  /** Read our receive DMB. */
  readRx(offset: number, length: number): Uint8Array;
  /** Signals handled on our receive DMB so far (grows by one or more per interrupt). */
  readonly signals: number;
  /** Set once the peer's DMB is known to be gone (e.g. an IEQ DMB_UNREGISTERED event). */
  readonly peerGone: boolean;
  /** Look for signals without an interrupt (run the handler): what a waiter does after a quiet spell. */
  poll?(): void;
}

/** A waiter that heard nothing for this many cycles polls the port (a lost MSI costs latency, not progress). */
export const CHANNEL_POLL_INTERVAL = 20_000;

/** Errno values the stack uses beyond models/linux/errno.ts (asm-generic/errno.h). */
export const StackErrno = { ...Errno, EPIPE: 32, EPROTO: 71, EOPNOTSUPP: 95, ESHUTDOWN: 108 } as const;

const STACK_NAMES = new Map<number, string>(Object.entries(StackErrno).map(([k, v]) => [v, k]));

export function stackErrnoName(errno: number): string {
  return STACK_NAMES.get(errno) ?? `errno ${errno}`;
}

/** A channel failure, carrying a Linux errno (ECONNRESET: the peer is gone; EIO: a move failed). */
export class ChannelError extends LinuxError {
  constructor(errno: number, where: string) {
    super(errno, where);
    this.name = 'ChannelError';
    this.message = `${where}: ${stackErrnoName(errno)} (-${errno})`;
  }
}

export interface ChannelStats {
  dataMoves: number;
  headerMoves: number;
  bytesSent: number;
  bytesReceived: number;
  blockedWaits: number;
}

/**
 * One end of a channel. `send` and `recv` may be called from different simulation processes;
 * sends are serialised (a whole `send` is contiguous in the stream) and every move into the
 * peer's DMB goes under one lock, so headers always carry the latest cursors.
 */
export class Channel {
  private txProd: Cursor = ZERO_CURSOR; // how far we have written into the peer's ring
  private txCons: Cursor = ZERO_CURSOR; // how far the peer has consumed of it (from its header)
  private rxProd: Cursor = ZERO_CURSOR; // how far the peer has written into our ring
  private rxCons: Cursor = ZERO_CURSOR; // how far we have consumed
  private reportedCons: Cursor = ZERO_CURSOR; // rxCons as of our last header
  private seq = 0;
  private seenSignals = 0;
  private peerFlags = 0;
  private closed = false;
  private failure: ChannelError | null = null;
  private readonly sendLock: SimMutex;
  private readonly moveLock: SimMutex;
  readonly rxRing: number;
  readonly txRing: number;
  readonly stats: ChannelStats = { dataMoves: 0, headerMoves: 0, bytesSent: 0, bytesReceived: 0, blockedWaits: 0 };

  constructor(
    readonly port: ChannelPort,
    readonly name = 'channel',
    /** Longest a blocked send/recv waits, in cycles (then ETIMEDOUT). */
    readonly timeout = 50_000_000,
  ) {
    if (port.rxLength <= HEADER_SIZE || port.txLength <= HEADER_SIZE) throw new LinuxError(Errno.EINVAL, `${name}: DMB too small`);
    this.rxRing = port.rxLength - HEADER_SIZE;
    this.txRing = port.txLength - HEADER_SIZE;
    this.sendLock = new SimMutex(port.sim, `${name} send`);
    this.moveLock = new SimMutex(port.sim, `${name} move`);
  }

  get error(): ChannelError | null {
    return this.failure;
  }

  /** Read our header if a signal came in since we last looked (the interrupt says: look). */
  private refresh(): void {
    if (this.port.signals === this.seenSignals) return;
    this.seenSignals = this.port.signals;
    const h = decodeChannelHeader(this.port.readRx(0, HEADER_SIZE));
    if (h.type !== CHANNEL_HEADER_TYPE) return;
    const avail = distance(this.rxCons, h.prod, this.rxRing);
    const inFlight = distance(h.cons, this.txProd, this.txRing);
    if (avail < 0 || avail > this.rxRing || inFlight < 0 || inFlight > this.txRing || h.prod.count >= this.rxRing || h.cons.count >= this.txRing) {
      this.fail(StackErrno.EPROTO, `header seq ${h.seq}: cursors out of range`);
      return;
    }
    this.rxProd = h.prod;
    this.txCons = h.cons;
    this.peerFlags = h.flags;
  }

  private fail(errno: number, what: string): ChannelError {
    this.failure ??= new ChannelError(errno, `${this.name}: ${what}`);
    return this.failure;
  }

  private check(): void {
    if (this.failure) throw this.failure;
    if (this.port.peerGone) throw this.fail(Errno.ECONNRESET, 'peer DMB unregistered');
  }

  /** Bytes ready to read. */
  available(): number {
    this.refresh();
    return distance(this.rxCons, this.rxProd, this.rxRing);
  }

  /** Bytes we may write now without overwriting unconsumed data. */
  room(): number {
    this.refresh();
    return this.txRing - distance(this.txCons, this.txProd, this.txRing);
  }

  /** The peer sent CLOSED and every byte it sent has been read. */
  get peerClosed(): boolean {
    this.refresh();
    return (this.peerFlags & ChannelFlags.CLOSED) !== 0;
  }

  private async moveChecked(offset: number, bytes: Uint8Array, signal: boolean): Promise<void> {
    const rc = await this.port.move(offset, bytes, signal);
    if (rc < 0) {
      throw this.port.peerGone
        ? this.fail(Errno.ECONNRESET, `move into the peer failed (${rc}); peer DMB unregistered`)
        : this.fail(-rc, `move into the peer failed (${rc})`);
    }
  }

  /** Our header into the peer's DMB with the signal; call holding moveLock. */
  private async sendHeader(): Promise<void> {
    const cons = this.rxCons;
    const header = encodeChannelHeader({
      type: CHANNEL_HEADER_TYPE,
      flags: this.closed ? ChannelFlags.CLOSED : 0,
      seq: ++this.seq,
      prod: this.txProd,
      cons,
      ringSize: this.rxRing,
    });
    this.stats.headerMoves++;
    await this.moveChecked(0, header, true);
    this.reportedCons = cons;
  }

  /**
   * Wait for `pred` (or a failure), checking at cycle boundaries. Every wait is bounded: after
   * `timeout` cycles the channel fails with ETIMEDOUT. A quiet spell of CHANNEL_POLL_INTERVAL
   * cycles makes the waiter poll the port once, so a lost interrupt only delays it.
   */
  private async waitFor(pred: () => boolean, what: string): Promise<void> {
    const sim = this.port.sim;
    const deadline = sim.cycle + this.timeout;
    const done = (): boolean => pred() || this.failure !== null || this.port.peerGone;
    for (;;) {
      const left = deadline - sim.cycle;
      if (left <= 0) throw this.fail(Errno.ETIMEDOUT, `${what}: nothing for ${this.timeout} cycles`);
      // The quiet spell ends at `pollAt` as a predicate, not as a timeout: no error is made per
      // poll. The wait's deadline is that same cycle, so skipping idle cycles stops there too.
      const spell = this.port.poll ? Math.min(left, CHANNEL_POLL_INTERVAL) : left;
      const pollAt = sim.cycle + spell;
      await sim.until(() => done() || sim.cycle >= pollAt, { timeout: spell, what: `${this.name}: ${what}` });
      if (done()) break;
      this.port.poll?.();
    }
    this.check();
  }

  /** Send every byte of `data`, in order, waiting for room as needed. */
  async send(data: Uint8Array): Promise<void> {
    this.check();
    if (this.closed) throw this.fail(StackErrno.EPIPE, 'send after close');
    await this.sendLock.with(async () => {
      let done = 0;
      while (done < data.length) {
        if (this.room() === 0) {
          this.stats.blockedWaits++;
          await this.waitFor(() => this.room() > 0, 'waiting for room in the peer ring');
        }
        await this.moveLock.with(async () => {
          this.check();
          const n = Math.min(this.room(), data.length - done);
          // At most two moves: up to the end of the ring, then from its start.
          const at = this.txProd.count;
          const first = Math.min(n, this.txRing - at);
          await this.moveChecked(HEADER_SIZE + at, data.subarray(done, done + first), false);
          this.stats.dataMoves++;
          if (n > first) {
            await this.moveChecked(HEADER_SIZE, data.subarray(done + first, done + n), false);
            this.stats.dataMoves++;
          }
          this.txProd = advance(this.txProd, n, this.txRing);
          done += n;
          this.stats.bytesSent += n;
          await this.sendHeader();
        });
      }
    });
  }

  /**
   * Read up to `max` bytes, waiting until at least one is there. Returns an empty array at the
   * end of the stream (the peer closed and everything was read).
   */
  async recv(max = Infinity): Promise<Uint8Array> {
    this.check();
    if (this.available() === 0) {
      await this.waitFor(() => this.available() > 0 || this.peerClosed, 'waiting for data');
      if (this.available() === 0) return new Uint8Array(0);
    }
    const n = Math.min(this.available(), max);
    const out = new Uint8Array(n);
    const at = this.rxCons.count;
    const first = Math.min(n, this.rxRing - at);
    out.set(this.port.readRx(HEADER_SIZE + at, first), 0);
    if (n > first) out.set(this.port.readRx(HEADER_SIZE, n - first), first);
    this.rxCons = advance(this.rxCons, n, this.rxRing);
    this.stats.bytesReceived += n;
    // Report the consumer cursor when half the ring was freed or the ring is empty (PROTOCOL §4).
    const unreported = distance(this.reportedCons, this.rxCons, this.rxRing);
    if (unreported >= this.rxRing / 2 || this.available() === 0) {
      await this.moveLock.with(async () => {
        if (!cursorsEqual(this.reportedCons, this.rxCons)) await this.sendHeader();
      });
    }
    return out;
  }

  /** Read exactly `n` bytes; ECONNRESET if the stream ends first. */
  async recvExact(n: number): Promise<Uint8Array> {
    const out = new Uint8Array(n);
    let got = 0;
    while (got < n) {
      const part = await this.recv(n - got);
      if (part.length === 0) throw this.fail(Errno.ECONNRESET, `stream ended after ${got} of ${n} bytes`);
      out.set(part, got);
      got += part.length;
    }
    return out;
  }

  /**
   * Local abort (the owning process is going away): pending and later calls on this end fail
   * with `errno`. Sends nothing; safe to call from any process.
   */
  abort(errno: number = StackErrno.ESHUTDOWN): void {
    this.fail(errno, 'aborted locally');
  }

  /** Orderly close: a last header with CLOSED. Bytes already sent stay readable by the peer. */
  async close(): Promise<void> {
    if (this.closed || this.failure) return;
    await this.sendLock.with(() =>
      this.moveLock.with(async () => {
        this.closed = true;
        await this.sendHeader();
      }),
    );
  }
}
