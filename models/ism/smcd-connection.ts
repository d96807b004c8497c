/**
 * One end of an SMC-D connection over ISM, modelled on Linux net/smc (smc_tx.c, smc_cdc.c,
 * smc_rx.c, smc_ism.c) in the model's own words: the decisions, cursors and ISM writes are
 * Linux's; socket-layer details (urgent data, corking, the close state machine, link groups)
 * are left out.
 *
 * - Each end registers an RMB: a DMB of `dmbLength` bytes that only the peer may write, whose
 *   first 32 bytes hold the peer's CDC message and the rest is the receive ring (rx_off = 32).
 * - `send` copies into the send buffer (a ring in kernel memory, smc_tx_sendmsg), then moves
 *   what the peer's ring has room for straight from the send buffer into the peer's RMB at
 *   +32 + producer offset, without the signal, cut where either ring wraps (smc_tx_rdma_writes /
 *   smcd_tx_rdma_writes), then writes the CDC message at offset 0 with the signal
 *   (smcd_cdc_msg_send). Every write goes through IsmDriver.move (ism_move), which splits at
 *   target 4 KiB boundaries, so sources routinely cross a page.
 * - The peer's interrupt handler reports the signal; a per-connection tasklet reads the CDC from
 *   the RMB and updates the cursors (smcd_cdc_rx_tsklet → smc_cdc_msg_recv_action).
 * - `recv` copies out of the ring and reports the consumer cursor when Linux would
 *   (smc_rx_update_cons → smc_tx_consumer_update).
 */
import type { Subscription } from 'rxjs';
import type { Simulator } from '../../rtl/hdl/simulator.ts';
import { SimMutex } from '../host/sim-mutex.ts';
import { Errno, LinuxError } from '../linux/errno.ts';
import { StackErrno } from './channel.ts';
import type { PeerDmb } from './channel-port.ts';
import type { CallerBuffer } from './device-access.ts';
import type { Dmb, IsmDriver } from './ism-driver.ts';
import type { Directory } from './rendezvous.ts';
import { dataWriteSegments } from './smcd-segments.ts';
import {
  ConnStateFlags,
  CURSOR_ZERO,
  ProducerFlags,
  SMC_CDC_MSG_TYPE,
  SMCD_CDC_SIZE,
  cursorAdd,
  cursorDiff,
  cursorDiffLarge,
  decodeSmcdCdc,
  encodeSmcdCdc,
  type SmcCursor,
  type SmcdCdcMsg,
} from './smcd-cdc.ts';

/** The directory service name SMC-D offers go under (the CLC handshake's stand-in). */
export const SMCD_SERVICE = 'smcd';
/** Linux's smallest SMC-D buffer (SMC_BUF_MIN_SIZE, smc_core.c). */
export const SMC_BUF_MIN_SIZE = 16384;
/**
 * SOCK_MIN_SNDBUF / 2 on s390 (two minimal skb truesizes of 2048 bytes plus a 256-byte cache
 * line, halved): the floor of the consumer-update threshold (smc_rmb_wnd_update_limit).
 */
export const SMC_MIN_UPDATE_LIMIT = 2304;

export interface SmcdOptions {
  /** Our RMB's DMB length; the ring is 32 bytes shorter. Linux uses 16 KiB · 2^n. */
  readonly dmbLength?: number;
  /** Send buffer (ring) size. Linux uses at least 16 KiB. */
  readonly sndbufSize?: number;
  /** Floor of the consumer-update threshold (default SMC_MIN_UPDATE_LIMIT). */
  readonly minUpdateLimit?: number;
  /** Longest a blocked send or recv waits, in cycles (then ETIMEDOUT). */
  readonly timeout?: number;
}

export interface SmcdStats {
  bytesSent: number;
  bytesReceived: number;
  /** ism_move calls carrying data (each one or more PCISTBs). */
  dataWrites: number;
  /** CDC messages written (each one 32-byte PCISTB with the signal). */
  cdcWrites: number;
  /** CDC messages read by the tasklet. */
  cdcReceived: number;
  /** Data writes that closed the peer's window (write_blocked set). */
  writeBlocked: number;
  /** CDC messages sent only to report the consumer cursor. */
  consumerUpdates: number;
}

