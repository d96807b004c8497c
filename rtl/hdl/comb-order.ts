import { CombinationalLoopError } from './errors.ts';
import type { CombProcess } from './registry.ts';
import type { Signal, SignalValue } from './signal.ts';

function successors(p: CombProcess): CombProcess[] {
  const out: CombProcess[] = [];
  for (const s of p.outputs) for (const r of s.readers) out.push(r as CombProcess);
  return out;
}

/**
 * Orders combinational processes so that each runs after every process whose outputs it
 * reads (Kahn's algorithm, ties in registration order), grouped by level (`rank`). A cycle is
 * refused as a CombinationalLoopError naming exactly the signals and processes on it.
 */
export function orderCombinational(combs: readonly CombProcess[], cycle: number): CombProcess[] {
  const indegree = new Map<CombProcess, number>();
  for (const p of combs) indegree.set(p, 0);
  for (const p of combs) for (const q of successors(p)) indegree.set(q, indegree.get(q)! + 1);
  const order: CombProcess[] = combs.filter((p) => indegree.get(p) === 0);
  for (let i = 0; i < order.length; i++) {
    for (const q of successors(order[i])) {
      const d = indegree.get(q)! - 1;
      indegree.set(q, d);
      if (d === 0) order.push(q);
    }
  }
  if (order.length < combs.length) throw loopError(combs.filter((p) => indegree.get(p)! > 0), cycle);
  // Level: one more than the deepest process it reads from. Processes of one level read none of
  // each other's outputs, so a level runs as a batch and commits once.
  for (const p of order) p.rank = 0;
  for (const p of order) for (const q of successors(p)) if (q.rank < p.rank + 1) q.rank = p.rank + 1;
  return order.map((p, i) => ({ p, i })).sort((a, b) => a.p.rank - b.p.rank || a.i - b.i).map((e) => e.p);
}

/** The first strongly connected component with a cycle among `left` (Tarjan), as an error. */
function loopError(left: CombProcess[], cycle: number): CombinationalLoopError {
  const inLeft = new Set(left);
  const index = new Map<CombProcess, number>();
  const low = new Map<CombProcess, number>();
  const stack: CombProcess[] = [];
  const onStack = new Set<CombProcess>();
  let counter = 0;
  let found: CombProcess[] | null = null;
  const visit = (p: CombProcess): void => {
    index.set(p, counter);
    low.set(p, counter++);
    stack.push(p);
    onStack.add(p);
    for (const q of successors(p)) {
      if (!inLeft.has(q)) continue;
      if (!index.has(q)) {
        visit(q);
        low.set(p, Math.min(low.get(p)!, low.get(q)!));
      } else if (onStack.has(q)) low.set(p, Math.min(low.get(p)!, index.get(q)!));
    }
    if (low.get(p) !== index.get(p)) return;
    const scc: CombProcess[] = [];
    let q: CombProcess;
    do {
      q = stack.pop()!;
      onStack.delete(q);
      scc.push(q);
    } while (q !== p);
    const cyclic = scc.length > 1 || successors(p).includes(p);
    if (cyclic && found === null) found = scc;
  };
  for (const p of left) if (!index.has(p) && found === null) visit(p);
  const members = new Set(found ?? left);
  const signals = new Set<Signal<SignalValue>>();
  for (const p of members) for (const s of p.outputs) if ((s.readers as CombProcess[]).some((r) => members.has(r))) signals.add(s);
  return new CombinationalLoopError(
    cycle,
    [...signals].map((s) => s.name).sort(),
    [...members].map((p) => p.name).sort(),
  );
}
