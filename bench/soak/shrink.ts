/**
 * From a failing soak to the smallest replay that still fails: keep only the faults injected
 * before the first violation, stop at the operation that saw it, then drop faults (halves, then
 * quarters, … then one at a time) while the replay still breaks the same invariant. Every step
 * is a deterministic replay, so the result reproduces exactly as printed.
 */
import { parseSchedule, type Fault } from './faults.ts';
import { runSoak, type SoakReport } from './engine.ts';
import type { SoakOptions, Violation } from './state.ts';

export interface ShrunkCase {
  readonly options: SoakOptions;
  readonly violation: Violation;
  readonly report: SoakReport;
  readonly trials: number;
}

/** The replay options for `schedule` up to `ops` operations. */
function replayOptions(base: SoakOptions, schedule: readonly Fault[], ops: number): SoakOptions {
  return { seed: base.seed, vms: base.vms, faults: base.faults, plant: base.plant, schedule, ops, stopAtViolation: true };
}

export async function shrinkFailure(base: SoakOptions, failing: SoakReport, budgetMs = 120_000): Promise<ShrunkCase | null> {
  const target = failing.violations[0];
  if (!target) return null;
  const started = performance.now();
  let trials = 0;
  const attempt = async (schedule: readonly Fault[], ops: number): Promise<SoakReport | null> => {
    trials++;
    const r = await runSoak(replayOptions(base, schedule, ops));
    return r.violations.some((v) => v.invariant === target.invariant) ? r : null;
  };
  let schedule = parseSchedule(failing.schedule, base.vms).filter((f) => f.at <= target.cycle);
  // The budget decides where the run ends, and so what the end-of-run checks see: a candidate
  // keeps the budget of the run it is compared with.
  let budget = base.ops ?? failing.stoppedAtOps;
  let best = await attempt(schedule, budget);
  if (!best) return null;
  for (let chunk = Math.ceil(schedule.length / 2); chunk >= 1 && performance.now() - started < budgetMs; chunk = chunk === 1 ? 0 : Math.ceil(chunk / 2)) {
    for (let at = 0; at < schedule.length && performance.now() - started < budgetMs; ) {
      const candidate = [...schedule.slice(0, at), ...schedule.slice(at + chunk)];
      const r = await attempt(candidate, budget);
      if (r) {
        schedule = candidate;
        best = r;
      } else at += chunk;
    }
  }
  // Stop right after the operation that saw it, if that still fails the same way.
  const seenAt = Math.max(1, best.violations.find((v) => v.invariant === target.invariant)!.ops);
  if (seenAt < budget) {
    const r = await attempt(schedule, seenAt);
    if (r) {
      best = r;
      budget = seenAt;
    }
  }
  const violation = best.violations.find((v) => v.invariant === target.invariant)!;
  return { options: replayOptions(base, schedule, budget), violation, report: best, trials };
}