/**
 * The update threshold (smc_rmb_wnd_update_limit: a tenth of the ring, at least the floor),
 * kept below the ring size: a ring smaller than Linux's minimum (a model extension for tests)
 * must still be able to reopen a closed window.
 */
export function updateLimit(ringSize: number, floor = SMC_MIN_UPDATE_LIMIT): number {
  return Math.min(Math.max(Math.floor(ringSize / 10), floor), ringSize - 1);
}

export class SmcdConnection {
  // The send buffer ring: produced by send(), moved to the peer, released by a CDC send.
  private txCursPrep: SmcCursor = CURSOR_ZERO;
  private txCursSent: SmcCursor = CURSOR_ZERO;
  private txCursFin: SmcCursor = CURSOR_ZERO;
  private sndbufSpace: number;
  // What our CDC messages tell the peer (local_tx_ctrl).
  private txProd: SmcCursor = CURSOR_ZERO; // into the peer's ring
  private txCons: SmcCursor = CURSOR_ZERO; // of our own ring
  private txProdFlags = 0;
  private txConnState = 0;
  private rxCursConfirmed: SmcCursor = CURSOR_ZERO; // txCons as of our last CDC
  // What the peer's last CDC told us (local_rx_ctrl).
  private rxProd: SmcCursor = CURSOR_ZERO;
  private rxCons: SmcCursor = CURSOR_ZERO;
  private rxProdFlags = 0;
  private rxConnState = 0;
  private peerRmbeSpace: number;
  private bytesToRcv = 0;
  private pendingSignals = 0;
  private stopped = false;
  private failure: LinuxError | null = null;
  /** conn->send_lock: data writes and CDC sends of this connection, one at a time. */
  private readonly sendLock: SimMutex;
  private readonly subscription: Subscription;
  readonly ringSize: number;
  readonly peerRingSize: number;
  readonly updateLimit: number;
  readonly timeout: number;
  readonly stats: SmcdStats = { bytesSent: 0, bytesReceived: 0, dataWrites: 0, cdcWrites: 0, cdcReceived: 0, writeBlocked: 0, consumerUpdates: 0 };

  private constructor(
    readonly name: string,
    readonly driver: IsmDriver,
    readonly rmb: Dmb,
    readonly peer: PeerDmb,
    /** The send buffer and the CDC message's staging slot (the kernel stack in Linux). */
    private readonly sndbuf: CallerBuffer,
    private readonly cdcSlot: number,
    options: SmcdOptions,
  ) {
    this.ringSize = rmb.length - SMCD_CDC_SIZE;
    this.peerRingSize = peer.length - SMCD_CDC_SIZE;
    this.sndbufSpace = sndbuf.length;
    this.peerRmbeSpace = this.peerRingSize;
    this.updateLimit = updateLimit(this.ringSize, options.minUpdateLimit);
    this.timeout = options.timeout ?? 50_000_000;
    this.sendLock = new SimMutex(driver.sim, `${name} send_lock`);
    this.subscription = driver.dmbSignals$.subscribe((s) => {
      if (s.sbaIndex === rmb.sbaIndex) this.pendingSignals++;
    });
    driver.sim.process(`${name}_rx_tasklet`, () => this.tasklet());
  }

