/*
 * ism-sim cosim shim: drivers/vfio/pci/vfio_pci_priv.h, the vfio-pci internals a variant driver
 * may call. The driver is compiled from a temporary tree where this file sits one level above
 * ism/main.c, so `#include "../vfio_pci_priv.h"` finds it.
 */
#ifndef COSIM_VFIO_PCI_PRIV_H
#define COSIM_VFIO_PCI_PRIV_H

#include <linux/vfio_pci_core.h>

/*
 * One config-space access of 4, 2 or 1 bytes (the largest the count and alignment allow) at
 * *ppos, to or from user memory: bytes moved or -errno; *ppos is not advanced.
 */
ssize_t vfio_pci_config_rw_single(struct vfio_pci_core_device *vdev, char __user *buf, size_t count,
				  loff_t *ppos, bool iswrite);

#endif
