// SPDX-License-Identifier: MIT
/* For the cosim tests: a driver calling a kernel function the shim does not provide must fail to link, naming it. */
#include <linux/slab.h>
#include "../vfio_pci_priv.h"

void __iomem *pci_iomap(struct pci_dev *dev, int bar, unsigned long max);

static int probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	return pci_iomap(pdev, 0, 0) ? 0 : -ENOMEM;
}

static const struct pci_device_id ids[] = {
	{ PCI_DRIVER_OVERRIDE_DEVICE_VFIO(PCI_VENDOR_ID_IBM, PCI_DEVICE_ID_IBM_ISM) },
	{}
};

static struct pci_driver drv = { .name = KBUILD_MODNAME, .id_table = ids, .probe = probe };
module_pci_driver(drv);
