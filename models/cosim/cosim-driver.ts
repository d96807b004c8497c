import { bigEndianToBytes } from '../../rtl/bytes.ts';
import { Errno } from '../linux/errno.ts';
import { decodeRequest } from '../linux/zpci.ts';
import type { ZpciDev } from '../linux/zpci-dev.ts';
import type { VfioIsmFirmware, VfioIsmFirmwareFactory } from '../vfio/firmware.ts';
import type { FilePosition, IsmVfioOptions } from '../vfio/ism-vfio-pci.ts';
import { vfioPciConfigRwSingle, vfioPciCoreCloseDevice, vfioPciCoreDisable, vfioPciCoreEnable } from '../vfio/pci-core.ts';
import type { RegionInfo } from '../vfio/regions.ts';
import type { UserMemory } from '../vfio/user-memory.ts';
import { AsyncifyRunner, type AsyncifyExports } from './asyncify.ts';
import { buildDriver, STACK_BYTES, type BuiltDriver } from './build.ts';
import type { ShimImport } from './imports.ts';
import { KernelMemory } from './kernel-memory.ts';
import { CosimOops } from './oops.ts';

interface DriverExports extends AsyncifyExports {
  readonly memory: WebAssembly.Memory;
  readonly __heap_base: WebAssembly.Global;
  cosim_setup(fid: number, fh: number, maxstbl: number, cfgSize: number): void;
  cosim_set_bar(bar: number, len: bigint): void;
  cosim_fh_address(): bigint;
  cosim_probe(): number;
  cosim_remove(): void;
  cosim_open(): number;
  cosim_close(): void;
  cosim_rw(buf: bigint, count: bigint, pos: bigint, isWrite: number): bigint;
  cosim_position(): bigint;
  cosim_region_info(index: number): number;
  cosim_region_info_address(): bigint;
}

/** MAX_RW_COUNT (include/linux/fs.h): vfs_read/vfs_write clamp every count to it before the driver sees it. */
const MAX_RW_COUNT = 0x7fff_f000;
/** A user pointer as UserMemory takes it (a number; beyond 2^53 it cannot be mapped anyway). */
function userAddress(p: bigint): number {
  const v = BigInt.asUintN(64, p);
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
}
/** Save area for a suspended C stack. */
const ASYNCIFY_BYTES = 16 * 1024;

/**
 * A vfio-ism variant driver written in C (e.g. a kernel tree's drivers/vfio/pci/ism/main.c),
 * compiled to WebAssembly against the shim and bound to one zPCI function: the firmware in
 * place of the TypeScript port. Each __zpci_load / __zpci_store_block is a real instruction on
 * the simulated CPU while the C call is suspended (asyncify); user copies go to the process's
 * UserMemory; config space goes through the shared vfio-pci core.
 */
export class CosimVfioIsmDevice implements VfioIsmFirmware {
  private readonly exports: DriverExports;
  private readonly runner: AsyncifyRunner;
  readonly kernel: KernelMemory;
  /** Kernel log lines the driver printed (printk, dev_*) and WARNs of the shim. */
  readonly log: string[] = [];
  private user: UserMemory | null = null;
  private opened = false;
  private probed = false;
  private oops: CosimOops | null = null;

  constructor(
    readonly built: BuiltDriver,
    readonly zdev: ZpciDev,
    options: IsmVfioOptions = {},
  ) {
    let asyncData = 0;
    this.runner = new AsyncifyRunner(() => this.exports.memory, () => asyncData, ASYNCIFY_BYTES);
    const instance = new WebAssembly.Instance(built.module, { env: this.imports() });
    this.exports = instance.exports as unknown as DriverExports;
    this.runner.attach(this.exports);
    this.kernel = new KernelMemory(this.exports.memory, Number(this.exports.__heap_base.value), STACK_BYTES, zdev, options.storeBlockLimit);
    asyncData = this.kernel.kmalloc(ASYNCIFY_BYTES, false);
  }

  get isOpen(): boolean {
    return this.opened;
  }

  private get view(): DataView {
    return new DataView(this.exports.memory.buffer);
  }

  private cString(address: number): string {
    const bytes = new Uint8Array(this.exports.memory.buffer);
    let end = address;
    while (end < bytes.length && bytes[end] !== 0) end++;
    return new TextDecoder().decode(bytes.subarray(address, end));
  }

  /** READ_ONCE(zdev->fh) must see the handle the function has now (it changes on reset). */
  private refreshHandle(): void {
    this.view.setUint32(Number(this.exports.cosim_fh_address()), this.zdev.fh >>> 0, true);
  }

  private currentUser(what: string): UserMemory {
    if (!this.user) throw new CosimOops(`${what} outside a read or write: there is no user address space`);
    return this.user;
  }

