/** A combinational network that kept changing past the delta-cycle bound (Verilator's DIDNOTCONVERGE). */
export class CombinationalLoopError extends Error {
  constructor(readonly cycle: number, readonly signalNames: string[], readonly deltas: number) {
    super(
      `combinational logic did not settle after ${deltas} delta cycles in cycle ${cycle}; ` +
        `still changing: ${signalNames.join(', ')}`,
    );
    this.name = 'CombinationalLoopError';
  }
}

/** An assertion inside the hardware model failed; the simulation stops. */
export class SimAssertionError extends Error {
  constructor(
    readonly cycle: number,
    readonly where: string,
    readonly detail: string,
    readonly signals: Record<string, string>,
  ) {
    const values = Object.entries(signals)
      .map(([n, v]) => `${n}=${v}`)
      .join(' ');
    super(`assertion failed in ${where} at cycle ${cycle}: ${detail}${values ? ` [${values}]` : ''}`);
    this.name = 'SimAssertionError';
  }
}

/** A testbench wait ran out of cycles. */
export class SimTimeoutError extends Error {
  constructor(readonly cycle: number, readonly waiting: string) {
    super(`timeout at cycle ${cycle}: ${waiting}`);
    this.name = 'SimTimeoutError';
  }
}

/** A testbench process threw; wraps the cause with the process name and cycle. */
export class ProcessError extends Error {
  constructor(readonly processName: string, readonly cycle: number, override readonly cause: unknown) {
    super(`process ${processName} failed at cycle ${cycle}: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'ProcessError';
  }
}
