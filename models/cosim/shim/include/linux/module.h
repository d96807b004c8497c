/*
 * ism-sim cosim shim: module boilerplate. module_pci_driver() names the driver the simulation
 * binds to the ISM function; the MODULE_* tags are kept for nothing.
 */
#ifndef COSIM_LINUX_MODULE_H
#define COSIM_LINUX_MODULE_H

#include <linux/kernel.h>

#ifndef KBUILD_MODNAME
#define KBUILD_MODNAME "cosim_driver"
#endif

#define THIS_MODULE ((void *)0)
#define MODULE_LICENSE(s) static const char __cosim_license[] __attribute__((unused)) = s
#define MODULE_DESCRIPTION(s) static const char __cosim_description[] __attribute__((unused)) = s
#define MODULE_AUTHOR(s) static const char __cosim_author[] __attribute__((unused)) = s
#define MODULE_IMPORT_NS(ns)
#define MODULE_DEVICE_TABLE(type, name)
#define EXPORT_SYMBOL(sym)
#define EXPORT_SYMBOL_GPL(sym)
#define EXPORT_SYMBOL_NS_GPL(sym, ns)
#define module_init(fn)
#define module_exit(fn)

struct pci_driver;
/* The one driver the module offers; the glue asks for it at load. */
#define module_pci_driver(drv) \
	struct pci_driver *__cosim_module_pci_driver(void) { return &(drv); }

#endif
