import type { Simulator } from '../../rtl/hdl/simulator.ts';
import { ismFunctionConfig, type FunctionConfig } from '../../rtl/zpci/function-config.ts';
import type { ScratchDeviceOptions } from '../../rtl/zpci/scratch-device.ts';
import { ZpciVm } from '../../rtl/zpci/zpci-vm.ts';
import { ZpciDev } from '../linux/zpci-dev.ts';
import { ZpciInstructions } from '../linux/zpci.ts';
import { Cpu } from './cpu.ts';
import { GuestMemory } from './guest-memory.ts';
import { PageAllocator } from './page-allocator.ts';

export interface ScratchMachineOptions {
  readonly name?: string;
  /** Function parameters; default an ISM-like function (relaxed PCISTB, maxstbl 4096, BAR 0 2^48, BAR 2 8 KiB). */
  readonly config?: Partial<FunctionConfig>;
  readonly scratch?: Omit<ScratchDeviceOptions, 'barSizes' | 'configSize'>;
  /** Guest storage in bytes (default 64 MiB). */
  readonly memorySize?: number;
}

/**
 * One VM whose zPCI function is a RAM-backed ScratchDevice, with the kernel context the
 * firmware needs: storage, a page allocator over it, the CPU and the zPCI helpers. Used to test
 * the vfio-ism driver against a device whose contents a test can predict.
 */
export class ScratchMachine {
  readonly memory: GuestMemory;
  readonly pages: PageAllocator;
  readonly hw: ZpciVm;
  readonly cpu: Cpu;
  readonly insn: ZpciInstructions;
  readonly zdev: ZpciDev;

  constructor(
    readonly sim: Simulator,
    options: ScratchMachineOptions = {},
  ) {
    const size = options.memorySize ?? 64 << 20;
    this.memory = new GuestMemory(size);
    // The first MiB stays unused (low core); the kernel allocates from there on.
    this.pages = new PageAllocator(1 << 20, size);
    const config = ismFunctionConfig({ barSizes: [1n << 48n, 0n, 1n << 13n, 0n, 0n, 0n], ...options.config });
    this.hw = new ZpciVm(sim, { name: options.name ?? 'vm0', config, memory: this.memory, scratch: options.scratch ?? {} });
    this.cpu = new Cpu(sim, this.hw.cpuPort);
    this.insn = new ZpciInstructions(sim, this.cpu);
    this.zdev = new ZpciDev(this.hw.pfu, this.insn, this.memory, this.pages);
  }
}
