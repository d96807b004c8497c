/**
 * Every latency of the microarchitecture, in clock cycles, in one place. The formulas that
 * combine them into an operation's cycle count are documented next to each section and in
 * rtl/TIMING.md; tests pin those formulas. Real IBM Z latencies are not public: the defaults
 * are plausible, not measured.
 */
export interface TimingConfig {
  readonly zpci: ZpciTiming;
  readonly ism: IsmTiming;
}

/** zPCI function unit, store-block engine and CPU port (owned by rtl/zpci). */
export interface ZpciTiming {
  /**
   * Cycles the function unit spends on the architectural checks after accepting an instruction
   * (the verdict is taken in the last of them). Must be >= 1. See rtl/TIMING.md § zPCI.
   */
  readonly checkCycles: number;
  /**
   * Cycles from a storage fetch request to the first doubleword (store-block engine); the
   * following doublewords arrive one per cycle. Must be >= 1.
   */
  readonly memoryLatency: number;
  /**
   * Cycles firmware waits before re-issuing an instruction answered cc 2 (busy): Linux's
   * ZPCI_INSN_BUSY_DELAY of 1 µs at the default 1 GHz clock (arch/s390/pci/pci_insn.c).
   * Used by the firmware and the benches, not by the RTL.
   */
  readonly busyRetryDelay: number;
}

/**
 * ISM adapter and network (owned by rtl/ism; formulas in rtl/TIMING.md "## ISM").
 * Cycle t0 below is the first cycle in which the unit's request (`acc_valid`/`blk_valid`) is high.
 *  - single access (PCILG/PCISTG, BAR 2 or config):  acc_done in cycle t0 + accessCycles
 *  - command doorbell: the header PCISTB's done_valid in cycle td; the command executes (state
 *    changes, response written) at cycle td + commandCycles; a PCILG completing earlier is BUSY.
 *  - move of n bytes at DMB offset o (PCISTB to BAR 0): blk_accept in t0 + moveLookupCycles;
 *    beats = ceil((o mod 8 + n) / 8), one per cycle (beat_ready stays high); done_valid in
 *    ta + beats' + moveCommitCycles where ta + beats' is the cycle after the last beat is taken.
 *    With the driver presenting a beat every cycle: done = t0 + moveLookupCycles + beats + moveCommitCycles.
 *    A 4 KiB aligned move: 6 + 512 + 8 = 526 device cycles.
 *  - signal (sf = 1) or event: SBA/IEQ written in the cycle of done_valid (command: its execute
 *    cycle); msi pulses msiLatency cycles later.
 */
export interface IsmTiming {
  /** Cycles a command takes from the header doorbell to a readable response. */
  readonly commandCycles: number;
  /** PCILG/PCISTG to BAR 2 or config space: cycles from request to acc_done (≥ 1). */
  readonly accessCycles: number;
  /** PCISTB to BAR 2: cycles from blk_valid to blk_accept (≥ 1). */
  readonly cmdAcceptCycles: number;
  /** PCISTB to BAR 2: cycles from the last beat to done_valid (≥ 0). */
  readonly cmdCommitCycles: number;
  /** PCISTB to BAR 0: token lookup and validation, blk_valid to blk_accept (≥ 1). */
  readonly moveLookupCycles: number;
  /** PCISTB to BAR 0: DMA write into the owner's memory after the last beat, to done_valid (≥ 0). */
  readonly moveCommitCycles: number;
  /** From the SBA/IEQ update to the owner's msi pulse (≥ 1). */
  readonly msiLatency: number;
}

export const DEFAULT_TIMING: TimingConfig = {
  zpci: {
    checkCycles: 2,
    memoryLatency: 20,
    busyRetryDelay: 1000,
  },
  ism: {
    commandCycles: 40,
    accessCycles: 2,
    cmdAcceptCycles: 1,
    cmdCommitCycles: 1,
    moveLookupCycles: 6,
    moveCommitCycles: 8,
    msiLatency: 4,
  },
};

/** Clock frequency used to turn wall-time constants (the 1 µs busy retry) into cycles. */
export const DEFAULT_CLOCK_PERIOD_PS = 1000; // 1 GHz