  /**
   * Open our end towards host `peerName` (call from a simulation process of this VM; the driver
   * is probed): publish our GID, register our RMB for the peer's GID, allocate the send buffer,
   * exchange RMB tokens through `directory` (what SMC's CLC handshake carries), and start the
   * receive tasklet.
   */
  static async open(driver: IsmDriver, directory: Directory, localName: string, peerName: string, options: SmcdOptions = {}): Promise<SmcdConnection> {
    const sim = driver.sim;
    const dmbLength = options.dmbLength ?? SMC_BUF_MIN_SIZE;
    const sndbufSize = options.sndbufSize ?? SMC_BUF_MIN_SIZE;
    if (!Number.isInteger(dmbLength) || dmbLength <= SMCD_CDC_SIZE + 1) throw new LinuxError(Errno.EINVAL, `dmbLength ${dmbLength} (more than ${SMCD_CDC_SIZE + 1})`);
    if (!Number.isInteger(sndbufSize) || sndbufSize < 1) throw new LinuxError(Errno.EINVAL, `sndbufSize ${sndbufSize}`);
    const timeout = options.timeout ?? 50_000_000;
    directory.registerHost(localName, driver.gid);
    await sim.until(() => directory.hostGid(peerName) !== undefined, { timeout, what: `${localName}: GID of ${peerName}` });
    const rmb = await driver.registerDmb({ length: dmbLength, rgid: directory.hostGid(peerName)! });
    const sndbuf = { address: driver.access.allocateDma(sndbufSize), length: sndbufSize };
    const cdcSlot = driver.access.allocateDma(SMCD_CDC_SIZE);
    directory.offer(SMCD_SERVICE, localName, peerName, { gid: driver.gid, token: rmb.token, length: rmb.length });
    await sim.until(() => directory.lookup(SMCD_SERVICE, peerName, localName) !== undefined, { timeout, what: `${localName}: RMB of ${peerName}` });
    const peer = directory.lookup(SMCD_SERVICE, peerName, localName)!;
    return new SmcdConnection(`${localName}_smcd`, driver, rmb, peer, sndbuf, cdcSlot, options);
  }

  private get sim(): Simulator {
    return this.driver.sim;
  }

  get error(): LinuxError | null {
    return this.failure;
  }

  /** Bytes the peer has produced that we have not read yet. */
  get readable(): number {
    return this.bytesToRcv;
  }

  private fail(errno: number, what: string): LinuxError {
    this.failure ??= new LinuxError(errno, `${this.name}: ${what}`);
    return this.failure;
  }

  private check(): void {
    if (this.failure) throw this.failure;
    if (this.stopped) throw this.fail(StackErrno.ESHUTDOWN, 'connection stopped');
  }

  private async waitFor(pred: () => boolean, what: string): Promise<void> {
    await this.sim.until(() => pred() || this.failure !== null || this.stopped, { timeout: this.timeout, what: `${this.name}: ${what}` });
    this.check();
  }

  /**
   * Send every byte of `data` (smc_tx_sendmsg, blocking): copy what the send buffer has room
   * for, push it towards the peer, repeat. One sending process at a time.
   */
  async send(data: Uint8Array): Promise<number> {
    this.check();
    if (this.txConnState & ConnStateFlags.PEER_DONE_WRITING) throw this.fail(StackErrno.EPIPE, 'send after shutdown');
    const mem = this.driver.access.dmaMemory;
    const size = this.sndbuf.length;
    let done = 0;
    while (done < data.length) {
      if (this.sndbufSpace === 0) {
        await this.waitFor(() => this.sndbufSpace > 0, 'waiting for send buffer space');
        continue;
      }
      const n = Math.min(data.length - done, this.sndbufSpace);
      const at = this.txCursPrep.count;
      const first = Math.min(n, size - at);
      mem.write(this.sndbuf.address + at, data.subarray(done, done + first));
      if (n > first) mem.write(this.sndbuf.address, data.subarray(done + first, done + n));
      this.txCursPrep = cursorAdd(this.txCursPrep, n, size);
      this.sndbufSpace -= n;
      done += n;
      await this.sndbufNonempty();
    }
    return done;
  }

  /**
   * Read up to `max` bytes, waiting for at least one. An empty result means the end of the
   * stream: the peer shut down writing and everything it sent has been read. One receiving
   * process at a time.
   */
  async recv(max: number): Promise<Uint8Array> {
    this.check();
    if (!Number.isInteger(max) || max < 1) throw new LinuxError(Errno.EINVAL, `${this.name}: recv(${max})`);
    if (this.bytesToRcv === 0) {
      await this.waitFor(() => this.bytesToRcv > 0 || (this.rxConnState & ConnStateFlags.PEER_DONE_WRITING) !== 0, 'waiting for data');
      if (this.bytesToRcv === 0) return new Uint8Array(0);
    }
    const n = Math.min(max, this.bytesToRcv);
    const ring = this.rmb.iova + SMCD_CDC_SIZE;
    const at = this.txCons.count;
    const first = Math.min(n, this.ringSize - at);
    const mem = this.driver.access.dmaMemory;
    const out = new Uint8Array(n);
    out.set(mem.read(ring + at, first), 0);
    if (n > first) out.set(mem.read(ring, n - first), first);
    this.bytesToRcv -= n;
    this.txCons = cursorAdd(this.txCons, n, this.ringSize);
    this.stats.bytesReceived += n;
    await this.consumerUpdate();
    return out;
  }

