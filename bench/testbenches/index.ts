import type { Testbench } from '../harness.ts';
import { kernelDemo } from './kernel-demo.ts';
import { pcilg } from './pcilg.ts';
import { pcistg } from './pcistg.ts';
import { pcistb } from './pcistb.ts';
import { zpciMixed } from './zpci-mixed.ts';
import { ismTwoVm } from './ism-two-vm.ts';
import { consoleBench } from './console.ts';
import { blockdevBench } from './blockdev.ts';
import { probe } from './probe.ts';
import { daemonBench } from './daemon.ts';
import { vfioDmbWrite } from './vfio-dmb-write.ts';
import { smcdBench } from './smcd.ts';

/** Every runnable testbench, by name. Add one line per bench. */
export const TESTBENCHES: readonly Testbench[] = [
  kernelDemo,
  pcilg,
  pcistg,
  pcistb,
  zpciMixed,
  ismTwoVm,
  consoleBench,
  blockdevBench,
  daemonBench,
  probe,
  vfioDmbWrite,
  smcdBench,
];

/** The bench `ism-sim run` runs when none is named. */
export const DEFAULT_BENCH = 'probe';

export function findBench(name: string): Testbench | undefined {
  return TESTBENCHES.find((b) => b.name === name);
}
