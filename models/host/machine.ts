/**
 * A machine of N VMs sharing one ISM network: per VM guest storage, the CPU bus-functional model
 * and the zPCI helpers, over the hardware from rtl/system.ts. `IsmVmMachine.command` and `move`
 * issue the instruction sequences of the Linux ISM driver (`ism_cmd`, `ism_move` in
 * drivers/s390/net/ism_drv.c and ism.h), so every access is a real PCISTB/PCILG on the waveform.
 */
import type { Simulator } from '../../rtl/hdl/simulator.ts';
import { elaborateIsmSystem, type IsmSystem, type IsmSystemVm } from '../../rtl/system.ts';
import type { TimingConfig } from '../../rtl/timing.ts';
import type { IsmAdapterConfig } from '../../rtl/ism/adapter.ts';
import { COMMAND_BY_NAME, decodeHeader, encodeRequest, moveOffset, readFields, type FieldValues, type IsmCmdName } from '../../rtl/ism/commands.ts';
import { bigEndianToBytes } from '../../rtl/bytes.ts';
import { createRequest, ZpciInstructions } from '../linux/zpci.ts';
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
}

/** Guest page the command helper builds requests in (the driver's `ism_cmd` buffer). */
export const CMD_BUFFER = 0x8000;

export interface MachineCommandResult {
  /** Response `ret`; 0xFFFF if the header load failed (the driver's sentinel). */
  readonly ret: number;
  readonly fields: FieldValues;
  /** Negative errno of a failed instruction, else 0. */
  readonly rc: number;
}

/** Kernel page allocations start here; the low MiB holds fixed buffers such as CMD_BUFFER. */
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
  ) {
    this.cpu = new Cpu(sim, vm.hw.cpuPort);
    this.insn = new ZpciInstructions(sim, this.cpu);
    this.pages = new PageAllocator(KERNEL_HEAP_BASE, memory.size);
    this.zdev = new ZpciDev(vm.hw.pfu, this.insn, memory, this.pages, vm.ism.msi);
  }

  get fh(): number {
    return this.vm.hw.pfu.currentFh;
  }

  /** ism_cmd: body PCISTB at +8, header PCISTB at +0, response header and body by 8-byte PCILGs. */
  async command(name: IsmCmdName, values: Partial<Record<string, bigint | number>> = {}): Promise<MachineCommandResult> {
    const spec = COMMAND_BY_NAME.get(name)!;
    const req = encodeRequest(name, values);
    this.memory.write(CMD_BUFFER, req);
    if (req.length > 8) {
      const rc = await this.insn.storeBlock(CMD_BUFFER + 8, createRequest(this.fh, 2, req.length - 8), 8n);
      if (rc) return { ret: 0xffff, fields: {}, rc };
    }
    const rc = await this.insn.storeBlock(CMD_BUFFER, createRequest(this.fh, 2, 8), 0n);
    if (rc) return { ret: 0xffff, fields: {}, rc };
    const h = await this.insn.load(createRequest(this.fh, 2, 8), 0n);
    if (h.rc) return { ret: 0xffff, fields: {}, rc: h.rc };
    const hdr = decodeHeader(bigEndianToBytes(h.data, 8));
    if (hdr.middle !== 0) return { ret: hdr.middle, fields: {}, rc: 0 };
    const resp = new Uint8Array(hdr.len);
    resp.set(bigEndianToBytes(h.data, 8), 0);
    for (let off = 8; off < hdr.len; off += 8) {
      const r = await this.insn.load(createRequest(this.fh, 2, 8), BigInt(off));
      resp.set(bigEndianToBytes(r.data, 8), off);
    }
    return { ret: 0, fields: readFields(resp, spec.response), rc: 0 };
  }

  /**
   * ism_move: `len` bytes from guest storage at `source` into the DMB `token` at `offset`, in
   * PCISTBs split at 4 KiB boundaries of the target offset, sf on the last. Returns 0 or -EIO.
   * `onChunk` sees each chunk's instruction cycle count.
   */
  async move(token: bigint, idx: number, sf: boolean, offset: number, source: number, len: number, onChunk?: (cycles: number, n: number) => void): Promise<number> {
    let done = 0;
    while (done < len) {
      const o = offset + done;
      const n = Math.min(4096 - (o % 4096), len - done);
      const last = done + n === len;
      const rc = await this.insn.storeBlock(source + done, createRequest(this.fh, 0, n), moveOffset(token, idx, sf && last, o));
      if (rc) return rc;
      onChunk?.(this.cpu.lastCycles, n);
      done += n;
    }
    return 0;
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
    this.system = elaborateIsmSystem(sim, { memories, timing: options.timing, ism: options.ism, networkId: options.networkId });
    this.vms = this.system.vms.map((vm, i) => new IsmVmMachine(sim, memories[i], vm));
  }
}