  /** Shut down writing: once every byte is moved, a CDC with peer_done_writing. */
  async shutdownWrite(): Promise<void> {
    this.check();
    await this.waitFor(() => cursorDiff(this.sndbuf.length, this.txCursSent, this.txCursPrep) === 0, 'draining the send buffer');
    this.txConnState |= ConnStateFlags.PEER_DONE_WRITING;
    await this.sendLock.with(() => this.cdcMsgSend());
  }

  /**
   * Stop the receive tasklet and stop listening (the DMB stays registered: the SMC close
   * protocol is not modelled). Pending and later calls fail with ESHUTDOWN.
   */
  stop(): void {
    this.stopped = true;
    this.subscription.unsubscribe();
  }

  /** smcd_tx_sndbuf_nonempty: under send_lock, move what fits, then the CDC. */
  private sndbufNonempty(): Promise<void> {
    return this.sendLock.with(async () => {
      await this.rdmaWrites();
      await this.cdcMsgSend();
    });
  }

  /**
   * smc_tx_rdma_writes for SMC-D: move min(prepared, peer window) bytes from the send buffer
   * into the peer's ring at +32, in the pieces `dataWriteSegments` cuts, none signalled.
   */
  private async rdmaWrites(): Promise<void> {
    const sndbufSize = this.sndbuf.length;
    const toSend = cursorDiff(sndbufSize, this.txCursSent, this.txCursPrep);
    if (toSend <= 0) return;
    const window = this.peerRmbeSpace;
    if (window <= 0) return;
    const blocked = toSend >= window;
    this.txProdFlags = blocked ? this.txProdFlags | ProducerFlags.WRITE_BLOCKED : this.txProdFlags & ~ProducerFlags.WRITE_BLOCKED;
    if (blocked) this.stats.writeBlocked++;
    const len = Math.min(toSend, window);
    const prod = this.txProd;
    const sent = this.txCursSent;
    const segments = dataWriteSegments({
      len,
      srcStart: sent.count,
      srcRing: sndbufSize,
      dstStart: prod.count,
      dstRing: this.peerRingSize,
      freeSpaceWraps: prod.wrap === this.rxCons.wrap,
    });
    for (const seg of segments) {
      await this.ismWrite({ address: this.sndbuf.address + seg.srcOff, length: seg.length }, SMCD_CDC_SIZE + seg.dstOff, false);
      this.stats.dataWrites++;
    }
    this.txProd = cursorAdd(prod, len, this.peerRingSize);
    this.peerRmbeSpace -= len;
    this.txCursSent = cursorAdd(sent, len, sndbufSize);
    this.stats.bytesSent += len;
  }

  /**
   * smcd_cdc_msg_send (call holding send_lock): our cursors and flags into the peer's RMB at
   * offset 0 with the signal; then the consumer cursor counts as confirmed and the moved bytes'
   * send-buffer space is released (ISM moves are synchronous: done means delivered).
   */
  private async cdcMsgSend(): Promise<void> {
    const msg: SmcdCdcMsg = { prod: this.txProd, cons: this.txCons, prodFlags: this.txProdFlags, connStateFlags: this.txConnState };
    this.driver.access.dmaMemory.write(this.cdcSlot, encodeSmcdCdc(msg));
    await this.ismWrite({ address: this.cdcSlot, length: SMCD_CDC_SIZE }, 0, true);
    this.stats.cdcWrites++;
    this.rxCursConfirmed = msg.cons;
    this.rxProdFlags &= ~ProducerFlags.CONS_CURS_UPD_REQ;
    this.sndbufSpace += cursorDiff(this.sndbuf.length, this.txCursFin, this.txCursSent);
    this.txCursFin = this.txCursSent;
  }

