import type { Signal } from '../../rtl/hdl/signal.ts';
import type { PciFunctionUnit } from '../../rtl/zpci/pci-function-unit.ts';
import { FunctionState } from '../../rtl/zpci/codes.ts';
import type { GuestMemory } from '../host/guest-memory.ts';
import type { PageAllocator } from '../host/page-allocator.ts';
import type { ZpciInstructions } from './zpci.ts';

/**
 * What the kernel knows about one zPCI function (struct zpci_dev and its pci_dev): the
 * identity and limits CLP reported, the current function handle, and the VM it lives in.
 */
export class ZpciDev {
  constructor(
    readonly pfu: PciFunctionUnit,
    readonly insn: ZpciInstructions,
    /** The VM's storage and the kernel's page allocator in it (DMA buffers, bounce buffers). */
    readonly memory: GuestMemory,
    readonly pages: PageAllocator,
    /** The function's MSI line, if it has one (ISM: one vector). */
    readonly msi?: Signal<number>,
  ) {}

  get fid(): number {
    return this.pfu.config.fid;
  }

  /** READ_ONCE(zdev->fh): the handle can change under the driver (reset, recovery). */
  get fh(): number {
    return this.pfu.currentFh;
  }

  get maxstbl(): number {
    return this.pfu.config.maxstbl;
  }

  get pft(): number {
    return this.pfu.config.pft;
  }

  get cfgSize(): number {
    return this.pfu.config.configSize;
  }

  /** pci_resource_len: 0 for a BAR the function does not implement. */
  barLength(bar: number): bigint {
    return this.pfu.config.barSizes[bar] ?? 0n;
  }

  /** pci_resource_start is non-zero exactly for implemented BARs. */
  barPresent(bar: number): boolean {
    return this.barLength(bar) > 0n;
  }

  get enabled(): boolean {
    return this.pfu.currentState !== FunctionState.DISABLED;
  }

  /** CLP enable if disabled (vfio_pci_core_enable → pci_enable_device). */
  enable(): void {
    if (!this.enabled) this.pfu.enable();
  }

  /**
   * The reset of zpci_hot_reset_device as one step: disable (the device gets its reset pulse
   * before the unit takes the next instruction) and enable again with a new handle.
   */
  resetFunction(): void {
    this.pfu.disable();
    this.pfu.enable();
  }

  /**
   * zpci_hot_reset_device: disable (the device drops its state) and enable again; the
   * function gets a new handle. Also recovers a function in the error state.
   */
  async hotReset(): Promise<void> {
    this.pfu.disable();
    await this.insn.sim.tick(2);
    this.pfu.enable();
    await this.insn.sim.tick();
  }
}
