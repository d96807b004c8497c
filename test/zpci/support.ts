import { Simulator } from '../../rtl/hdl/index.ts';
import { ZpciVm } from '../../rtl/zpci/zpci-vm.ts';
import type { FunctionConfig } from '../../rtl/zpci/function-config.ts';
import type { ScratchDeviceOptions } from '../../rtl/zpci/scratch-device.ts';
import { DEFAULT_TIMING, type ZpciTiming } from '../../rtl/timing.ts';
import { GuestMemory } from '../../models/host/guest-memory.ts';
import { Cpu, ProgramException, type InstructionResult } from '../../models/host/cpu.ts';

export interface Rig {
  sim: Simulator;
  vm: ZpciVm;
  cpu: Cpu;
  mem: GuestMemory;
  dev: NonNullable<ZpciVm['dev']>;
}

/** One VM with a scratch device; `body` runs as a testbench process and the sim runs to its end. */
export async function withRig(
  config: FunctionConfig,
  body: (rig: Rig) => Promise<void>,
  opts: { timing?: Partial<ZpciTiming>; scratch?: Omit<ScratchDeviceOptions, 'barSizes' | 'configSize'>; memSize?: number } = {},
): Promise<Rig> {
  const sim = new Simulator();
  const mem = new GuestMemory(opts.memSize ?? 1 << 16);
  const vm = new ZpciVm(sim, {
    config,
    memory: mem,
    timing: { ...DEFAULT_TIMING.zpci, ...opts.timing },
    scratch: opts.scratch ?? {},
  });
  const cpu = new Cpu(sim, vm.cpuPort, 100_000);
  const rig: Rig = { sim, vm, cpu, mem, dev: vm.dev! };
  sim.process('test', () => body(rig));
  try {
    await sim.run({ maxCycles: 50_000_000 });
  } finally {
    sim.dispose();
  }
  return rig;
}

/** An instruction's outcome as a plain value: {cc,status,data} or {pic}. */
export type Outcome = { cc: number; status: number; data: bigint } | { pic: number };

export async function outcome(p: Promise<InstructionResult>): Promise<Outcome> {
  try {
    const r = await p;
    return { cc: r.cc, status: r.status, data: r.data };
  } catch (e) {
    if (e instanceof ProgramException) return { pic: e.code };
    throw e;
  }
}
