import { Errno } from '../linux/errno.ts';
import type { ZpciDev } from '../linux/zpci-dev.ts';
import type { UserMemory } from './user-memory.ts';

/**
 * The vfio-pci core entry points a variant driver calls (drivers/vfio/pci/vfio_pci_core.c,
 * vfio_pci_config.c), in the model's own words, shared by every firmware (the TypeScript port
 * and a C driver run through cosim), so both see one core. Not modelled: power states, INTx
 * masking, saved config state, mmap and VGA bookkeeping (finish_enable), the config permission
 * tables (accesses reach the function).
 */

/** The core's per-device state that matters here (fields of struct vfio_pci_core_device). */
export interface VfioPciCoreState {
  /** The function reset worked at enable time; disable resets only then (reset_works). */
  resetWorks: boolean;
  /** Set by disable until a reset succeeded (needs_reset). */
  needsReset: boolean;
}

const states = new WeakMap<ZpciDev, VfioPciCoreState>();

/** The core's state for the device bound to `zdev`. */
export function vfioPciCoreState(zdev: ZpciDev): VfioPciCoreState {
  let s = states.get(zdev);
  if (!s) states.set(zdev, (s = { resetWorks: false, needsReset: false }));
  return s;
}

/**
 * pci_try_reset_function for a zPCI function: ISM has no FLR and no PM reset, so the reset is
 * the hotplug slot's (drivers/pci/hotplug/s390_pci_hpc.c reset_slot → arch/s390/pci/pci.c
 * zpci_hot_reset_device): the function is disabled and enabled again, the device forgets its
 * state, the handle changes. 0, or -ENODEV once the simulation has ended (no hardware left).
 */
export function pciTryResetFunction(zdev: ZpciDev): number {
  if (zdev.insn.sim.isDisposed) return -Errno.ENODEV;
  zdev.resetFunction();
  return 0;
}

/**
 * vfio_pci_core_enable: pci_enable_device, then try a function reset so the user starts from a
 * clean function. A reset failing with -EAGAIN fails the open; any other failure is remembered
 * (reset_works) and the open goes on.
 */
export function vfioPciCoreEnable(zdev: ZpciDev): number {
  zdev.enable();
  const ret = pciTryResetFunction(zdev);
  if (ret === -Errno.EAGAIN) return ret;
  vfioPciCoreState(zdev).resetWorks = ret === 0;
  return 0;
}

/**
 * vfio_pci_core_disable: the device needs a reset; if resets work it is reset now, so SBA, IEQ
 * and DMBs do not outlive the file; then pci_disable_device. The device-set reset the core
 * tries afterwards runs only when this one failed, which a zPCI slot reset does not.
 */
export function vfioPciCoreDisable(zdev: ZpciDev): void {
  const s = vfioPciCoreState(zdev);
  s.needsReset = true;
  if (s.resetWorks && pciTryResetFunction(zdev) === 0) s.needsReset = false;
}

/** vfio_pci_core_close_device (the ISM variant's close_device): disables the device. */
export function vfioPciCoreCloseDevice(zdev: ZpciDev): void {
  vfioPciCoreDisable(zdev);
}

/**
 * vfio_pci_config_rw_single (drivers/vfio/pci/vfio_pci_config.c): the whole remaining count
 * must fit cfg_size (-EFAULT otherwise, before any access), then one access of 4, 2 or 1 bytes
 * (the largest the count and alignment allow) between user memory and config space. Returns
 * the bytes moved or -errno; the position is not advanced. A failing config accessor returns
 * its own errno (pci_user_read/write_config_* → pcibios_err_to_errno → arch/s390/pci/pci.c
 * zpci_cfg_load/store: -ENODEV for a disabled function, -EIO for cc 1 or 3, -ENXIO for a
 * program check).
 */
export async function vfioPciConfigRwSingle(zdev: ZpciDev, user: UserMemory, buf: number, count: number, pos: bigint, isWrite: boolean): Promise<number> {
  // Compared with the number cfgSize directly (no bigint made); inside config space pos is a small exact number.
  const cfgSize = zdev.cfgSize;
  if (pos < 0n || pos >= cfgSize || Number(pos) + count > cfgSize) return -Errno.EFAULT;
  const at = Number(pos);
  const size = count >= 4 && at % 4 === 0 ? 4 : count >= 2 && at % 2 === 0 ? 2 : 1;
  if (isWrite) {
    const bytes = user.copyFrom(buf, size);
    if (typeof bytes === 'number') return bytes;
    let value = 0;
    for (let i = 0; i < size; i++) value |= bytes[i] << (8 * i);
    const rc = await zdev.insn.configStore(zdev.fh, at, size, value >>> 0);
    return rc < 0 ? rc : size;
  }
  const { rc, value } = await zdev.insn.configLoad(zdev.fh, at, size);
  if (rc < 0) return rc;
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (value >>> (8 * i)) & 0xff;
  return user.copyTo(buf, bytes) !== 0 ? -Errno.EFAULT : size;
}
