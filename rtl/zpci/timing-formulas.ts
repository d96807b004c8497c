import type { ZpciTiming } from '../timing.ts';

/**
 * Cycle-count formulas of the zPCI instructions, as documented in rtl/TIMING.md § zPCI.
 * Used ONLY by tests, benches and docs to compare against measured cycles: the RTL never
 * computes its timing from these.
 *
 * An instruction's cycle count runs from the cycle the CPU raises `req_valid` (t0) to the cycle
 * `rsp_valid` is high. Device latencies are the device's (e.g. ScratchDevice options): a
 * latency L means the device's answer is visible L cycles after the cycle it first saw the
 * request.
 */

/**
 * The fixed (non-configurable) cycles: one register stage each. See the timelines in
 * rtl/TIMING.md § zPCI for where each sits.
 */
export const STAGES = {
  /** The edge that accepts the request (req_valid & req_ready); the checks start after it. */
  issue: 1,
  /** Function unit: the device's answer (acc_done / sbe cpl_valid) → rsp_valid. */
  respond: 1,
  /** Store-block engine: start → blk_valid. */
  header: 1,
  /** Store-block engine: blk_accept → storage fetch request (mem.req_valid). */
  fetchRequest: 1,
  /**
   * Store-block engine: the last fetched doubleword → first beat, and the engine's completion
   * → function unit. Together they equal the two cycles by which the fetch and done latencies
   * already include the cycle of their own trigger, so they add 0 net; listed for the timeline.
   */
  beatRegisterAndCompletionNet: 0,
} as const;

/** Outcome decided by the checks alone (cc 3, cc 1 st 12/20, program exception, config offset past the end). */
export function checkOnlyCycles(t: ZpciTiming): number {
  return STAGES.issue + t.checkCycles;
}

/** PCILG or PCISTG that reaches the device: issue + checks + device latency + respond. Also the cc 2 / cc 1 device answers. */
export function singleAccessCycles(t: ZpciTiming, deviceLatency: number): number {
  return STAGES.issue + t.checkCycles + deviceLatency + STAGES.respond;
}

export interface BlockTimingInput {
  /** Block length in bytes. */
  readonly n: number;
  /** PCI offset (only offset mod 8 matters). */
  readonly offset: bigint | number;
  /** Source guest address (only gaddr mod 8 matters). */
  readonly gaddr: bigint | number;
  /** Device cycles from the header to blk_accept. */
  readonly headerLatency: number;
  /** Device cycles from the last beat to done_valid. */
  readonly doneLatency: number;
  /** Cycles with beat_valid high and beat_ready low (back-pressure). */
  readonly stalls: number;
}

/** Source doublewords fetched: ceil((gaddr mod 8 + n) / 8). */
export function fetchDoublewords(n: number, gaddr: bigint | number): number {
  return Math.ceil((Number(BigInt(gaddr) & 7n) + n) / 8);
}

/** Beats streamed: ceil((offset mod 8 + n) / 8). */
export function beatCount(n: number, offset: bigint | number): number {
  return Math.ceil((Number(BigInt(offset) & 7n) + n) / 8);
}

/**
 * PCISTB of n bytes that the device accepts:
 * issue + checks + header + headerLatency + fetchRequest + memoryLatency + fetch + beats + stalls
 *   + doneLatency + respond
 * = 4 + checkCycles + headerLatency + memoryLatency + ceil((g%8+n)/8) + ceil((o%8+n)/8) + stalls + doneLatency.
 */
export function pcistbCycles(t: ZpciTiming, b: BlockTimingInput): number {
  return (
    STAGES.issue +
    t.checkCycles +
    STAGES.header +
    b.headerLatency +
    STAGES.fetchRequest +
    t.memoryLatency +
    fetchDoublewords(b.n, b.gaddr) +
    STAGES.beatRegisterAndCompletionNet +
    beatCount(b.n, b.offset) +
    b.stalls +
    b.doneLatency +
    STAGES.respond
  );
}

/** PCISTB whose header the device answers BUSY (cc 2) or ERROR (cc 1): nothing fetched or written. */
export function pcistbRefusedCycles(t: ZpciTiming, headerLatency: number): number {
  // The engine's cpl_valid takes the slot of the fetch request; then the unit responds.
  return STAGES.issue + t.checkCycles + STAGES.header + headerLatency + STAGES.fetchRequest + STAGES.respond;
}

/**
 * Back-pressure stalls for a ready pattern (ScratchDevice readyPattern): beat_ready in the i-th
 * cycle of the beat phase is pattern[i % length]; a beat moves in each ready cycle.
 */
export function stallsForPattern(pattern: readonly boolean[], beats: number): number {
  let moved = 0;
  let stalls = 0;
  for (let i = 0; moved < beats; i++) {
    if (pattern[i % pattern.length]) moved++;
    else stalls++;
  }
  return stalls;
}
