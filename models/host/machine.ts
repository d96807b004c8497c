/**
 * A machine of N VMs sharing one ISM network: per VM guest storage, the CPU bus-functional model,
 * the zPCI helpers and the kernel's view of the ISM function (`zdev`), over the hardware from
 * rtl/system.ts. Drivers bind to `zdev`: models/ism's IsmDriver over KernelIsmAccess (in-kernel)
 * or over vfio (user space), so every access is a real PCISTB/PCILG on the waveform.
 */
import type { Simulator } from '../../rtl/hdl/simulator.ts';
import { elaborateIsmSystem, type IsmSystem, type IsmSystemVm } from '../../rtl/system.ts';
import { DEFAULT_TIMING, type TimingConfig } from '../../rtl/timing.ts';
import type { IsmAdapterConfig } from '../../rtl/ism/adapter.ts';
import { ZpciInstructions } from '../linux/zpci.ts';
import { ZpciDev } from '../linux/zpci-dev.ts';
import { Cpu } from './cpu.ts';
import { GuestMemory } from './guest-memory.ts';
import { PageAllocator } from './page-allocator.ts';

export interface IsmMachineOptions {
  readonly vms: number;
  /** Guest storage per VM (default 64 MiB). */
  readonly memorySize?: number;
  readonly timing?: TimingConfig;
  readonly ism?: Partial<IsmAdapterConfig>;
  readonly networkId?: number;
  /** Maximum PCISTB length of the ISM functions (default 4096). */
  readonly maxstbl?: number;
}

/** Kernel page allocations start here; the low MiB stays free for tests' fixed buffers. */
export const KERNEL_HEAP_BASE = 1 << 20;

export class IsmVmMachine {
  readonly cpu: Cpu;
  readonly insn: ZpciInstructions;
  /** The kernel's page allocator over this VM's storage (DMA buffers, bounce buffers). */
  readonly pages: PageAllocator;
  /** The kernel's view of the VM's ISM function, with its MSI line: what drivers bind to. */
  readonly zdev: ZpciDev;
  constructor(
    readonly sim: Simulator,
    readonly memory: GuestMemory,
    readonly vm: IsmSystemVm,
    busyRetryDelay = DEFAULT_TIMING.zpci.busyRetryDelay,
  ) {
    this.cpu = new Cpu(sim, vm.hw.cpuPort);
    this.insn = new ZpciInstructions(sim, this.cpu, busyRetryDelay);
    this.pages = new PageAllocator(KERNEL_HEAP_BASE, memory.size);
    this.zdev = new ZpciDev(vm.hw.pfu, this.insn, memory, this.pages, vm.ism.msi);
  }

  get fh(): number {
    return this.vm.hw.pfu.currentFh;
  }
}

export class IsmMachine {
  readonly system: IsmSystem;
  readonly vms: IsmVmMachine[];

  constructor(
    readonly sim: Simulator,
    options: IsmMachineOptions,
  ) {
    const memories = Array.from({ length: options.vms }, () => new GuestMemory(options.memorySize ?? 64 << 20));
    this.system = elaborateIsmSystem(sim, { memories, timing: options.timing, ism: options.ism, networkId: options.networkId, maxstbl: options.maxstbl });
    this.vms = this.system.vms.map((vm, i) => new IsmVmMachine(sim, memories[i], vm, (options.timing ?? DEFAULT_TIMING).zpci.busyRetryDelay));
  }
}
