/* ism-sim cosim shim: the slice of struct pci_dev and struct pci_driver a vfio variant driver touches. */
#ifndef COSIM_LINUX_PCI_H
#define COSIM_LINUX_PCI_H

#include <linux/kernel.h>
#include <linux/device.h>
#include <linux/mod_devicetable.h>

#define PCI_STD_NUM_BARS 6
#define PCI_VENDOR_ID_IBM 0x1014
#define PCI_DEVICE_ID_IBM_ISM 0x04ed
#define PCI_ID_F_VFIO_DRIVER_OVERRIDE 1

struct resource {
	resource_size_t start;
	resource_size_t end;
	unsigned long flags;
};

struct pci_dev {
	struct device dev;
	unsigned short vendor;
	unsigned short device;
	int cfg_size;
	/* On s390 this is the struct zpci_dev (arch/s390/include/asm/pci.h: to_zpci). */
	void *sysdata;
	struct resource resource[PCI_STD_NUM_BARS];
};

#define to_pci_dev(n) container_of(n, struct pci_dev, dev)
#define pci_resource_n(dev, bar) (&(dev)->resource[(bar)])
#define pci_resource_start(dev, bar) ((dev)->resource[(bar)].start)
#define pci_resource_end(dev, bar) ((dev)->resource[(bar)].end)
#define pci_resource_len(dev, bar) \
	(pci_resource_end((dev), (bar)) ? pci_resource_end((dev), (bar)) - pci_resource_start((dev), (bar)) + 1 : 0)

typedef unsigned int pci_ers_result_t;
typedef unsigned int pci_channel_state_t;

struct pci_error_handlers {
	pci_ers_result_t (*error_detected)(struct pci_dev *dev, pci_channel_state_t error);
};

struct pci_driver {
	const char *name;
	const struct pci_device_id *id_table;
	int (*probe)(struct pci_dev *dev, const struct pci_device_id *id);
	void (*remove)(struct pci_dev *dev);
	int (*sriov_configure)(struct pci_dev *dev, int num_vfs);
	const struct pci_error_handlers *err_handler;
	bool driver_managed_dma;
};

#define PCI_DEVICE(vend, dev) \
	.vendor = (vend), .device = (dev), .subvendor = PCI_ANY_ID, .subdevice = PCI_ANY_ID
#define PCI_DRIVER_OVERRIDE_DEVICE_VFIO(vend, dev) \
	PCI_DEVICE(vend, dev), .override_only = PCI_ID_F_VFIO_DRIVER_OVERRIDE

#include <asm/pci.h>

#endif
