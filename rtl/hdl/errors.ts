/** Thrown when a value cannot be represented in a signal's width. */
export class SignalRangeError extends RangeError {
  constructor(readonly signalName: string, readonly width: number, readonly attempted: number | bigint) {
    super(`signal ${signalName} (width ${width}) cannot hold ${attempted}`);
    this.name = 'SignalRangeError';
  }
}

/** Two writers for one signal: two hardware processes, hardware and a testbench, or two testbench writers in one cycle. */
export class MultipleDriverError extends Error {
  constructor(
    readonly signalName: string,
    readonly firstDriver: string,
    readonly secondDriver: string,
    hint = '',
  ) {
    super(`signal ${signalName} is driven by more than one process: ${firstDriver} and ${secondDriver}${hint ? `; ${hint}` : ''}`);
    this.name = 'MultipleDriverError';
  }
}

/** A write in a phase that may only read (observers, tracers), or a testbench-only call from hardware. */
export class PhaseError extends Error {
  constructor(readonly signalName: string, readonly phase: string, readonly operation: string) {
    super(`${operation} of signal ${signalName} refused in the ${phase} phase: ${phase === 'observer' ? 'observers may only read' : 'only a testbench may do this'}`);
    this.name = 'PhaseError';
  }
}

/** A read of another driver's write before it has settled. */
export class UnsettledReadError extends Error {
  constructor(readonly signalName: string, readonly reader: string, readonly driver: string) {
    super(`${reader} read back signal ${signalName} before it settled; only its driver (${driver}) may (others read .value)`);
    this.name = 'UnsettledReadError';
  }
}

/** deposit() on a signal a combinational process drives would contradict its logic. */
export class DepositError extends Error {
  constructor(readonly signalName: string, readonly driver: string) {
    super(`deposit() of signal ${signalName} refused: combinational process ${driver} drives it (use force()/release())`);
    this.name = 'DepositError';
  }
}

/** Strict mode: a combinational process read a signal missing from its sensitivity list. */
export class SensitivityError extends Error {
  constructor(readonly signalName: string, readonly processName: string) {
    super(`combinational process ${processName} read ${signalName}, which is not in its sensitivity list (a latch)`);
    this.name = 'SensitivityError';
  }
}

/** A cycle in the combinational logic: exactly the signals on it and the processes that form it. */
export class CombinationalLoopError extends Error {
  constructor(readonly cycle: number, readonly signalNames: string[], readonly processNames: string[]) {
    super(`combinational loop in cycle ${cycle} through signals ${signalNames.join(', ')} (processes ${processNames.join(', ')})`);
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

/** A testbench process awaited a promise the kernel does not own (use sim.join for another process). */
export class ForeignAwaitError extends Error {
  constructor(readonly processName: string, readonly cycle: number) {
    super(
      `process ${processName} is waiting at cycle ${cycle} for a promise the simulator does not own; ` +
        'a process may only await sim.tick/until/edge/join (or code that does)',
    );
    this.name = 'ForeignAwaitError';
  }
}

/** Something that would simulate was called after dispose() (or after a failed run). */
export class SimDisposedError extends Error {
  constructor(readonly operation: string, readonly cycle: number) {
    super(`${operation} refused: the simulation was disposed at cycle ${cycle}`);
    this.name = 'SimDisposedError';
  }
}

/** Attach the waveform files to an error that ended a run, so the message says where the evidence is. */
export function nameWaveforms(error: unknown, files: readonly string[]): void {
  if (files.length === 0 || !(error instanceof Error)) return;
  (error as Error & { waveforms?: readonly string[] }).waveforms = files;
  error.message += ` (waveform: ${files.join(', ')})`;
}
