import { Component } from '../hdl/component.ts';
import type { Simulator } from '../hdl/simulator.ts';
import type { HostMemory } from '../host-memory.ts';
import { DEFAULT_TIMING, type ZpciTiming } from '../timing.ts';
import { CpuPort } from './cpu-port.ts';
import { DevicePort } from './device-port.ts';
import { DevicePortChecker } from './device-port-checker.ts';
import type { FunctionConfig } from './function-config.ts';
import { PciFunctionUnit } from './pci-function-unit.ts';
import { ScratchDevice, type ScratchDeviceOptions } from './scratch-device.ts';
import { StoreBlockEngine } from './store-block-engine.ts';

export interface ZpciVmOptions {
  readonly name?: string;
  readonly config: FunctionConfig;
  readonly memory: HostMemory;
  readonly timing?: ZpciTiming;
  /** Attach a ScratchDevice with these options (omit to connect another device to `devPort`). */
  readonly scratch?: Omit<ScratchDeviceOptions, 'barSizes' | 'configSize'>;
}

/**
 * One VM's zPCI hardware: `<vm>.cpu_port` → `<vm>.pfu` (checks) → `<vm>.dev_port` ←
 * `<vm>.sbe` (store-block engine, with `<vm>.sbe.mem` fetching from guest storage), and
 * optionally a `<vm>.dev` ScratchDevice on the device port.
 */
export class ZpciVm extends Component {
  readonly cpuPort: CpuPort;
  readonly devPort: DevicePort;
  /** Protocol assertions on the device port, always on. */
  readonly devPortChecker: DevicePortChecker;
  readonly sbe: StoreBlockEngine;
  readonly pfu: PciFunctionUnit;
  readonly dev?: ScratchDevice;

  constructor(sim: Simulator, opts: ZpciVmOptions) {
    super(sim, opts.name ?? 'vm0');
    const timing = opts.timing ?? DEFAULT_TIMING.zpci;
    this.cpuPort = new CpuPort(sim, 'cpu_port', this);
    this.devPort = new DevicePort(sim, 'dev_port', this);
    this.devPortChecker = new DevicePortChecker(sim, 'dev_port_chk', this, this.devPort);
    this.sbe = new StoreBlockEngine(sim, 'sbe', this, { device: this.devPort, memory: opts.memory, maxstbl: opts.config.maxstbl, timing });
    this.pfu = new PciFunctionUnit(sim, 'pfu', this, {
      config: opts.config,
      cpu: this.cpuPort,
      device: this.devPort,
      sbe: this.sbe,
      memory: opts.memory,
      timing,
    });
    if (opts.scratch) {
      this.dev = new ScratchDevice(sim, 'dev', this, this.devPort, {
        ...opts.scratch,
        barSizes: opts.config.barSizes,
        configSize: opts.config.configSize,
      });
    }
  }
}
