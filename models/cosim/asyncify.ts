import { CosimOops } from './oops.ts';

/** What binaryen's asyncify pass adds to a module's exports. */
export interface AsyncifyExports {
  asyncify_start_unwind(data: number): void;
  asyncify_stop_unwind(): void;
  asyncify_start_rewind(data: number): void;
  asyncify_stop_rewind(): void;
  asyncify_get_state(): number;
}

const UNWINDING = 1;
const REWINDING = 2;

type ImportResult = number | bigint | void;

/**
 * Runs calls into an asyncified module so that an import may return a Promise: the C stack
 * unwinds into a save area, the simulation runs until the promise settles, and the call is
 * re-entered and rewound to the import, which then returns the settled value. Everything stays
 * on one thread, in promise order: runs are deterministic.
 *
 * Blocking calls are serialised (the save area and the C stack hold one suspended call); a
 * non-blocking call may run while one is suspended (it uses stack below the suspended frames).
 */
export class AsyncifyRunner {
  private exports!: AsyncifyExports;
  private pending: Promise<ImportResult> | null = null;
  private resumeValue: ImportResult = undefined;
  private blockingAllowed = false;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly memory: () => WebAssembly.Memory,
    /** Save area: [data, data + size) of the module's memory. */
    private readonly data: () => number,
    private readonly size: number,
  ) {}

  attach(exports: AsyncifyExports): void {
    this.exports = exports;
  }

  /**
   * An import that may return a Promise: the caller's C stack is suspended until it settles.
   * `returnsI64`: the C function returns a 64-bit value (JS must hand back a BigInt).
   */
  blocking<A extends unknown[]>(name: string, fn: (...args: A) => number | void | Promise<number | void>, returnsI64 = false): (...args: A) => ImportResult {
    const wasmValue = (v: number | void): ImportResult => (returnsI64 ? BigInt(v ?? 0) : v);
    return (...args: A): ImportResult => {
      if (this.exports.asyncify_get_state() === REWINDING) {
        this.exports.asyncify_stop_rewind();
        const value = this.resumeValue;
        this.resumeValue = undefined;
        return value;
      }
      const r = fn(...args);
      if (!(r instanceof Promise)) return wasmValue(r);
      if (!this.blockingAllowed) throw new CosimOops(`BUG: sleeping function called from invalid context: ${name} blocks in a path the simulation calls synchronously`);
      this.pending = r.then(wasmValue);
      const view = new DataView(this.memory().buffer);
      const data = this.data();
      view.setUint32(data, data + 8, true);
      view.setUint32(data + 4, data + this.size, true);
      this.exports.asyncify_start_unwind(data);
      return returnsI64 ? 0n : 0;
    };
  }

  /** A call that must not block (probe, open, region info). */
  callSync<T>(call: () => T): T {
    const previous = this.blockingAllowed;
    this.blockingAllowed = false;
    try {
      return call();
    } finally {
      this.blockingAllowed = previous;
    }
  }

  /** A call that may block; queued behind any other blocking call. */
  call<T>(call: () => T): Promise<T> {
    const run = this.queue.then(() => this.runBlocking(call));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async runBlocking<T>(call: () => T): Promise<T> {
    this.blockingAllowed = true;
    try {
      let result = call();
      while (this.exports.asyncify_get_state() === UNWINDING) {
        this.exports.asyncify_stop_unwind();
        const pending = this.pending!;
        this.pending = null;
        this.blockingAllowed = false;
        this.resumeValue = await pending;
        this.blockingAllowed = true;
        this.exports.asyncify_start_rewind(this.data());
        result = call();
      }
      return result;
    } finally {
      this.blockingAllowed = false;
    }
  }
}
