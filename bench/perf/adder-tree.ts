import { Component, type Signal, type Simulator } from '../../rtl/hdl/index.ts';

export const REGISTERS = 64;
const MASK = 0xffff;

/** Register i's next value: a cheap per-register update that keeps every register changing. */
export function nextRegister(i: number, value: number): number {
  return (value + i + 1) & MASK;
}

/** One adder's body; built by a function so it reads parameters, not loop-scoped constants (each read of those is checked for use before initialisation). */
function adder(a: Signal<number>, b: Signal<number>, sum: Signal<number>): () => void {
  return () => sum.set(a.value + b.value);
}

/**
 * The benchmark design: 64 16-bit registers that change every cycle, summed by a binary tree
 * of 63 combinational adders (6 levels, so each cycle settles through 6 delta cycles).
 */
export class AdderTree extends Component {
  readonly registers: Signal<number>[] = [];
  readonly sum: Signal<number>;

  constructor(sim: Simulator) {
    super(sim, 'tree');
    for (let i = 0; i < REGISTERS; i++) this.registers.push(this.reg(`r${i}`, 16, i));
    let level: Signal<number>[] = this.registers;
    let depth = 0;
    while (level.length > 1) {
      const next: Signal<number>[] = [];
      for (let j = 0; j < level.length; j += 2) {
        const a = level[j];
        const b = level[j + 1];
        const width = 16 + depth + 1;
        const s = this.wire(`sum_l${depth}_${j / 2}`, width);
        this.comb(`add_l${depth}_${j / 2}`, [a, b], adder(a, b, s));
        next.push(s);
      }
      level = next;
      depth++;
    }
    this.sum = level[0];
    const regs = this.registers;
    this.seq('update', () => {
      for (let i = 0; i < regs.length; i++) regs[i].set(nextRegister(i, regs[i].value));
    });
  }
}

/** The same design's behaviour as a plain TypeScript loop: the yardstick for kernel overhead. */
export function plainAdderTree(cycles: number): number {
  const regs = new Uint32Array(REGISTERS);
  for (let i = 0; i < REGISTERS; i++) regs[i] = i;
  const tree = new Float64Array(REGISTERS);
  let sum = 0;
  for (let c = 0; c < cycles; c++) {
    for (let i = 0; i < REGISTERS; i++) regs[i] = nextRegister(i, regs[i]);
    for (let i = 0; i < REGISTERS; i++) tree[i] = regs[i];
    for (let n = REGISTERS; n > 1; n >>= 1) for (let j = 0; j < n; j += 2) tree[j >> 1] = tree[j] + tree[j + 1];
    sum = tree[0];
  }
  return sum;
}
