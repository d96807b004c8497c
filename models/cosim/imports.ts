/**
 * The functions the simulation provides to a C driver (wasm imports from "env"). Anything else
 * a driver calls and neither it nor the glue defines is a link error naming the symbol.
 */
export const SHIM_IMPORTS = [
  // zPCI instructions (asm/pci_io.h)
  '__zpci_load',
  '__zpci_store',
  '__zpci_store_block',
  // vfio-pci core (vfio_pci_priv.h, the glue's core hooks)
  'vfio_pci_config_rw_single',
  'cosim_core_enable',
  'cosim_core_close',
  'cosim_core_disable',
  'cosim_core_init',
  'cosim_core_release',
  'cosim_core_register',
  'cosim_core_unregister',
  // memory
  '__cosim_kmem_cache_create',
  'kmem_cache_alloc',
  'kmem_cache_zalloc',
  'kmem_cache_free',
  'kmem_cache_destroy',
  'kmalloc',
  'kzalloc',
  'kfree',
  'copy_to_user',
  'copy_from_user',
  // diagnostics
  'cosim_log',
  'cosim_bug',
] as const;

export type ShimImport = (typeof SHIM_IMPORTS)[number];

/** Imports that run simulated time: the C stack is suspended while they do (asyncify). */
export const ASYNC_IMPORTS: readonly ShimImport[] = ['__zpci_load', '__zpci_store', '__zpci_store_block', 'vfio_pci_config_rw_single', 'cosim_core_enable', 'cosim_core_close', 'cosim_core_disable'];