  /** smcd_tx_ism_write: one ism_move into the peer's RMB (DMBE 0); a failure aborts the connection. */
  private async ismWrite(source: CallerBuffer, offset: number, signal: boolean): Promise<void> {
    const rc = await this.driver.move(this.peer.token, 0, signal, offset, source);
    if (rc < 0) {
      this.txConnState |= ConnStateFlags.PEER_CONN_ABORT;
      throw this.fail(-rc, `ISM write of ${source.length} bytes at RMB offset ${offset} failed`);
    }
  }

  /**
   * smc_tx_consumer_update after a read: send our consumer cursor when the peer asked for it,
   * or when more than the threshold is unconfirmed and either the peer is blocked or it may
   * see at most half the ring free.
   */
  private async consumerUpdate(): Promise<void> {
    const toConfirm = cursorDiff(this.ringSize, this.rxCursConfirmed, this.txCons);
    // The room the peer can see: the ring less what it produced beyond our last confirmed cursor.
    let senderFree = this.ringSize;
    if (toConfirm > this.updateLimit) senderFree = this.ringSize - cursorDiffLarge(this.ringSize, this.rxCursConfirmed, this.rxProd);
    const asked = (this.rxProdFlags & ProducerFlags.CONS_CURS_UPD_REQ) !== 0;
    const blocked = (this.rxProdFlags & ProducerFlags.WRITE_BLOCKED) !== 0;
    if (asked || (toConfirm > this.updateLimit && (senderFree <= this.ringSize / 2 || blocked))) {
      this.stats.consumerUpdates++;
      await this.sendLock.with(() => this.cdcMsgSend());
    }
    if (blocked && this.bytesToRcv === 0) this.rxProdFlags &= ~ProducerFlags.WRITE_BLOCKED;
  }

  /** The receive tasklet: one pass per batch of signals on our RMB. */
  private async tasklet(): Promise<void> {
    for (;;) {
      await this.sim.until(() => this.pendingSignals > 0 || this.stopped, { what: `${this.name}: DMB signal` });
      if (this.stopped) return;
      this.pendingSignals = 0;
      try {
        await this.receiveCdc(decodeSmcdCdc(this.driver.access.dmaMemory.read(this.rmb.iova, SMCD_CDC_SIZE)));
      } catch (e) {
        if (!(e instanceof LinuxError)) throw e;
        this.fail(e.errno, e.message);
        return;
      }
    }
  }

  /**
   * smc_cdc_msg_recv_action for SMC-D: take the peer's cursors, widen our window by what it
   * consumed, count what it produced as readable, and push prepared data if our blocked writer's
   * window reopened (or the peer asked for our cursor).
   */
  private async receiveCdc(cdc: SmcdCdcMsg & { readonly type: number }): Promise<void> {
    if (cdc.type !== SMC_CDC_MSG_TYPE) return;
    this.stats.cdcReceived++;
    const prodOld = this.rxProd;
    const consOld = this.rxCons;
    this.rxProd = cdc.prod;
    this.rxCons = cdc.cons;
    this.rxProdFlags = cdc.prodFlags;
    this.rxConnState = cdc.connStateFlags;
    const diffCons = cursorDiff(this.peerRingSize, consOld, this.rxCons);
    this.peerRmbeSpace += diffCons;
    const diffProd = cursorDiff(this.ringSize, prodOld, this.rxProd);
    this.bytesToRcv += diffProd;
    if (this.peerRmbeSpace > this.peerRingSize || this.bytesToRcv > this.ringSize) {
      throw this.fail(StackErrno.EPROTO, `CDC cursors out of range (window ${this.peerRmbeSpace}/${this.peerRingSize}, readable ${this.bytesToRcv}/${this.ringSize})`);
    }
    // Push prepared data when the peer's window reopened on a blocked writer, or when asked to.
    const reopened = diffCons > 0 && cursorDiff(this.sndbuf.length, this.txCursSent, this.txCursPrep) > 0 && (this.txProdFlags & ProducerFlags.WRITE_BLOCKED) !== 0;
    if (reopened || this.rxProdFlags & ProducerFlags.CONS_CURS_UPD_REQ) await this.sndbufNonempty();
  }
}
