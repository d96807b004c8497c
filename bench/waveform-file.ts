import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, constants, existsSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { VcdSink } from '../rtl/hdl/index.ts';

/** The waveform formats `ism-sim run` writes. */
export type WaveFormat = 'vcd' | 'fst';

/** GTKWave's converter, used to write FST; null when it is not installed. */
export function findVcd2fst(): string | null {
  const r = spawnSync('sh', ['-c', 'command -v vcd2fst'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

/**
 * Open a FIFO for writing once its reader has opened it, giving up after 10 s (a converter that
 * never started must not hang the run). The descriptor is blocking: writes wait while the
 * reader is behind, so the trace is never buffered in memory.
 */
function openWhenRead(fifo: string): number {
  const until = Date.now() + 10_000;
  for (;;) {
    try {
      const probe = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
      const fd = openSync(fifo, 'w');
      closeSync(probe);
      return fd;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENXIO' || Date.now() > until) throw new Error(`vcd2fst did not open ${fifo}: ${(e as Error).message}`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
  }
}

/**
 * A waveform written under a temporary name in the target's folder and renamed over the target
 * only when the run has produced it: a run refused before its first sample (unknown scope,
 * clashing names) never creates, truncates or replaces the file. Nothing is opened until the
 * first write. For FST the VCD text streams through a FIFO into GTKWave's `vcd2fst`, so neither
 * a VCD file nor the whole trace is ever held.
 */
export class PendingWaveform implements VcdSink {
  private readonly temp: string;
  private fd: number | null = null;
  private fifo: string | null = null;
  private converter: ChildProcess | null = null;
  private converterDone: Promise<string | null> | null = null;
  private chunks: string[] = [];
  private size = 0;
  private closed = false;

  constructor(
    readonly path: string,
    readonly format: WaveFormat = 'vcd',
    private readonly flushAt = 1 << 16,
  ) {
    this.temp = join(dirname(path), `.${basename(path)}.${process.pid}.partial`);
  }

  /** Whether anything was written (the run got as far as its header). */
  get started(): boolean {
    return this.fd !== null;
  }

  private open(): void {
    if (this.format === 'vcd') {
      this.fd = openSync(this.temp, 'w');
      return;
    }
    const tool = findVcd2fst();
    if (!tool) throw new Error('FST needs GTKWave\'s vcd2fst, which is not installed (apt-get install gtkwave); write a VCD instead');
    this.fifo = `${this.temp}.fifo`;
    rmSync(this.fifo, { force: true });
    const made = spawnSync('mkfifo', [this.fifo]);
    if (made.status !== 0) throw new Error(`cannot create a FIFO for vcd2fst at ${this.fifo}`);
    const errors: string[] = [];
    const child = spawn(tool, [this.fifo, this.temp], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr!.on('data', (d: Buffer) => errors.push(d.toString()));
    this.converter = child;
    this.converterDone = new Promise((resolve) => {
      child.on('error', (e) => resolve(`vcd2fst: ${e.message}`));
      child.on('exit', (code) => resolve(code === 0 ? null : `vcd2fst exited with ${code}: ${errors.join('').trim()}`));
    });
    this.fd = openWhenRead(this.fifo);
  }

  write(text: string): void {
    if (this.fd === null) this.open();
    this.chunks.push(text);
    this.size += text.length;
    if (this.size >= this.flushAt) this.flush();
  }

  flush(): void {
    if (this.chunks.length === 0 || this.fd === null) return;
    const data = Buffer.from(this.chunks.join(''));
    this.chunks = [];
    this.size = 0;
    for (let off = 0; off < data.length; ) off += writeSync(this.fd, data, off);
  }

  close(): void {
    if (this.closed || this.fd === null) return;
    this.closed = true;
    this.flush();
    closeSync(this.fd);
  }

  /** Put the finished waveform in place (false when nothing was written: the target is untouched). */
  async commit(): Promise<boolean> {
    this.close();
    if (!this.started) return false;
    if (this.converterDone) {
      const failure = await this.converterDone;
      rmSync(this.fifo!, { force: true });
      if (failure) {
        rmSync(this.temp, { force: true });
        throw new Error(failure);
      }
    }
    renameSync(this.temp, this.path);
    return true;
  }

  /** Drop whatever was written; the target stays as it was. */
  async discard(): Promise<void> {
    this.close();
    if (this.converterDone) await this.converterDone;
    for (const p of [this.temp, this.fifo]) if (p && existsSync(p)) rmSync(p, { force: true });
  }
}
