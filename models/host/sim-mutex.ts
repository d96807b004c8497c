import type { Simulator } from '../../rtl/hdl/simulator.ts';

/**
 * Mutual exclusion between testbench processes, first come first served. A process must not
 * await a promise that only another process can resolve (the kernel resumes one process at a
 * time and waits for it to park), so waiting goes through `sim.until`: a waiter takes a ticket
 * and is resumed, at a cycle boundary, when its turn comes.
 */
export class SimMutex {
  private nextTicket = 0;
  private serving = 0;
  private held = false;

  constructor(
    private readonly sim: Simulator,
    readonly name: string,
  ) {}

  get locked(): boolean {
    return this.held;
  }

  /** Waits for the lock; call the returned function to release it. */
  async lock(): Promise<() => void> {
    const ticket = this.nextTicket++;
    await this.sim.until(() => !this.held && this.serving === ticket, { what: `lock ${this.name} (ticket ${ticket})` });
    this.held = true;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.held = false;
      this.serving++;
    };
  }

  /** Run `body` holding the lock. */
  async with<T>(body: () => Promise<T>): Promise<T> {
    const unlock = await this.lock();
    try {
      return await body();
    } finally {
      unlock();
    }
  }
}
