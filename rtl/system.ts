/**
 * Hardware elaboration of an ISM system: N VMs on one ISM network. Per VM (scope `vmN`):
 * `cpu_port` → `pfu` (zPCI function unit, configured as ISM) → `dev_port` ← `sbe` (store-block
 * engine), and `ism` (the IsmAdapter behind `dev_port`). One `net` joins the adapters. Guest
 * storage comes in as HostMemory (the behavioural model lives in models/host).
 */
import type { Simulator } from './hdl/simulator.ts';
import type { HostMemory } from './host-memory.ts';
import { DEFAULT_TIMING, type TimingConfig } from './timing.ts';
import { ismFunctionConfig, type FunctionConfig } from './zpci/function-config.ts';
import { ZpciVm } from './zpci/zpci-vm.ts';
import { IsmAdapter, DEFAULT_ISM_CONFIG, type IsmAdapterConfig } from './ism/adapter.ts';
import { IsmNetwork } from './ism/network.ts';
import { ismFunctionAttributes, ISM_BAR0_SIZE } from './ism/config-space.ts';

export interface IsmSystemOptions {
  /** One HostMemory per VM; the VM count is its length. */
  readonly memories: readonly HostMemory[];
  readonly timing?: TimingConfig;
  readonly ism?: Partial<IsmAdapterConfig>;
  readonly networkId?: number;
  /** Maximum PCISTB length of every ISM function (CLP maxstbl; default 4096). */
  readonly maxstbl?: number;
  /** PCHID of the ISM fabric, reported in the function attributes (default 0x0100). */
  readonly pchid?: number;
}

export interface IsmSystemVm {
  readonly index: number;
  readonly hw: ZpciVm;
  readonly ism: IsmAdapter;
  readonly config: FunctionConfig;
  readonly memory: HostMemory;
}

export interface IsmSystem {
  readonly net: IsmNetwork;
  readonly vms: readonly IsmSystemVm[];
}

/** The zPCI function configuration of VM i's ISM function (enabled handle, PFT 5, maxstbl 4096). */
export function ismSystemFunctionConfig(index: number, bar2Size: number, maxstbl = 4096): FunctionConfig {
  const fid = 0x200 + index;
  return ismFunctionConfig({
    fid,
    maxstbl,
    fh: (0x8100_0000 | fid) >>> 0,
    barSizes: [ISM_BAR0_SIZE, 0n, BigInt(bar2Size), 0n, 0n, 0n],
    configSize: 256,
  });
}

export function elaborateIsmSystem(sim: Simulator, options: IsmSystemOptions): IsmSystem {
  const timing = options.timing ?? DEFAULT_TIMING;
  const ismConfig = { ...DEFAULT_ISM_CONFIG, ...options.ism };
  const net = new IsmNetwork(sim, 'net', { networkId: options.networkId });
  const vms = options.memories.map((memory, index) => {
    const config = ismSystemFunctionConfig(index, ismConfig.bar2Size, options.maxstbl);
    const hw = new ZpciVm(sim, { name: `vm${index}`, config, memory, timing: timing.zpci });
    const attributes = ismFunctionAttributes({
      fid: config.fid,
      fh: config.fh,
      pchid: options.pchid,
      bar2Size: ismConfig.bar2Size,
      maxstbl: config.maxstbl,
    });
    const ism = new IsmAdapter(sim, 'ism', { port: hw.devPort, memory, network: net, timing: timing.ism, config: ismConfig, attributes, functionState: hw.pfu.fnState }, hw);
    return { index, hw, ism, config, memory };
  });
  return { net, vms };
}