  private imports(): Record<ShimImport, (...args: never[]) => unknown> {
    const r = this.runner;
    const insn = this.zdev.insn;
    const kernel = (): KernelMemory => this.kernel;
    // LP64: pointers, size_t and u64 arrive as BigInt; kernel pointers all lie below 4 GiB.
    const u64 = (v: bigint): bigint => BigInt.asUintN(64, v);
    const ptr = (v: bigint): number => Number(u64(v));
    return {
      __zpci_load: r.blocking('__zpci_load', async (data: bigint, req: bigint, offset: bigint) => {
        const { rc, data: value } = await insn.load(u64(req), u64(offset));
        this.refreshHandle();
        if (rc === 0) {
          // Host (little-endian) order: storing the low `len` bytes gives them in address order, as on s390.
          const len = decodeRequest(u64(req)).len;
          const bytes = len >= 1 && len <= 8 ? bigEndianToBytes(value, len) : new Uint8Array(0);
          let host = 0n;
          for (let i = bytes.length - 1; i >= 0; i--) host = (host << 8n) | BigInt(bytes[i]);
          this.view.setBigUint64(ptr(data), host, true);
        }
        return rc;
      }),
      __zpci_store: r.blocking('__zpci_store', async (data: bigint, req: bigint, offset: bigint) => {
        const len = decodeRequest(u64(req)).len;
        let be = 0n;
        for (let i = 0; i < Math.min(len, 8); i++) be = (be << 8n) | ((u64(data) >> BigInt(8 * i)) & 0xffn);
        const rc = await insn.store(be, u64(req), u64(offset));
        this.refreshHandle();
        return rc;
      }),
      __zpci_store_block: r.blocking('__zpci_store_block', async (data: bigint, req: bigint, offset: bigint) => {
        const len = decodeRequest(u64(req)).len;
        const source = kernel().guestAddressFor(ptr(data), len);
        const rc = await insn.storeBlock(source, u64(req), u64(offset));
        this.refreshHandle();
        return rc;
      }),
      vfio_pci_config_rw_single: r.blocking(
        'vfio_pci_config_rw_single',
        async (_vdev: bigint, buf: bigint, count: bigint, ppos: bigint, isWrite: number) => {
          const pos = this.view.getBigInt64(ptr(ppos), true);
          const ret = await vfioPciConfigRwSingle(this.zdev, this.currentUser('vfio_pci_config_rw_single'), Number(u64(buf)), Number(u64(count)), pos, isWrite !== 0);
          this.refreshHandle();
          return ret;
        },
        true,
      ),
      cosim_core_enable: r.blocking('vfio_pci_core_enable', () => vfioPciCoreEnable(this.zdev)),
      cosim_core_close: r.blocking('vfio_pci_core_close_device', () => vfioPciCoreCloseDevice(this.zdev)),
      cosim_core_disable: r.blocking('vfio_pci_core_disable', () => vfioPciCoreDisable(this.zdev)),
      cosim_core_init: () => 0,
      cosim_core_release: () => undefined,
      cosim_core_register: () => 0,
      cosim_core_unregister: () => undefined,
      __cosim_kmem_cache_create: (name: bigint, size: number, align: number, useroffset: number, usersize: number) =>
        BigInt(kernel().createCache(this.cString(ptr(name)), size >>> 0, align >>> 0, useroffset >>> 0, usersize >>> 0)),
      kmem_cache_alloc: (cache: bigint) => BigInt(kernel().cacheAlloc(ptr(cache), false)),
      kmem_cache_zalloc: (cache: bigint) => BigInt(kernel().cacheAlloc(ptr(cache), true)),
      kmem_cache_free: (cache: bigint, obj: bigint) => kernel().cacheFree(ptr(cache), ptr(obj)),
      kmem_cache_destroy: (cache: bigint) => kernel().destroyCache(ptr(cache)),
      kmalloc: (size: bigint) => BigInt(kernel().kmalloc(Number(u64(size)), false)),
      kzalloc: (size: bigint) => BigInt(kernel().kmalloc(Number(u64(size)), true)),
      kfree: (p: bigint) => kernel().kfree(ptr(p)),
      copy_to_user: (to: bigint, from: bigint, n: bigint) => {
        const count = Number(u64(n));
        kernel().checkUsercopy(ptr(from), count, true);
        const bytes = new Uint8Array(this.exports.memory.buffer, ptr(from), count).slice();
        return this.currentUser('copy_to_user').copyTo(userAddress(to), bytes) === 0 ? 0n : u64(n);
      },
      copy_from_user: (to: bigint, from: bigint, n: bigint) => {
        const count = Number(u64(n));
        kernel().checkUsercopy(ptr(to), count, false);
        const bytes = this.currentUser('copy_from_user').copyFrom(userAddress(from), count);
        if (typeof bytes === 'number') return u64(n);
        new Uint8Array(this.exports.memory.buffer).set(bytes, ptr(to));
        return 0n;
      },
      cosim_log: (text: bigint, len: bigint) => {
        this.log.push(new TextDecoder().decode(new Uint8Array(this.exports.memory.buffer, ptr(text), Number(len))));
      },
      cosim_bug: (file: bigint, line: number) => {
        throw new CosimOops(`kernel BUG at ${this.cString(ptr(file))}:${line}!`);
      },
    };
  }

