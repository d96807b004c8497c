/* ism-sim cosim shim: struct zpci_dev as far as a vfio variant driver reads it (arch/s390/include/asm/pci.h). */
#ifndef COSIM_ASM_PCI_H
#define COSIM_ASM_PCI_H

#include <linux/types.h>
#include <asm/pci_io.h>

struct pci_dev;

struct zpci_dev {
	u32 fid;
	/* Function handle: the simulation refreshes it whenever the function gets a new one. */
	u32 fh;
	u16 vfn;
	u16 pchid;
	u8 pft;
	u16 maxstbl;
	u64 dma_mask;
};

#define to_zpci(pdev) ((struct zpci_dev *)(pdev)->sysdata)

#endif
