import { Errno } from '../linux/errno.ts';
import type { ZpciDev } from '../linux/zpci-dev.ts';
import type { UserMemory } from './user-memory.ts';

/**
 * The vfio-pci core entry points a variant driver calls, shared by every firmware (the
 * TypeScript port and a C driver run through cosim), so both see one core.
 */

/** vfio_pci_core_enable (drivers/vfio/pci/vfio_pci_core.c): pci_enable_device → CLP enable. */
export function vfioPciCoreEnable(zdev: ZpciDev): number {
  zdev.enable();
  return 0;
}

/**
 * vfio_pci_config_rw_single (drivers/vfio/pci/vfio_pci_config.c): the whole remaining count
 * must fit cfg_size (-EFAULT otherwise, before any access), then one access of 4, 2 or 1 bytes
 * (the largest the count and alignment allow) between user memory and config space. Returns
 * the bytes moved or -errno; the position is not advanced. The core's config virtualisation
 * (permission bits, emulated BARs) is not modelled: accesses reach the function.
 */
export async function vfioPciConfigRwSingle(zdev: ZpciDev, user: UserMemory, buf: number, count: number, pos: bigint, isWrite: boolean): Promise<number> {
  const cfgSize = BigInt(zdev.cfgSize);
  if (pos < 0n || pos >= cfgSize || pos + BigInt(count) > cfgSize) return -Errno.EFAULT;
  const at = Number(pos);
  const size = count >= 4 && at % 4 === 0 ? 4 : count >= 2 && at % 2 === 0 ? 2 : 1;
  if (isWrite) {
    const bytes = user.copyFrom(buf, size);
    if (typeof bytes === 'number') return bytes;
    let value = 0;
    for (let i = 0; i < size; i++) value |= bytes[i] << (8 * i);
    const rc = await zdev.insn.configStore(zdev.fh, at, size, value >>> 0);
    return rc !== 0 ? -Errno.EIO : size;
  }
  const { rc, value } = await zdev.insn.configLoad(zdev.fh, at, size);
  if (rc !== 0) return -Errno.EIO;
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (value >>> (8 * i)) & 0xff;
  return user.copyTo(buf, bytes) !== 0 ? -Errno.EFAULT : size;
}
