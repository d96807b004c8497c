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

/** ISM adapter and network (owned by rtl/ism). */
export interface IsmTiming {
  /** Cycles a command takes from the header doorbell to a readable response. */
  readonly commandCycles: number;
}

export const DEFAULT_TIMING: TimingConfig = {
  zpci: {
    checkCycles: 2,
    memoryLatency: 20,
    busyRetryDelay: 1000,
  },
  ism: {
    commandCycles: 40,
  },
};

/** Clock frequency used to turn wall-time constants (the 1 µs busy retry) into cycles. */
export const DEFAULT_CLOCK_PERIOD_PS = 1000; // 1 GHz