  /** Every entry into the C code: a dead driver stays dead; a trap or oops kills it. */
  private guard<T>(what: string, call: () => T): T {
    if (this.oops) throw this.oops;
    try {
      return call();
    } catch (e) {
      this.oops = e instanceof CosimOops ? e : new CosimOops(`${what}: ${e instanceof Error ? e.message : String(e)} in ${this.built.source}`);
      throw this.oops;
    }
  }

  private async guardAsync<T>(what: string, call: () => Promise<T>): Promise<T> {
    if (this.oops) throw this.oops;
    try {
      return await call();
    } catch (e) {
      this.oops = e instanceof CosimOops ? e : new CosimOops(`${what}: ${e instanceof Error ? e.message : String(e)} in ${this.built.source}`);
      throw this.oops;
    }
  }

  /** Bind: the function's identity and BARs go into the pci_dev, then the driver's probe (which runs ops->init). */
  init(): number {
    return this.guard('probe', () => {
      const e = this.exports;
      e.cosim_setup(this.zdev.fid >>> 0, this.zdev.fh >>> 0, this.zdev.maxstbl, this.zdev.cfgSize);
      for (let bar = 0; bar < 6; bar++) e.cosim_set_bar(bar, this.zdev.barLength(bar));
      const ret = this.runner.callSync(() => e.cosim_probe());
      this.probed = ret === 0;
      return ret;
    });
  }

  /** Unbind (remove: the driver's release), then the module's pages go back to the VM. */
  release(): void {
    if (this.probed && !this.oops) this.guard('remove', () => this.runner.callSync(() => this.exports.cosim_remove()));
    this.probed = false;
    this.kernel.releaseAll();
  }

  open(): number {
    return this.guard('open_device', () => {
      this.refreshHandle();
      const ret = this.runner.callSync(() => this.exports.cosim_open());
      this.opened = ret === 0;
      return ret;
    });
  }

  close(): void {
    if (!this.opened || this.oops) return;
    this.opened = false;
    this.guard('close_device', () => this.runner.callSync(() => this.exports.cosim_close()));
  }

  getRegionInfo(index: number): { ret: number; info: RegionInfo } {
    return this.guard('get_region_info', () => {
      const ret = this.runner.callSync(() => this.exports.cosim_region_info(index >>> 0));
      const at = Number(this.exports.cosim_region_info_address());
      const v = this.view;
      const info = { index, offset: v.getBigUint64(at + 24, true), size: v.getBigUint64(at + 16, true), flags: v.getUint32(at + 4, true) };
      return { ret, info };
    });
  }

  read(user: UserMemory, buf: number, count: number, ppos: FilePosition): Promise<number> {
    return this.rw(user, buf, count, ppos, false);
  }

  write(user: UserMemory, buf: number, count: number, ppos: FilePosition): Promise<number> {
    return this.rw(user, buf, count, ppos, true);
  }

  private rw(user: UserMemory, buf: number, count: number, ppos: FilePosition, isWrite: boolean): Promise<number> {
    const what = isWrite ? 'write' : 'read';
    return this.guardAsync(what, () =>
      this.runner.call(() => {
        this.user = user;
        this.refreshHandle();
        return this.exports.cosim_rw(BigInt(buf), BigInt(Math.min(count, MAX_RW_COUNT)), BigInt.asIntN(64, ppos.value), isWrite ? 1 : 0);
      }).then((wide) => {
        const ret = Number(wide);
        ppos.value = BigInt.asUintN(64, this.exports.cosim_position());
        return ret;
      }),
    );
  }
}

/** A firmware factory for VfioDevice.open / the fuzzer: every device gets its own instance of the built driver. */
export function cosimFirmware(built: BuiltDriver): VfioIsmFirmwareFactory {
  return (zdev, options) => new CosimVfioIsmDevice(built, zdev, options);
}

/** Build the C driver at `sourcePath` and return its firmware factory (the library form of `--driver`). */
export async function loadCosimDriver(sourcePath: string): Promise<VfioIsmFirmwareFactory> {
  return cosimFirmware(await buildDriver(sourcePath));
}

export { Errno };
